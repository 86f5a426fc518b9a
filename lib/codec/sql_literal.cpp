#include "codec/sql_literal.h"

namespace omsbackup {

void append_sql_literal(std::string& out, bool null, std::string_view bytes) {
  if (null) {
    out.append("NULL");
    return;
  }
  if (bytes.empty()) {
    out.append("''");
    return;
  }
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::size_t at = out.size();
  out.resize(at + 2 * bytes.size() + 3);
  char* p = out.data() + at;
  *p++ = 'X';
  *p++ = '\'';
  for (char c : bytes) {
    auto b = static_cast<unsigned char>(c);
    *p++ = kDigits[b >> 4];
    *p++ = kDigits[b & 15];
  }
  *p = '\'';
}

std::string sql_literal(bool null, std::string_view bytes) {
  std::string out;
  append_sql_literal(out, null, bytes);
  return out;
}

}  // namespace omsbackup

#include "codec/sql_literal.h"

#include <cstring>

#include "util/hex.h"

namespace omsbackup {

namespace {

constexpr std::string_view kIntroducer = "_binary'";

// The bytes written as two: the escaped ones.
std::size_t escaped_bytes(std::string_view bytes) {
  std::size_t n = 0;
  for (char c : bytes) n += (c == '\\' || c == '\'' || c == '\0') ? 1 : 0;
  return n;
}

}  // namespace

std::size_t sql_literal_size(bool null, std::string_view bytes, LiteralForm form) {
  if (null) return 4;           // NULL
  if (bytes.empty()) return 2;  // ''
  if (form == LiteralForm::hex) return 3 + 2 * bytes.size();  // X'..'
  return kIntroducer.size() + bytes.size() + escaped_bytes(bytes) + 1;
}

void append_sql_literal(std::string& out, bool null, std::string_view bytes, LiteralForm form) {
  if (null) {
    out.append("NULL");
    return;
  }
  if (bytes.empty()) {
    out.append("''");
    return;
  }
  if (form == LiteralForm::hex) {
    out.append("X'");
    hex_append(out, bytes);
    out.push_back('\'');
    return;
  }
  // One allocation at most, sized exactly: big values (a LONGBLOB row of up to
  // max_allowed_packet) are not copied twice.
  std::size_t at = out.size();
  out.resize(at + sql_literal_size(false, bytes));
  char* p = out.data() + at;
  std::memcpy(p, kIntroducer.data(), kIntroducer.size());
  p += kIntroducer.size();
  for (char c : bytes) {
    switch (c) {
      case '\\': *p++ = '\\'; *p++ = '\\'; break;
      case '\'': *p++ = '\\'; *p++ = '\''; break;
      case '\0': *p++ = '\\'; *p++ = '0'; break;
      default: *p++ = c;
    }
  }
  *p = '\'';
}

std::string sql_literal(bool null, std::string_view bytes, LiteralForm form) {
  std::string out;
  append_sql_literal(out, null, bytes, form);
  return out;
}

}  // namespace omsbackup

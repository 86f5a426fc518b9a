#include "codec/row_encoder.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#include "omsbackup/error.h"

namespace omsbackup {

namespace {

// The letter that follows the backslash for each byte that must be escaped; 0 for the rest.
constexpr std::array<char, 256> kEscape = [] {
  std::array<char, 256> t{};
  t['\\'] = '\\';
  t[0x00] = '0';
  t['\t'] = 't';
  t['\n'] = 'n';
  t['\r'] = 'r';
  t[0x1A] = 'Z';
  return t;
}();

// The first byte in [p, end) that must be escaped, or end. Eight bytes at a time: every
// byte to escape is either below 0x20 or a backslash, and a word with neither (the common
// case: text, digits, dates) is skipped with two tests instead of eight table lookups.
const char* find_escape(const char* p, const char* end) {
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t highs = ones * 0x80;
  for (;;) {
    while (end - p >= 8) {
      std::uint64_t x;
      std::memcpy(&x, p, 8);
      const std::uint64_t below_space = (x - ones * 0x20) & ~x & highs;  // some byte < 0x20
      const std::uint64_t y = x ^ (ones * '\\');
      const std::uint64_t backslash = (y - ones) & ~y & highs;           // some byte == '\\'
      if ((below_space | backslash) != 0) break;
      p += 8;
    }
    // A word that may hold one (or the tail): byte by byte.
    const char* stop = end - p > 8 ? p + 8 : end;
    while (p != stop && kEscape[static_cast<unsigned char>(*p)] == 0) ++p;
    if (p != stop || p == end) return p;
  }
}

}  // namespace

void append_escaped(std::string& out, std::string_view bytes) {
  // Room for the bytes plus a separator and a newline; grow geometrically.
  std::size_t need = out.size() + bytes.size() + 2;
  if (out.capacity() < need) out.reserve(std::max(need, 2 * out.capacity()));

  const char* p = bytes.data();
  const char* end = p + bytes.size();
  while (p != end) {
    const char* run = p;
    p = find_escape(p, end);
    out.append(run, p);
    if (p == end) break;
    const char pair[2] = {'\\', kEscape[static_cast<unsigned char>(*p)]};
    out.append(pair, 2);
    ++p;
  }
}

void RowEncoder::field(std::string_view bytes) {
  separate();
  append_escaped(buf_, bytes);
}

void RowEncoder::null_field() {
  separate();
  buf_.append("\\N", 2);
}

void RowEncoder::end_row() {
  if (fields_in_row_ == 0) {
    throw Error(Errc::internal, "row encoder", "end_row() without a field: a row needs a column");
  }
  last_begin_ = row_begin_;
  last_end_ = buf_.size();
  buf_.push_back('\n');
  row_begin_ = buf_.size();
  fields_in_row_ = 0;
  ++rows_;
}

void RowEncoder::add_row(const Row& row) {
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (row.is_null(i)) {
      null_field();
    } else {
      field(row.value(i));
    }
  }
  end_row();
}

void RowEncoder::clear() noexcept {
  buf_.clear();
  row_begin_ = last_begin_ = last_end_ = fields_in_row_ = rows_ = 0;
}

}  // namespace omsbackup

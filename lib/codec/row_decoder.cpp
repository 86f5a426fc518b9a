#include "codec/row_decoder.h"

#include <array>
#include <cstring>

#include <fmt/format.h>

#include "omsbackup/error.h"

namespace omsbackup {

namespace {

// Bytes that end a run of verbatim bytes inside a row.
constexpr std::array<bool, 256> kSpecial = [] {
  std::array<bool, 256> t{};
  t['\\'] = true;
  t['\t'] = true;
  return t;
}();

// The byte each escape letter stands for; -1 for letters that are not escapes (and for N,
// which is only valid as a whole field).
constexpr std::array<short, 256> kUnescape = [] {
  std::array<short, 256> t{};
  t.fill(-1);
  t['\\'] = '\\';
  t['0'] = 0x00;
  t['t'] = '\t';
  t['n'] = '\n';
  t['r'] = '\r';
  t['Z'] = 0x1A;
  t['b'] = 0x08;
  return t;
}();

std::string show_byte(unsigned char c) {
  if (c >= 0x21 && c <= 0x7E) return fmt::format("'{}'", static_cast<char>(c));
  return fmt::format("byte 0x{:02X}", c);
}

}  // namespace

void RowDecoder::feed(std::string_view bytes) {
  if (pos_ != 0) {
    // Drop the rows already read; what remains is at most the partial row (and unread rows).
    buf_.erase(0, pos_);
    base_ += pos_;
    scan_ -= pos_;
    pos_ = 0;
  }
  last_begin_ = last_end_ = 0;
  buf_.append(bytes);
}

bool RowDecoder::next_row(Row& out) {
  const void* nl = std::memchr(buf_.data() + scan_, '\n', buf_.size() - scan_);
  if (nl == nullptr) {
    scan_ = buf_.size();
    return false;
  }
  std::size_t end = static_cast<std::size_t>(static_cast<const char*>(nl) - buf_.data());
  decode(pos_, end, out);
  last_begin_ = pos_;
  last_end_ = end;
  pos_ = scan_ = end + 1;
  ++rows_;
  return true;
}

void RowDecoder::decode(std::size_t begin, std::size_t end, Row& out) const {
  out.clear();
  out.data_.reserve(end - begin);  // unescaping only shrinks
  const char* base = buf_.data();
  const char* p = base + begin;
  const char* e = base + end;
  for (;;) {
    // At the start of a field.
    if (e - p >= 2 && p[0] == '\\' && p[1] == 'N') {
      if (e - p > 2 && p[2] != '\t') {
        fail(static_cast<std::size_t>(p - base),
             fmt::format("\\N followed by {}: NULL must be a whole field",
                         show_byte(static_cast<unsigned char>(p[2]))));
      }
      out.fields_.push_back({out.data_.size(), true});
      p += 2;
    } else {
      for (;;) {
        const char* run = p;
        while (p != e && !kSpecial[static_cast<unsigned char>(*p)]) ++p;
        out.data_.append(run, p);
        if (p == e || *p == '\t') break;
        // A backslash.
        if (e - p == 1) {
          fail(static_cast<std::size_t>(p - base),
               "backslash at the end of the row (a lone backslash or an escaped newline)");
        }
        unsigned char letter = static_cast<unsigned char>(p[1]);
        if (letter == 'N') {
          fail(static_cast<std::size_t>(p - base),
               "\\N inside a field: NULL must be a whole field");
        }
        short byte = kUnescape[letter];
        if (byte < 0) {
          fail(static_cast<std::size_t>(p - base),
               fmt::format("invalid escape: backslash followed by {}", show_byte(letter)));
        }
        out.data_.push_back(static_cast<char>(byte));
        p += 2;
      }
      out.fields_.push_back({out.data_.size(), false});
    }
    if (p == e) break;
    ++p;  // the tab; a row ending in a tab has an empty last field
  }
}

void RowDecoder::fail(std::size_t at, const std::string& what) const {
  throw Error(Errc::corrupt_archive, object_,
              fmt::format("row {} at byte offset {}: {}", rows_ + 1, base_ + at, what));
}

void RowDecoder::finish() const {
  if (pos_ == buf_.size()) return;
  if (std::memchr(buf_.data() + pos_, '\n', buf_.size() - pos_) != nullptr) {
    throw Error(Errc::internal, object_, "finish() called with complete rows left unread");
  }
  throw Error(Errc::corrupt_archive, object_,
              fmt::format("truncated data: row {} at byte offset {} has {} bytes but no "
                          "terminating newline",
                          rows_ + 1, base_ + pos_, buf_.size() - pos_));
}

}  // namespace omsbackup

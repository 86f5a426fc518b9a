#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "codec/content_digest.h"
#include "codec/row_decoder.h"
#include "codec/row_encoder.h"
#include "omsbackup/error.h"

using namespace omsbackup;
using namespace std::string_literals;

namespace {

using Value = std::optional<std::string>;  // nullopt is SQL NULL

std::string encode(const std::vector<Value>& fields) {
  RowEncoder enc;
  for (const auto& f : fields) {
    if (f) {
      enc.field(*f);
    } else {
      enc.null_field();
    }
  }
  enc.end_row();
  return enc.buffer();
}

std::string encode_one(std::string_view bytes) { return encode({std::string(bytes)}); }

std::vector<Value> values(const Row& row) {
  std::vector<Value> out;
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (row.is_null(i)) {
      out.emplace_back(std::nullopt);
    } else {
      out.emplace_back(std::string(row.value(i)));
    }
  }
  return out;
}

// Decodes a whole stream fed at once, then calls finish().
std::vector<std::vector<Value>> decode_all(std::string_view data) {
  RowDecoder dec("t.csv");
  dec.feed(data);
  std::vector<std::vector<Value>> rows;
  Row row;
  while (dec.next_row(row)) rows.push_back(values(row));
  dec.finish();
  return rows;
}

template <class F>
Error error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  FAIL("no omsbackup::Error thrown");
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("encoder: exact encodings of the nasty values", "[codec]") {
  CHECK(encode({std::nullopt}) == "\\N\n");
  CHECK(encode_one("") == "\n");
  CHECK(encode_one("NULL") == "NULL\n");
  CHECK(encode_one("\\N") == "\\\\N\n");
  CHECK(encode_one("\\") == "\\\\\n");
  CHECK(encode_one("\0"s) == "\\0\n");
  CHECK(encode_one("\t") == "\\t\n");
  CHECK(encode_one("\n") == "\\n\n");
  CHECK(encode_one("\r") == "\\r\n");
  CHECK(encode_one("\x1A") == "\\Z\n");
  CHECK(encode_one("\b") == "\b\n");  // \b is accepted on decode, never produced
  CHECK(encode_one("\xFF\xFE") == "\xFF\xFE\n");
  CHECK(encode_one("中文") == "中文\n");
  CHECK(encode_one("a\0b\\c\td\ne\rf\x1Ag"s) == "a\\0b\\\\c\\td\\ne\\rf\\Zg\n");
  CHECK(encode_one("\\\\\0\0"s) == "\\\\\\\\\\0\\0\n");
}

TEST_CASE("encoder: every byte value at every offset of a long field", "[codec]") {
  // append_escaped skips eight bytes at a time; check each byte value in every position of
  // a word, next to bytes that look alike (0x1F, 0x20, 0x5B, 0x5D, 0x80, 0xFF).
  auto reference = [](std::string_view in) {
    std::string out;
    for (char c : in) {
      switch (c) {
        case '\\': out += "\\\\"; break;
        case '\0': out += "\\0"; break;
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\x1A': out += "\\Z"; break;
        default: out += c;
      }
    }
    return out + "\n";
  };
  const std::string fillers = "\x1F\x20\x5B\x5D\x80\xFF" "a";
  for (int b = 0; b < 256; ++b) {
    for (std::size_t at = 0; at < 19; ++at) {
      for (char filler : fillers) {
        std::string field(19, filler);
        field[at] = static_cast<char>(b);
        INFO("byte " << b << " at " << at << " among " << static_cast<int>(filler));
        REQUIRE(encode_one(field) == reference(field));
      }
    }
  }
}

TEST_CASE("encoder: fields, rows and the last row", "[codec]") {
  CHECK(encode({std::nullopt, ""s, "NULL"s, "\\N"s}) == "\\N\t\tNULL\t\\\\N\n");
  CHECK(encode({""s, ""s}) == "\t\n");
  CHECK(encode({"a"s, std::nullopt}) == "a\t\\N\n");

  RowEncoder enc;
  CHECK_FALSE(enc.in_row());
  enc.field("x\ty");
  CHECK(enc.in_row());
  enc.null_field();
  enc.end_row();
  CHECK(enc.last_row() == "x\\ty\t\\N");
  enc.field("");
  enc.end_row();
  CHECK(enc.last_row().empty());
  CHECK(enc.buffer() == "x\\ty\t\\N\n\n");
  CHECK(enc.size() == enc.buffer().size());
  CHECK(enc.rows() == 2);
  enc.clear();
  CHECK(enc.buffer().empty());
  CHECK(enc.rows() == 0);
  CHECK(enc.last_row().empty());

  auto e = error_of([&] { enc.end_row(); });
  CHECK(e.code() == Errc::internal);
}

TEST_CASE("decoder: the nasty values round trip", "[codec]") {
  std::vector<Value> nasty = {std::nullopt, ""s, "NULL"s, "\\N"s, "\\"s, "\0"s, "\t"s, "\n"s,
                              "\r"s, "\x1A"s, "\xFF\xFE"s, "中文"s, "N"s, "\\\\"s, " "s};
  for (const auto& v : nasty) {
    auto rows = decode_all(encode({v}));
    REQUIRE(rows.size() == 1);
    CHECK(rows[0] == std::vector<Value>{v});
  }
  auto rows = decode_all(encode(nasty));
  REQUIRE(rows.size() == 1);
  CHECK(rows[0] == nasty);
}

TEST_CASE("decoder: framing and compatibility escapes", "[codec]") {
  using Rows = std::vector<std::vector<Value>>;
  CHECK(decode_all("") == Rows{});
  CHECK(decode_all("\n") == Rows{{""s}});
  CHECK(decode_all("\n\n") == Rows{{""s}, {""s}});
  CHECK(decode_all("\t\n") == Rows{{""s, ""s}});
  CHECK(decode_all("\\N\t\\N\n") == Rows{{std::nullopt, std::nullopt}});
  CHECK(decode_all("a\\bc\n") == Rows{{"a\bc"s}});
  CHECK(decode_all("N\\\\N\n") == Rows{{"N\\N"s}});
  // Raw bytes the encoder would escape are still read verbatim, as LOAD DATA does.
  CHECK(decode_all("a\rb\0c\n"s) == Rows{{"a\rb\0c"s}});
}

TEST_CASE("decoder: raw encoded row and counters", "[codec]") {
  RowDecoder dec;
  dec.feed("a\\tb\t\\N\nxy");
  Row row;
  REQUIRE(dec.next_row(row));
  CHECK(dec.encoded_row() == "a\\tb\t\\N");
  CHECK(dec.rows() == 1);
  CHECK(dec.consumed() == 8);
  CHECK_FALSE(dec.next_row(row));
  dec.feed("z\n");
  REQUIRE(dec.next_row(row));
  CHECK(dec.encoded_row() == "xyz");
  CHECK(values(row) == std::vector<Value>{"xyz"s});
  CHECK(dec.consumed() == 12);
  dec.finish();
}

TEST_CASE("decoder: errors name the row and the byte offset", "[codec]") {
  SECTION("truncated last row") {
    RowDecoder dec("db.t chunk 3");
    dec.feed("a\tb\nc\td");
    Row row;
    CHECK(dec.next_row(row));
    CHECK_FALSE(dec.next_row(row));
    auto e = error_of([&] { dec.finish(); });
    CHECK(e.code() == Errc::corrupt_archive);
    CHECK(e.object() == "db.t chunk 3");
    CHECK_THAT(e.message(), Catch::Contains("truncated"));
    CHECK_THAT(e.message(), Catch::Contains("row 2"));
    CHECK_THAT(e.message(), Catch::Contains("byte offset 4"));
  }
  SECTION("trailing lone backslash, end of data") {
    RowDecoder dec;
    dec.feed("abc\\");
    Row row;
    CHECK_FALSE(dec.next_row(row));
    auto e = error_of([&] { dec.finish(); });
    CHECK(e.code() == Errc::corrupt_archive);
    CHECK_THAT(e.message(), Catch::Contains("truncated"));
  }
  SECTION("trailing lone backslash before the newline") {
    RowDecoder dec;
    dec.feed("ok\nabc\\\n");
    Row row;
    CHECK(dec.next_row(row));
    auto e = error_of([&] { dec.next_row(row); });
    CHECK(e.code() == Errc::corrupt_archive);
    CHECK_THAT(e.message(), Catch::Contains("row 2 at byte offset 6"));
    CHECK_THAT(e.message(), Catch::Contains("backslash at the end of the row"));
  }
  SECTION("invalid escape \\q") {
    auto e = error_of([] { decode_all("x\n\\N\tab\\qc\n"); });
    CHECK(e.code() == Errc::corrupt_archive);
    CHECK_THAT(e.message(), Catch::Contains("row 2 at byte offset 7"));
    CHECK_THAT(e.message(), Catch::Contains("invalid escape"));
    CHECK_THAT(e.message(), Catch::Contains("'q'"));
  }
  SECTION("escaped raw tab is invalid") {
    auto e = error_of([] { decode_all("a\\\tb\n"); });
    CHECK_THAT(e.message(), Catch::Contains("row 1 at byte offset 1"));
    CHECK_THAT(e.message(), Catch::Contains("0x09"));
  }
  SECTION("\\Nx") {
    auto e = error_of([] { decode_all("a\t\\Nx\n"); });
    CHECK(e.code() == Errc::corrupt_archive);
    CHECK_THAT(e.message(), Catch::Contains("row 1 at byte offset 2"));
    CHECK_THAT(e.message(), Catch::Contains("NULL must be a whole field"));
  }
  SECTION("x\\N") {
    auto e = error_of([] { decode_all("x\\N\n"); });
    CHECK_THAT(e.message(), Catch::Contains("row 1 at byte offset 1"));
    CHECK_THAT(e.message(), Catch::Contains("NULL must be a whole field"));
  }
  SECTION("offsets count from the start of the stream across pieces") {
    RowDecoder dec;
    Row row;
    dec.feed("abc\n");
    CHECK(dec.next_row(row));
    dec.feed("de");
    CHECK_FALSE(dec.next_row(row));
    dec.feed("f\\");
    CHECK_FALSE(dec.next_row(row));
    dec.feed("?\n");
    auto e = error_of([&] { dec.next_row(row); });
    CHECK_THAT(e.message(), Catch::Contains("row 2 at byte offset 7"));
  }
  SECTION("finish with unread rows is a caller bug") {
    RowDecoder dec;
    dec.feed("a\n");
    auto e = error_of([&] { dec.finish(); });
    CHECK(e.code() == Errc::internal);
  }
}

namespace {

std::vector<Value> random_row(std::mt19937_64& rng) {
  static const std::string nasty = "\\\t\n\r\x1A\0N0btnrZ\xFF"s;
  std::vector<Value> row(std::uniform_int_distribution<int>(1, 8)(rng));
  for (auto& f : row) {
    int kind = std::uniform_int_distribution<int>(0, 9)(rng);
    if (kind == 0) {
      f = std::nullopt;
      continue;
    }
    std::size_t len = kind <= 3 ? std::uniform_int_distribution<std::size_t>(0, 4)(rng)
                                : std::uniform_int_distribution<std::size_t>(0, 300)(rng);
    std::string s(len, '\0');
    for (auto& c : s) {
      if (kind % 2 == 0) {
        c = nasty[std::uniform_int_distribution<std::size_t>(0, nasty.size() - 1)(rng)];
      } else {
        c = static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng));
      }
    }
    f = std::move(s);
  }
  return row;
}

}  // namespace

TEST_CASE("round trip: 2000 random rows in pieces of any size", "[codec]") {
  std::mt19937_64 rng(20240611);
  std::vector<std::vector<Value>> rows;
  for (int i = 0; i < 2000; ++i) rows.push_back(random_row(rng));

  RowEncoder enc;
  ContentDigest on_encode(DigestKind::xxh3_128_sum);
  std::vector<std::string> encoded_rows;
  std::size_t longest = 0;
  std::vector<bool> seen(256);
  for (const auto& r : rows) {
    for (const auto& f : r) {
      if (!f) {
        enc.null_field();
      } else {
        enc.field(*f);
        for (char c : *f) seen[static_cast<unsigned char>(c)] = true;
      }
    }
    enc.end_row();
    on_encode.add_row(enc.last_row());
    encoded_rows.emplace_back(enc.last_row());
    longest = std::max(longest, enc.last_row().size() + 1);
  }
  CHECK(std::count(seen.begin(), seen.end(), true) == 256);
  CHECK(on_encode.rows() == rows.size());
  const std::string& stream = enc.buffer();

  auto check_decode = [&](auto next_piece_size) {
    RowDecoder dec;
    ContentDigest on_decode(DigestKind::xxh3_128_sum);
    Row row;
    std::size_t n = 0, at = 0, max_buffered = 0, max_piece = 0;
    bool all_equal = true;
    while (at < stream.size()) {
      std::size_t piece = std::min<std::size_t>(next_piece_size(), stream.size() - at);
      dec.feed(std::string_view(stream).substr(at, piece));
      at += piece;
      max_piece = std::max(max_piece, piece);
      max_buffered = std::max(max_buffered, dec.buffered());
      while (dec.next_row(row)) {
        REQUIRE(n < rows.size());
        if (values(row) != rows[n] || dec.encoded_row() != encoded_rows[n]) {
          all_equal = false;
          FAIL_CHECK("row " << n << " differs");
        }
        on_decode.add_row(dec.encoded_row());
        ++n;
      }
    }
    dec.finish();
    CHECK(all_equal);
    CHECK(n == rows.size());
    CHECK(dec.rows() == rows.size());
    CHECK(dec.consumed() == stream.size());
    CHECK(on_decode == on_encode);
    CHECK(on_decode.sum_hex() == on_encode.sum_hex());
    // At most one partial row plus the piece just fed.
    CHECK(max_buffered <= longest + max_piece);
  };

  SECTION("pieces of 1..7 bytes") {
    check_decode([&] { return std::uniform_int_distribution<std::size_t>(1, 7)(rng); });
  }
  SECTION("pieces of one byte") { check_decode([] { return std::size_t{1}; }); }
  SECTION("pieces of 64 KiB") { check_decode([] { return std::size_t{65536}; }); }
  SECTION("random large pieces") {
    check_decode([&] { return std::uniform_int_distribution<std::size_t>(1, 20000)(rng); });
  }
  SECTION("the whole stream at once") { check_decode([&] { return stream.size(); }); }
}

TEST_CASE("round trip through Row and RowEncoder::add_row", "[codec]") {
  Row row;
  row.add_field("a\tb");
  row.add_null();
  row.add_field("");
  RowEncoder enc;
  enc.add_row(row);
  CHECK(enc.buffer() == "a\\tb\t\\N\t\n");
  RowDecoder dec;
  dec.feed(enc.buffer());
  Row back;
  REQUIRE(dec.next_row(back));
  CHECK(back == row);
  dec.finish();
}

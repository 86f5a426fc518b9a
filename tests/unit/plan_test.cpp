// The planner's pure parts: 128-bit integer ranges, key literals, tuple predicates.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>

#include "plan/chunk_key.h"
#include "plan/key_sql.h"

using namespace omsbackup;
using namespace std::string_literals;

namespace {

Int128 i128(std::int64_t v) { return static_cast<Int128>(v); }
Int128 u128(std::uint64_t v) { return static_cast<Int128>(v); }

KeyPart part(const char* type, const char* charset = "", const char* collation = "") {
  // Built from std::string temporaries: assigning a const char* here trips GCC 12's
  // -Wrestrict false positive in std::string's inlined copy (release builds, -Werror).
  KeyPart p;
  p.column = std::string("c");
  p.data_type = std::string(type);
  p.charset = std::string(charset);
  p.collation = std::string(collation);
  return p;
}

// Checks the split's contract (k capped at 2^20): k - 1 strictly increasing boundaries in (lo, hi], parts of
// nearly equal width.
void check_split(Int128 lo, Int128 hi, std::uint64_t pieces) {
  std::vector<Int128> b = split_int_range(lo, hi, pieces);
  Int128 span = hi - lo + 1;
  Int128 k = std::min<Int128>(std::min<Int128>(u128(pieces), span), Int128{1} << 20);
  if (k < 1) k = 1;
  INFO("lo=" << int128_text(lo) << " hi=" << int128_text(hi) << " pieces=" << pieces);
  REQUIRE(static_cast<Int128>(b.size()) == k - 1);
  Int128 prev = lo;
  Int128 width = span / k;
  for (Int128 x : b) {
    REQUIRE(x > prev);
    REQUIRE(x <= hi);
    REQUIRE(x - prev >= width);
    REQUIRE(x - prev <= width + 1);
    prev = x;
  }
  REQUIRE(hi - prev + 1 >= width);
  REQUIRE(hi - prev + 1 <= width + 1);
}

}  // namespace

TEST_CASE("128-bit integers parse and print at the BIGINT extremes", "[plan]") {
  CHECK(parse_int128("0") == i128(0));
  CHECK(parse_int128("-0") == i128(0));
  CHECK(parse_int128("18446744073709551615") == u128(UINT64_MAX));
  CHECK(parse_int128("-9223372036854775808") == i128(INT64_MIN));
  CHECK(parse_int128("9223372036854775807") == i128(INT64_MAX));
  CHECK_FALSE(parse_int128(""));
  CHECK_FALSE(parse_int128("-"));
  CHECK_FALSE(parse_int128("1.5"));
  CHECK_FALSE(parse_int128("+1"));
  CHECK_FALSE(parse_int128(" 1"));
  CHECK_FALSE(parse_int128("1e3"));
  CHECK_FALSE(parse_int128("123456789012345678901234567890123456789"));  // 39 digits

  CHECK(int128_text(0) == "0");
  CHECK(int128_text(-1) == "-1");
  CHECK(int128_text(u128(UINT64_MAX)) == "18446744073709551615");
  CHECK(int128_text(i128(INT64_MIN)) == "-9223372036854775808");
  Int128 min128 = -(static_cast<Int128>(1) << 126) * 2;  // -2^127
  CHECK(int128_text(min128) == "-170141183460469231731687303715884105728");
}

TEST_CASE("integer ranges split evenly, with 128-bit arithmetic", "[plan]") {
  CHECK(split_int_range(1, 10, 1).empty());
  CHECK(split_int_range(1, 10, 0).empty());
  CHECK(split_int_range(5, 5, 10).empty());
  CHECK(split_int_range(10, 1, 3).empty());
  CHECK(split_int_range(1, 10, 2) == std::vector<Int128>{6});
  CHECK(split_int_range(1, 10, 5) == std::vector<Int128>{3, 5, 7, 9});
  // More pieces than values: one value per part.
  CHECK(split_int_range(1, 4, 100) == std::vector<Int128>{2, 3, 4});
  CHECK(split_int_range(-2, 1, 4) == std::vector<Int128>{-1, 0, 1});

  check_split(1, 1000, 7);
  check_split(-1000, -1, 13);
  check_split(0, u128(UINT64_MAX), 2);
  check_split(0, u128(UINT64_MAX), 1000);
  check_split(0, u128(UINT64_MAX), UINT64_MAX);  // capped at 2^20 parts
  check_split(i128(INT64_MIN), i128(INT64_MAX), 3);
  check_split(i128(INT64_MIN), i128(INT64_MAX), 65537);
  check_split(1, 1000000000000000000, 3);

  std::vector<Int128> u = split_int_range(0, u128(UINT64_MAX), 2);
  CHECK(u == std::vector<Int128>{u128(std::uint64_t{1} << 63)});
  std::vector<Int128> s = split_int_range(i128(INT64_MIN), i128(INT64_MAX), 2);
  CHECK(s == std::vector<Int128>{0});
  CHECK(split_int_range(0, u128(UINT64_MAX), UINT64_MAX).size() == (std::size_t{1} << 20) - 1);
}

TEST_CASE("key types are classified", "[plan]") {
  for (const char* t : {"tinyint", "smallint", "mediumint", "int", "bigint"}) {
    CHECK(is_integer_type(t));
    CHECK(is_chunkable_type(t));
  }
  for (const char* t : {"decimal", "date", "datetime", "timestamp", "time", "year", "char",
                        "varchar", "binary", "varbinary"}) {
    CHECK_FALSE(is_integer_type(t));
    CHECK(is_chunkable_type(t));
  }
  for (const char* t : {"enum", "set", "float", "double", "bit", "json", "blob", "text",
                        "longtext", "geometry", "point", "inet6", "uuid"}) {
    CHECK_FALSE(is_chunkable_type(t));
  }
  ChunkKey k;
  CHECK_FALSE(k.single_integer());
  k.parts.push_back(part("bigint"));
  CHECK(k.single_integer());
  k.parts.push_back(part("int"));
  CHECK_FALSE(k.single_integer());
  k.parts = {part("decimal")};
  CHECK_FALSE(k.single_integer());
  k.parts = {part("year")};
  CHECK_FALSE(k.single_integer());
}

TEST_CASE("hex encodes and decodes any bytes", "[plan]") {
  CHECK(hex_encode("") == "");
  CHECK(hex_encode("\x00\xff\x10"s) == "00FF10");
  CHECK(hex_encode("\x00\xff\xab"s, HexCase::lower) == "00ffab");
  CHECK(hex_decode("00FF10") == "\x00\xff\x10"s);
  CHECK(hex_decode("00ff10") == "\x00\xff\x10"s);
  CHECK(hex_decode("") == ""s);
  CHECK_FALSE(hex_decode("0"));
  CHECK_FALSE(hex_decode("0G"));
}

TEST_CASE("key values become literals that compare as the index orders them", "[plan]") {
  CHECK(key_literal(part("bigint"), "-9223372036854775808") == "-9223372036854775808"s);
  CHECK(key_literal(part("bigint"), "18446744073709551615") == "18446744073709551615"s);
  CHECK(key_literal(part("int"), "007") == "7"s);
  CHECK_FALSE(key_literal(part("int"), "1; DROP TABLE t"));
  CHECK_FALSE(key_literal(part("int"), "1.5"));
  CHECK(key_literal(part("year"), "2024") == "2024"s);
  // DECIMAL unquoted: a quoted number would be compared as a double.
  CHECK(key_literal(part("decimal"), "-12345678901234567890.0000000001") ==
        "-12345678901234567890.0000000001"s);
  CHECK(key_literal(part("decimal"), "0") == "0"s);
  CHECK_FALSE(key_literal(part("decimal"), "1e5"));
  CHECK_FALSE(key_literal(part("decimal"), "1."));
  CHECK_FALSE(key_literal(part("decimal"), "'1'"));
  CHECK(key_literal(part("datetime"), "2024-02-29 23:59:59.999999") ==
        "'2024-02-29 23:59:59.999999'"s);
  CHECK(key_literal(part("timestamp"), "0000-00-00 00:00:00") == "'0000-00-00 00:00:00'"s);
  CHECK(key_literal(part("date"), "2024-01-01") == "'2024-01-01'"s);
  CHECK_FALSE(key_literal(part("date"), "2024-01-01' OR '1"));
  CHECK(key_literal(part("time"), "-838:59:59.000000") == "CAST('-838:59:59.000000' AS TIME(6))"s);
  CHECK(key_literal(part("varchar", "utf8mb4", "utf8mb4_general_ci"), "a'b\0\xff"s) ==
        "_utf8mb4 X'61276200FF' COLLATE utf8mb4_general_ci"s);
  CHECK(key_literal(part("char", "latin1", "latin1_bin"), "") == "_latin1 '' COLLATE latin1_bin"s);
  CHECK_FALSE(key_literal(part("varchar", "utf8mb4", "x; DROP"), "a"));
  CHECK_FALSE(key_literal(part("varchar", "", ""), "a"));
  CHECK(key_literal(part("binary"), "\x00\xff"s) == "X'00FF'"s);
  CHECK(key_literal(part("varbinary"), "") == "X''"s);
  CHECK_FALSE(key_literal(part("float"), "1.5"));
  CHECK_FALSE(key_literal(part("enum"), "a"));
}

TEST_CASE("bounds for messages are ASCII", "[plan]") {
  CHECK(bound_text({part("int")}, {"-5"}) == "-5");
  CHECK(bound_text({part("varchar", "utf8mb4", "utf8mb4_bin")}, {"abc"}) == "'abc'");
  CHECK(bound_text({part("varchar", "utf8mb4", "utf8mb4_bin")}, {"\xc3\xa9"}) == "0xC3A9");
  CHECK(bound_text({part("binary")}, {"\x00\x01"s}) == "0x0001");
  CHECK(bound_text({part("int"), part("varchar", "utf8mb4", "utf8mb4_bin")}, {"7", "x y"}) ==
        "(7, 'x y')");
}

TEST_CASE("tuple predicates expand into column comparisons", "[plan]") {
  std::vector<std::string> one{"`a`"}, three{"`a`", "`b`", "`c`"};
  CHECK(tuple_at_least(one, {"1"}) == "`a` >= 1");
  CHECK(tuple_above(one, {"1"}) == "`a` > 1");
  CHECK(tuple_below(one, {"1"}) == "`a` < 1");
  CHECK(tuple_at_least(three, {"1", "2", "3"}) ==
        "`a` >= 1 AND (`a` > 1 OR (`a` = 1 AND `b` > 2) OR (`a` = 1 AND `b` = 2 AND `c` >= 3))");
  CHECK(tuple_above(three, {"1", "2", "3"}) ==
        "`a` >= 1 AND (`a` > 1 OR (`a` = 1 AND `b` > 2) OR (`a` = 1 AND `b` = 2 AND `c` > 3))");
  CHECK(tuple_below(three, {"1", "2", "3"}) ==
        "`a` <= 1 AND (`a` < 1 OR (`a` = 1 AND `b` < 2) OR (`a` = 1 AND `b` = 2 AND `c` < 3))");
  std::vector<std::string> lo{"1"}, hi{"9"};
  CHECK(range_predicate(one, nullptr, nullptr) == "");
  CHECK(range_predicate(one, &lo, nullptr) == "`a` >= 1");
  CHECK(range_predicate(one, nullptr, &hi) == "`a` < 9");
  CHECK(range_predicate(one, &lo, &hi) == "(`a` >= 1) AND (`a` < 9)");
}

// The predicates' logic, evaluated in C++ over every tuple of a small domain: for any
// boundaries b1 < b2 < ... the chunks (-inf, b1), [b1, b2), ..., [bk, +inf) hold each tuple
// exactly once. The evaluator reads the expanded text back, so it checks what the server
// would be given.
namespace {

using Tuple = std::vector<int>;

// Evaluates a predicate made by the builders above over columns `a`, `b`, `c` and integer
// literals: a tiny recursive-descent parser for OR / AND / parentheses / comparisons.
struct Eval {
  const std::string& s;
  const Tuple& t;
  std::size_t i = 0;

  void ws() {
    while (i < s.size() && s[i] == ' ') ++i;
  }
  bool eat(const std::string& tok) {
    ws();
    if (s.compare(i, tok.size(), tok) == 0) {
      i += tok.size();
      return true;
    }
    return false;
  }
  bool expr() {
    bool v = term();
    while (eat("OR ")) v = term() || v;
    return v;
  }
  bool term() {
    bool v = factor();
    while (eat("AND ")) v = factor() && v;
    return v;
  }
  bool factor() {
    if (eat("(")) {
      bool v = expr();
      REQUIRE(eat(")"));
      return v;
    }
    REQUIRE(eat("`"));
    int col = s[i] - 'a';
    i += 2;
    ws();
    std::string op;
    while (s[i] == '<' || s[i] == '>' || s[i] == '=') op.push_back(s[i++]);
    ws();
    std::size_t used = 0;
    int lit = std::stoi(s.substr(i), &used);
    i += used;
    int x = t.at(static_cast<std::size_t>(col));
    if (op == "<") return x < lit;
    if (op == "<=") return x <= lit;
    if (op == ">") return x > lit;
    if (op == ">=") return x >= lit;
    if (op == "=") return x == lit;
    FAIL("bad operator " << op);
    return false;
  }
};

bool holds(const std::string& pred, const Tuple& t) {
  if (pred.empty()) return true;
  Eval e{pred, t};
  bool v = e.expr();
  e.ws();
  REQUIRE(e.i == pred.size());
  return v;
}

std::vector<std::string> lits(const Tuple& t) {
  std::vector<std::string> out;
  for (int v : t) out.push_back(std::to_string(v));
  return out;
}

}  // namespace

TEST_CASE("tuple chunks cover every tuple exactly once", "[plan]") {
  std::vector<std::string> cols{"`a`", "`b`", "`c`"};
  std::vector<Tuple> all;
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 4; ++b)
      for (int c = 0; c < 4; ++c) all.push_back({a, b, c});
  // Boundary sets: every 5th tuple, every 7th, boundaries sharing a prefix, one boundary.
  for (std::size_t step : {std::size_t{1}, std::size_t{5}, std::size_t{7}, std::size_t{16},
                           std::size_t{63}}) {
    std::vector<std::vector<std::string>> bounds;
    for (std::size_t i = step; i < all.size(); i += step) bounds.push_back(lits(all[i]));
    std::vector<std::string> preds;
    for (std::size_t i = 0; i <= bounds.size(); ++i) {
      preds.push_back(range_predicate(cols, i > 0 ? &bounds[i - 1] : nullptr,
                                      i < bounds.size() ? &bounds[i] : nullptr));
    }
    for (const Tuple& t : all) {
      int n = 0;
      for (const auto& p : preds) n += holds(p, t) ? 1 : 0;
      INFO("step " << step << " tuple " << t[0] << "," << t[1] << "," << t[2]);
      REQUIRE(n == 1);
    }
    // The strict form used to find the next boundary is "at least" minus the tuple itself.
    for (const auto& b : bounds) {
      Tuple bt{std::stoi(b[0]), std::stoi(b[1]), std::stoi(b[2])};
      for (const Tuple& t : all) {
        REQUIRE(holds(tuple_above(cols, b), t) == (t > bt));
        REQUIRE(holds(tuple_at_least(cols, b), t) == (t >= bt));
        REQUIRE(holds(tuple_below(cols, b), t) == (t < bt));
      }
    }
  }
}

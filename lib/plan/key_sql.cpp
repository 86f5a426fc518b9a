#include "plan/key_sql.h"

#include <algorithm>
#include <array>

#include "sql/quote.h"

namespace omsbackup {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_digit);
}

// Optional minus, digits, optionally '.' and digits.
bool is_decimal_text(std::string_view s) {
  if (!s.empty() && s.front() == '-') s.remove_prefix(1);
  std::size_t dot = s.find('.');
  if (dot == std::string_view::npos) return all_digits(s);
  return all_digits(s.substr(0, dot)) && all_digits(s.substr(dot + 1));
}

// Only the characters a temporal value's text can have.
bool is_temporal_text(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return is_digit(c) || c == '-' || c == ':' || c == ' ' || c == '.';
  });
}

bool is_plain_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  });
}

bool is_printable_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x7f;
  });
}

bool one_of(std::string_view v, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

}  // namespace

std::optional<Int128> parse_int128(std::string_view text) {
  bool negative = false;
  if (!text.empty() && text.front() == '-') {
    negative = true;
    text.remove_prefix(1);
  }
  if (!all_digits(text) || text.size() > 38) return std::nullopt;
  Int128 v = 0;
  for (char c : text) v = v * 10 + (c - '0');
  return negative ? -v : v;
}

std::string int128_text(Int128 v) {
  if (v == 0) return "0";
  bool negative = v < 0;
  // Digits of the magnitude, computed on the negative side so that no value overflows.
  std::string digits;
  Int128 n = negative ? v : -v;
  while (n != 0) {
    digits.push_back(static_cast<char>('0' - static_cast<int>(n % 10)));
    n /= 10;
  }
  if (negative) digits.push_back('-');
  std::reverse(digits.begin(), digits.end());
  return digits;
}

std::vector<Int128> split_int_range(Int128 lo, Int128 hi, std::uint64_t pieces) {
  std::vector<Int128> out;
  if (hi < lo) return out;
  const Int128 span = hi - lo + 1;
  Int128 k = static_cast<Int128>(std::min<std::uint64_t>(pieces, std::uint64_t{1} << 20));
  if (span < k) k = span;
  if (k <= 1) return out;
  // b_i = lo + floor(span * i / k), without forming span * i (which may not fit):
  // span = q*k + r, so span*i/k = q*i + r*i/k with r*i < k*k <= 2^40.
  const Int128 q = span / k, r = span % k;
  out.reserve(static_cast<std::size_t>(k - 1));
  for (Int128 i = 1; i < k; ++i) out.push_back(lo + q * i + (r * i) / k);
  return out;
}

bool is_integer_type(std::string_view t) {
  return one_of(t, {"tinyint", "smallint", "mediumint", "int", "integer", "bigint"});
}
bool is_text_type(std::string_view t) { return one_of(t, {"char", "varchar"}); }
bool is_binary_type(std::string_view t) { return one_of(t, {"binary", "varbinary"}); }

bool is_chunkable_type(std::string_view t) {
  return is_integer_type(t) || is_text_type(t) || is_binary_type(t) ||
         one_of(t, {"decimal", "numeric", "date", "datetime", "timestamp", "time", "year"});
}


std::optional<std::string> key_literal(const KeyPart& part, std::string_view value) {
  const std::string& t = part.data_type;
  if (is_integer_type(t)) {
    auto v = parse_int128(value);
    if (!v) return std::nullopt;
    return int128_text(*v);
  }
  if (t == "year") {
    if (!all_digits(value)) return std::nullopt;
    return std::string(value);
  }
  if (t == "decimal" || t == "numeric") {
    if (!is_decimal_text(value)) return std::nullopt;
    return std::string(value);
  }
  if (t == "date" || t == "datetime" || t == "timestamp") {
    if (!is_temporal_text(value)) return std::nullopt;
    return quote_string(value);
  }
  if (t == "time") {
    if (!is_temporal_text(value)) return std::nullopt;
    return "CAST(" + quote_string(value) + " AS TIME(6))";
  }
  if (is_text_type(t)) {
    if (!is_plain_name(part.charset) || !is_plain_name(part.collation)) return std::nullopt;
    std::string body = value.empty() ? std::string("''") : "X'" + hex_encode(value) + "'";
    return "_" + part.charset + " " + body + " COLLATE " + part.collation;
  }
  if (is_binary_type(t)) return "X'" + hex_encode(value) + "'";
  return std::nullopt;
}

std::string bound_text(const std::vector<KeyPart>& parts, const std::vector<std::string>& values) {
  auto one = [](const KeyPart* part, const std::string& v) {
    bool stringish = part != nullptr && (is_text_type(part->data_type) ||
                                         is_binary_type(part->data_type));
    if (!is_printable_ascii(v)) return "0x" + hex_encode(v);
    return stringish ? "'" + v + "'" : v;
  };
  if (values.size() == 1) return one(parts.empty() ? nullptr : &parts[0], values[0]);
  std::string out = "(";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ", ";
    out += one(i < parts.size() ? &parts[i] : nullptr, values[i]);
  }
  return out + ")";
}

namespace {

// c1 OP_lead v1 AND (c1 OP v1 OR (c1 = v1 AND c2 OP v2) OR ... (… AND cn OP_last vn))
std::string tuple_compare(const std::vector<std::string>& cols, const std::vector<std::string>& lits,
                          const char* lead, const char* strict, const char* last) {
  const std::size_t n = std::min(cols.size(), lits.size());
  if (n == 0) return "";
  if (n == 1) return cols[0] + " " + last + " " + lits[0];
  std::string out = cols[0] + " " + lead + " " + lits[0] + " AND (";
  for (std::size_t j = 0; j < n; ++j) {
    if (j > 0) out += " OR ";
    if (j > 0) out += "(";
    for (std::size_t i = 0; i < j; ++i) out += cols[i] + " = " + lits[i] + " AND ";
    out += cols[j] + " " + (j + 1 == n ? last : strict) + " " + lits[j];
    if (j > 0) out += ")";
  }
  return out + ")";
}

}  // namespace

std::string tuple_at_least(const std::vector<std::string>& cols, const std::vector<std::string>& lits) {
  return tuple_compare(cols, lits, ">=", ">", ">=");
}

std::string tuple_below(const std::vector<std::string>& cols, const std::vector<std::string>& lits) {
  return tuple_compare(cols, lits, "<=", "<", "<");
}

std::string tuple_above(const std::vector<std::string>& cols, const std::vector<std::string>& lits) {
  return tuple_compare(cols, lits, ">=", ">", ">");
}

std::string range_predicate(const std::vector<std::string>& cols,
                            const std::vector<std::string>* lower,
                            const std::vector<std::string>* upper) {
  std::string lo = lower ? tuple_at_least(cols, *lower) : "";
  std::string up = upper ? tuple_below(cols, *upper) : "";
  if (lo.empty()) return up;
  if (up.empty()) return lo;
  return "(" + lo + ") AND (" + up + ")";
}

}  // namespace omsbackup

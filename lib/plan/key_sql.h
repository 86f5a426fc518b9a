// The planner's pure parts, no server: 128-bit integer ranges, key literals that compare
// exactly as the index orders them, and the tuple predicates that select a chunk.
#pragma once

#include "util/hex.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plan/chunk_key.h"

namespace omsbackup {

// Wide enough for BIGINT UNSIGNED and BIGINT signed at once, and for their difference.
__extension__ typedef __int128 Int128;

// Decimal integer text ("-12", "18446744073709551615"); nullopt unless it is an optional
// minus sign and 1..38 digits.
std::optional<Int128> parse_int128(std::string_view text);
std::string int128_text(Int128 v);

// Splits the inclusive range [lo, hi] (lo <= hi) into k = min(pieces, hi - lo + 1,
// 2^20) parts of nearly equal width and returns the k - 1 interior boundaries: each part
// starts at a boundary, so lo < b1 < b2 < ... <= hi. Empty when k <= 1.
std::vector<Int128> split_int_range(Int128 lo, Int128 hi, std::uint64_t pieces);

// Type classes of DATA_TYPE (lower case).
bool is_integer_type(std::string_view data_type);   // tinyint .. bigint
bool is_text_type(std::string_view data_type);      // char, varchar
bool is_binary_type(std::string_view data_type);    // binary, varbinary
bool is_chunkable_type(std::string_view data_type); // any type a chunk key may have


// An SQL literal for one key value that compares with the column exactly as the index
// orders it. `value` is the value's raw bytes for CHAR/VARCHAR/BINARY/VARBINARY, else the
// server's text. nullopt when the value does not look like a value of that type (or the
// part's charset/collation names are not plain identifiers).
//   integers, YEAR:  the decimal text, unquoted (a quoted number would compare as a double)
//   DECIMAL:         the exact decimal text, unquoted (an exact-value literal)
//   DATE, DATETIME, TIMESTAMP: the quoted text (the server converts it to the column's type)
//   TIME:            CAST('…' AS TIME(6)) (compared as a time, not as a string)
//   CHAR, VARCHAR:   _<charset> X'<hex>' COLLATE <collation>
//   BINARY, VARBINARY: X'<hex>'
std::optional<std::string> key_literal(const KeyPart& part, std::string_view value);

// Human-readable value or tuple for messages: printable ASCII text as is (strings in
// single quotes), anything else as 0x<hex>; "(a, b)" for several parts. Always ASCII.
std::string bound_text(const std::vector<KeyPart>& parts, const std::vector<std::string>& values);

// Tuple comparisons written as expanded column comparisons (no row constructors), for
// quoted column names `cols` and literals `lits` of the same length (at least one):
//   tuple_at_least: (c1, c2, c3) >= (v1, v2, v3)
//     `c1` >= v1 AND (`c1` > v1 OR (`c1` = v1 AND `c2` > v2) OR (`c1` = v1 AND `c2` = v2 AND `c3` >= v3))
//   tuple_below:    (c1, c2, c3) <  (v1, v2, v3)
//     `c1` <= v1 AND (`c1` < v1 OR (`c1` = v1 AND `c2` < v2) OR (`c1` = v1 AND `c2` = v2 AND `c3` < v3))
// With one column: `c1` >= v1 and `c1` < v1.
std::string tuple_at_least(const std::vector<std::string>& cols, const std::vector<std::string>& lits);
std::string tuple_below(const std::vector<std::string>& cols, const std::vector<std::string>& lits);
// (c1, c2, c3) > (v1, v2, v3): like tuple_at_least with a strict last comparison.
std::string tuple_above(const std::vector<std::string>& cols, const std::vector<std::string>& lits);

// The predicate of the chunk [lower, upper): "(at least lower) AND (below upper)"; a
// missing bound is unbounded; "" when both are missing (the whole table).
std::string range_predicate(const std::vector<std::string>& cols,
                            const std::vector<std::string>* lower,
                            const std::vector<std::string>* upper);

}  // namespace omsbackup

// Hex encoding of bytes (for SQL X'..' literals and JSON-safe text).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace omsbackup {

enum class HexCase { upper, lower };

// Hex digits, two per byte: upper-case for SQL literals, lower-case for digests and ids.
std::string hex_encode(std::string_view bytes, HexCase letters = HexCase::upper);
// The same digits appended to `out` (no copy of a big value).
void hex_append(std::string& out, std::string_view bytes, HexCase letters = HexCase::upper);
// Accepts upper- or lower-case digits; nullopt for an odd length or a non-hex digit.
std::optional<std::string> hex_decode(std::string_view hex);

}  // namespace omsbackup

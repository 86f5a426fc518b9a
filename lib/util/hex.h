// Hex encoding of bytes (for SQL X'..' literals and JSON-safe text).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace omsbackup {

// Upper-case hex digits, two per byte.
std::string hex_encode(std::string_view bytes);
// Accepts upper- or lower-case digits; nullopt for an odd length or a non-hex digit.
std::optional<std::string> hex_decode(std::string_view hex);

}  // namespace omsbackup

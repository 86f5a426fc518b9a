// UTF-8 validity, for text that must go into JSON exactly.
#pragma once

#include <string_view>

namespace omsbackup {

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or code points
// above U+10FFFF).
bool is_valid_utf8(std::string_view s) noexcept;

}  // namespace omsbackup

// For commands that error messages suggest: one word for a POSIX shell, whatever it holds.
#pragma once

#include <string>

namespace omsbackup {

// 'text' in single quotes, each ' inside written as '\''.
inline std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

}  // namespace omsbackup

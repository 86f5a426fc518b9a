#include "util/hex.h"

namespace omsbackup {

void hex_append(std::string& out, std::string_view bytes, HexCase letters) {
  const char* kDigits = letters == HexCase::upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::size_t at = out.size();
  out.resize(at + bytes.size() * 2);
  char* p = out.data() + at;
  for (char c : bytes) {
    auto u = static_cast<unsigned char>(c);
    *p++ = kDigits[u >> 4];
    *p++ = kDigits[u & 0x0f];
  }
}

std::string hex_encode(std::string_view bytes, HexCase letters) {
  std::string out;
  hex_append(out, bytes, letters);
  return out;
}

std::optional<std::string> hex_decode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>((hi << 4) | lo));
  }
  return out;
}

}  // namespace omsbackup

// Incremental SHA-256 over OpenSSL EVP.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace omsbackup {

using Sha256Digest = std::array<std::uint8_t, 32>;

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, std::size_t size);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // Returns the digest and resets the hasher for reuse.
  Sha256Digest finish();

  static Sha256Digest of(std::string_view data);

 private:
  evp_md_ctx_st* ctx_;
};

std::string to_hex(const Sha256Digest& d);
// Parses 64 hex digits; returns false on anything else.
bool from_hex(std::string_view hex, Sha256Digest& out);

}  // namespace omsbackup

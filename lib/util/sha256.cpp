#include "util/sha256.h"

#include <openssl/evp.h>

#include "omsbackup/error.h"

namespace omsbackup {

static void check(int ok, const char* what) {
  if (ok != 1) throw Error(Errc::internal, "sha256", what);
}

// The SHA-256 implementation, fetched from the default provider once per process.
// EVP_sha256() is only a name for it: every EVP_DigestInit_ex() with it fetches the
// implementation again (a locked lookup), which cost more than hashing a short row.
static const EVP_MD* sha256_md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (md == nullptr) throw Error(Errc::internal, "sha256", "EVP_MD_fetch(SHA256) failed");
  return md;
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr) throw Error(Errc::internal, "sha256", "EVP_MD_CTX_new failed");
  check(EVP_DigestInit_ex(ctx_, sha256_md(), nullptr), "EVP_DigestInit_ex failed");
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

void Sha256::update(const void* data, std::size_t size) {
  if (size != 0) check(EVP_DigestUpdate(ctx_, data, size), "EVP_DigestUpdate failed");
}

Sha256Digest Sha256::finish() {
  Sha256Digest d{};
  unsigned int len = 0;
  check(EVP_DigestFinal_ex(ctx_, d.data(), &len), "EVP_DigestFinal_ex failed");
  check(EVP_DigestInit_ex(ctx_, sha256_md(), nullptr), "EVP_DigestInit_ex failed");
  return d;
}

Sha256Digest Sha256::of(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.finish();
}

std::string to_hex(const Sha256Digest& d) {
  static const char* digits = "0123456789abcdef";
  std::string out(64, '0');
  for (std::size_t i = 0; i < d.size(); ++i) {
    out[2 * i] = digits[d[i] >> 4];
    out[2 * i + 1] = digits[d[i] & 15];
  }
  return out;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool from_hex(std::string_view hex, Sha256Digest& out) {
  if (hex.size() != 64) return false;
  for (std::size_t i = 0; i < 32; ++i) {
    int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return true;
}

}  // namespace omsbackup

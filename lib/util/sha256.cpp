#include "util/sha256.h"

#include <openssl/evp.h>

#include <algorithm>

#include "omsbackup/error.h"
#include "util/hex.h"

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
  return hex_encode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()),
                    HexCase::lower);
}

bool from_hex(std::string_view hex, Sha256Digest& out) {
  if (hex.size() != 64) return false;
  std::optional<std::string> bytes = hex_decode(hex);
  if (!bytes) return false;
  std::copy(bytes->begin(), bytes->end(), reinterpret_cast<char*>(out.data()));
  return true;
}

}  // namespace omsbackup

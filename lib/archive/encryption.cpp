#include "archive/encryption.h"

#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "omsbackup/error.h"
#include "util/hex.h"

namespace omsbackup {

namespace {

constexpr std::string_view kKeyIdInfo = "omsbackup key id";
constexpr std::string_view kDataKeyInfo = "omsbackup archive data key";
constexpr const char* kHowToMakeKey =
    "a key is 64 hex digits or 32 raw bytes; make one with "
    "`(umask 077; openssl rand -hex 32 > FILE)`";

[[noreturn]] void crypto_failure(const std::string& object, const char* what) {
  throw Error(Errc::internal, object, std::string(what) + " failed (OpenSSL)");
}

void random_bytes(std::uint8_t* out, std::size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1)
    throw Error(Errc::internal, "encryption", "the random number generator failed (RAND_bytes)");
}

// HKDF-SHA256 (RFC 5869) of a 256-bit key; no salt when salt_len is 0.
void hkdf(const SecretKey& key, const std::uint8_t* salt, std::size_t salt_len,
          std::string_view info, std::uint8_t* out, std::size_t out_len) {
  std::unique_ptr<EVP_KDF, void (*)(EVP_KDF*)> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr),
                                                   &EVP_KDF_free);
  if (!kdf) crypto_failure("encryption", "fetching HKDF");
  std::unique_ptr<EVP_KDF_CTX, void (*)(EVP_KDF_CTX*)> ctx(EVP_KDF_CTX_new(kdf.get()),
                                                           &EVP_KDF_CTX_free);
  if (!ctx) crypto_failure("encryption", "EVP_KDF_CTX_new");
  OSSL_PARAM params[5];
  std::size_t i = 0;
  params[i++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>("SHA256"), 0);
  params[i++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                                  const_cast<std::uint8_t*>(key.data()), kKeyBytes);
  if (salt_len != 0)
    params[i++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                                    const_cast<std::uint8_t*>(salt), salt_len);
  params[i++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                                  const_cast<char*>(info.data()), info.size());
  params[i] = OSSL_PARAM_construct_end();
  if (EVP_KDF_derive(ctx.get(), out, out_len, params) != 1) crypto_failure("encryption", "HKDF");
}

std::string lower_hex(const std::uint8_t* data, std::size_t n) {
  return hex_encode(std::string_view(reinterpret_cast<const char*>(data), n), HexCase::lower);
}

bool all_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

void put_be32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

std::uint32_t get_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

using CipherCtx = std::unique_ptr<evp_cipher_ctx_st, void (*)(evp_cipher_ctx_st*)>;

CipherCtx new_ctx(const ArchiveCipher& cipher, bool encrypt, const std::string& path) {
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!ctx) crypto_failure(path, "EVP_CIPHER_CTX_new");
  if (EVP_CipherInit_ex(ctx.get(), cipher.aead(), nullptr, cipher.data_key().data(), nullptr,
                        encrypt ? 1 : 0) != 1)
    crypto_failure(path, "initialising AES-256-GCM");
  return ctx;
}

// Starts segment `index` of a file: its nonce (the file's nonce prefix, then the index as
// 4 bytes big-endian) and its associated data (the file's header, the index, the final
// flag, the file's path in the archive).
void begin_segment(evp_cipher_ctx_st* ctx, const std::uint8_t* header, std::uint64_t index,
                   bool final, const std::string& path) {
  std::uint8_t iv[kNoncePrefixBytes + 4];
  std::memcpy(iv, header + kEncryptedMagic.size() + 4, kNoncePrefixBytes);
  put_be32(iv + kNoncePrefixBytes, static_cast<std::uint32_t>(index));
  if (EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, iv, -1) != 1)
    crypto_failure(path, "setting the segment nonce");
  std::uint8_t position[5];
  put_be32(position, static_cast<std::uint32_t>(index));
  position[4] = final ? 1 : 0;
  int len = 0;
  if (EVP_CipherUpdate(ctx, nullptr, &len, header, static_cast<int>(kEncryptedHeaderBytes)) != 1 ||
      EVP_CipherUpdate(ctx, nullptr, &len, position, sizeof position) != 1 ||
      EVP_CipherUpdate(ctx, nullptr, &len, reinterpret_cast<const std::uint8_t*>(path.data()),
                       static_cast<int>(path.size())) != 1)
    crypto_failure(path, "adding the associated data");
}

class StringSource final : public SequentialFile {
 public:
  explicit StringSource(std::string_view data) : data_(data) {}
  std::size_t read(char* buf, std::size_t n) override {
    std::size_t k = std::min(n, data_.size());
    std::memcpy(buf, data_.data(), k);
    data_.remove_prefix(k);
    return k;
  }

 private:
  std::string_view data_;
};

}  // namespace

// ---- keys ----

SecretKey::SecretKey(const std::uint8_t* bytes) { std::memcpy(bytes_.data(), bytes, kKeyBytes); }

SecretKey::~SecretKey() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

SecretKey parse_key(std::string_view text, const std::string& source) {
  SecretKey key;
  if (text.size() == kKeyBytes) {
    if (all_hex(text))
      throw Error(Errc::invalid_argument, source,
                  fmt::format("holds 32 hex digits, a 128-bit key; {}", kHowToMakeKey));
    std::memcpy(key.data(), text.data(), kKeyBytes);
  } else {
    const std::size_t size = text.size();
    if (text.size() >= 2 && text.substr(text.size() - 2) == "\r\n") text.remove_suffix(2);
    else if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    if (text.size() != 2 * kKeyBytes)
      throw Error(Errc::invalid_argument, source,
                  fmt::format("holds {} bytes, not a key; {}", size, kHowToMakeKey));
    if (!all_hex(text))
      throw Error(Errc::invalid_argument, source,
                  fmt::format("holds 64 characters that are not all hex digits; {}", kHowToMakeKey));
    std::optional<std::string> raw = hex_decode(text);
    std::memcpy(key.data(), raw->data(), kKeyBytes);
    OPENSSL_cleanse(raw->data(), raw->size());
  }
  if (std::all_of(key.data(), key.data() + kKeyBytes, [](std::uint8_t b) { return b == 0; }))
    throw Error(Errc::invalid_argument, source, fmt::format("is all zeros, not a key; {}", kHowToMakeKey));
  return key;
}

SecretKey read_key_file(Env& env, const std::string& path) {
  FileInfo info;
  int err = 0;
  std::unique_ptr<SequentialFile> file = env.open_named_file(path, info, err);
  if (!file)
    throw Error(Errc::invalid_argument, path,
                fmt::format("cannot open the key file: {}", std::strerror(err)));
  if (info.type != FileInfo::Type::regular)
    throw Error(Errc::invalid_argument, path, "is not a regular file; a key file is a regular file");
  if ((info.mode & 077u) != 0)
    throw Error(Errc::invalid_argument, path,
                fmt::format("is accessible by group or others (mode {:04o}); a key file must be "
                            "private to its owner: chmod 600 {}",
                            info.mode, path));
  char buf[256];
  std::size_t size = 0;
  try {
    while (size < sizeof buf) {  // far too long for a key when full: parse_key says so
      std::size_t n = file->read(buf + size, sizeof buf - size);
      if (n == 0) break;
      size += n;
    }
  } catch (const Error& e) {
    OPENSSL_cleanse(buf, sizeof buf);
    throw Error(Errc::invalid_argument, path, fmt::format("cannot read the key file: {}", e.message()));
  }
  try {
    SecretKey key = parse_key(std::string_view(buf, size), path);
    OPENSSL_cleanse(buf, sizeof buf);
    return key;
  } catch (...) {
    OPENSSL_cleanse(buf, sizeof buf);
    throw;
  }
}

std::optional<SecretKey> load_key(Env& env, const EncryptionOptions& options) {
  if (!options.key_file.empty() && !options.key.empty())
    throw Error(Errc::invalid_argument, "encryption",
                "give the key either as a file or as a value, not both");
  if (!options.key_file.empty()) return read_key_file(env, options.key_file);
  if (!options.key.empty()) return parse_key(options.key, "encryption key");
  return std::nullopt;
}

std::string key_id(const SecretKey& key) {
  std::uint8_t id[kKeyIdBytes];
  hkdf(key, nullptr, 0, kKeyIdInfo, id, sizeof id);
  return lower_hex(id, sizeof id);
}

// ---- ArchiveCipher ----

ArchiveCipher::ArchiveCipher(const SecretKey& key, const std::array<std::uint8_t, kSaltBytes>& salt)
    : salt_(salt), key_id_(omsbackup::key_id(key)) {
  hkdf(key, salt_.data(), salt_.size(), kDataKeyInfo, data_key_.data(), kKeyBytes);
  aead_ = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  if (aead_ == nullptr) crypto_failure("encryption", "fetching AES-256-GCM");
}

ArchiveCipher::~ArchiveCipher() { EVP_CIPHER_free(aead_); }

std::shared_ptr<ArchiveCipher> ArchiveCipher::create(const SecretKey& key) {
  std::array<std::uint8_t, kSaltBytes> salt{};
  random_bytes(salt.data(), salt.size());
  return std::shared_ptr<ArchiveCipher>(new ArchiveCipher(key, salt));
}

std::shared_ptr<ArchiveCipher> ArchiveCipher::open(const SecretKey& key,
                                                   const nlohmann::json& described,
                                                   const std::string& where) {
  auto text = [&](const char* name) -> std::string {
    if (!described.is_object() || !described.contains(name) || !described[name].is_string())
      throw Error(Errc::corrupt_archive, where,
                  fmt::format("has no valid \"encryption\".\"{}\" entry", name));
    return described[name].get<std::string>();
  };
  std::string cipher = text("cipher"), kdf = text("kdf"), id = text("key_id"), salt_hex = text("salt");
  if (cipher != kCipherName || kdf != kKdfName)
    throw Error(Errc::unsupported, where,
                fmt::format("the archive is encrypted with {} and {}; this omsbackup knows only {} "
                            "with {}: use a newer omsbackup",
                            cipher, kdf, kCipherName, kKdfName));
  std::optional<std::string> salt = hex_decode(salt_hex);
  if (id.size() != 2 * kKeyIdBytes || !all_hex(id) || !salt || salt->size() != kSaltBytes)
    throw Error(Errc::corrupt_archive, where, "has a malformed \"encryption\" entry (key_id, salt)");
  std::string mine = omsbackup::key_id(key);
  if (mine != id)
    throw Error(Errc::invalid_argument, where,
                fmt::format("the archive is encrypted with key id {}, the key given has id {}: "
                            "give the key file the archive was written with",
                            id, mine));
  std::array<std::uint8_t, kSaltBytes> s{};
  std::memcpy(s.data(), salt->data(), kSaltBytes);
  return std::shared_ptr<ArchiveCipher>(new ArchiveCipher(key, s));
}

nlohmann::ordered_json ArchiveCipher::describe() const {
  return {{"cipher", kCipherName},
          {"kdf", kKdfName},
          {"key_id", key_id_},
          {"salt", lower_hex(salt_.data(), salt_.size())}};
}

std::array<std::uint8_t, kNoncePrefixBytes> ArchiveCipher::new_nonce_prefix() {
  std::array<std::uint8_t, kNoncePrefixBytes> p{};
  std::lock_guard lock(mu_);
  do random_bytes(p.data(), p.size());
  while (!prefixes_.insert(p).second);
  return p;
}

// ---- EncryptingWriter ----

EncryptingWriter::EncryptingWriter(WritableFile& sink, ArchiveCipher& cipher, std::string path,
                                   std::uint32_t segment_bytes)
    : sink_(sink),
      path_(std::move(path)),
      segment_bytes_(segment_bytes),
      ctx_(new_ctx(cipher, true, path_)) {
  if (segment_bytes_ == 0 || segment_bytes_ > kMaxSegmentBytes)
    throw Error(Errc::internal, path_, "invalid encryption segment size");
  buf_ = std::make_unique<std::uint8_t[]>(std::size_t{segment_bytes_} + kTagBytes);
  std::memcpy(header_.data(), kEncryptedMagic.data(), kEncryptedMagic.size());
  put_be32(header_.data() + kEncryptedMagic.size(), segment_bytes_);
  auto prefix = cipher.new_nonce_prefix();
  std::memcpy(header_.data() + kEncryptedMagic.size() + 4, prefix.data(), prefix.size());
  emit(header_.data(), header_.size());
}

EncryptingWriter::~EncryptingWriter() = default;

void EncryptingWriter::emit(const std::uint8_t* data, std::size_t size) {
  sink_.append(std::string_view(reinterpret_cast<const char*>(data), size));
}

void EncryptingWriter::append(std::string_view data) {
  if (finished_ || failed_)
    throw Error(Errc::internal, path_, finished_ ? "append after finish()" : "append after a failure");
  try {
    while (!data.empty()) {
      // A full segment is sealed only when more data follows: the last one is sealed by
      // finish(), marked final.
      if (used_ == segment_bytes_) seal(false);
      std::size_t k = std::min<std::size_t>(segment_bytes_ - used_, data.size());
      std::memcpy(buf_.get() + used_, data.data(), k);
      used_ += k;
      data.remove_prefix(k);
    }
  } catch (...) {
    failed_ = true;
    throw;
  }
}

void EncryptingWriter::seal(bool final) {
  if (segment_ > std::numeric_limits<std::uint32_t>::max())
    throw Error(Errc::internal, path_, "too large for one encrypted file (2^32 segments)");
  evp_cipher_ctx_st* ctx = ctx_.get();
  begin_segment(ctx, header_.data(), segment_, final, path_);
  int len = 0;
  if (used_ != 0 && EVP_EncryptUpdate(ctx, buf_.get(), &len, buf_.get(), static_cast<int>(used_)) != 1)
    crypto_failure(path_, "AES-256-GCM encryption");
  if (EVP_EncryptFinal_ex(ctx, buf_.get() + used_, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, kTagBytes, buf_.get() + used_) != 1)
    crypto_failure(path_, "sealing a segment");
  emit(buf_.get(), used_ + kTagBytes);
  used_ = 0;
  ++segment_;
}

void EncryptingWriter::sync() { sink_.sync(); }

void EncryptingWriter::close() {
  throw Error(Errc::internal, path_, "close() on an encrypting writer: call finish()");
}

void EncryptingWriter::finish() {
  if (finished_ || failed_)
    throw Error(Errc::internal, path_, finished_ ? "finish() twice" : "finish() after a failure");
  try {
    seal(true);
    finished_ = true;
  } catch (...) {
    failed_ = true;
    throw;
  }
}

// ---- DecryptingReader ----

DecryptingReader::DecryptingReader(SequentialFile& source, const ArchiveCipher& cipher,
                                   std::string path)
    : source_(source), path_(std::move(path)), ctx_(new_ctx(cipher, false, path_)) {}

DecryptingReader::~DecryptingReader() = default;

void DecryptingReader::corrupt(const std::string& message) {
  failed_ = true;
  throw Error(Errc::corrupt_archive, path_, message);
}

void DecryptingReader::read_header() {
  std::size_t got = 0;
  while (got < header_.size()) {
    std::size_t n = source_.read(reinterpret_cast<char*>(header_.data()) + got, header_.size() - got);
    if (n == 0) break;
    got += n;
  }
  if (got < header_.size() ||
      std::memcmp(header_.data(), kEncryptedMagic.data(), kEncryptedMagic.size()) != 0)
    corrupt("does not start with the header of an encrypted omsbackup file (damaged, or not "
            "written by an encrypting omsbackup)");
  segment_bytes_ = get_be32(header_.data() + kEncryptedMagic.size());
  if (segment_bytes_ == 0 || segment_bytes_ > kMaxSegmentBytes)
    corrupt(fmt::format("has an invalid segment size {} in its header", segment_bytes_));
  in_ = std::make_unique<std::uint8_t[]>(std::size_t{segment_bytes_} + kTagBytes + 1);
  header_read_ = true;
}

void DecryptingReader::fill() {
  const std::size_t cap = std::size_t{segment_bytes_} + kTagBytes + 1;
  while (!eof_ && in_size_ < cap) {
    std::size_t n = source_.read(reinterpret_cast<char*>(in_.get()) + in_size_, cap - in_size_);
    if (n == 0) eof_ = true;
    in_size_ += n;
  }
}

std::size_t DecryptingReader::open_segment(std::uint8_t* out) {
  fill();
  // One byte beyond a whole segment means more follow; otherwise this one is the last.
  const std::size_t whole = std::size_t{segment_bytes_} + kTagBytes;
  const bool final = in_size_ <= whole;
  const std::size_t sealed = final ? in_size_ : whole;
  if (sealed < kTagBytes)
    corrupt(segment_ == 0 && in_size_ == 0
                ? std::string("ends after its header, without a segment (truncated)")
                : fmt::format("ends inside segment {} (truncated)", segment_));
  if (segment_ > std::numeric_limits<std::uint32_t>::max())
    corrupt("has more segments than the format allows");
  const std::size_t plain = sealed - kTagBytes;
  evp_cipher_ctx_st* ctx = ctx_.get();
  begin_segment(ctx, header_.data(), segment_, final, path_);
  int len = 0;
  if (plain != 0 && EVP_DecryptUpdate(ctx, out, &len, in_.get(), static_cast<int>(plain)) != 1)
    crypto_failure(path_, "AES-256-GCM decryption");
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kTagBytes, in_.get() + plain) != 1)
    crypto_failure(path_, "setting a segment's tag");
  // `out` holds unauthenticated bytes until this succeeds; on failure read() throws, so the
  // caller never uses them.
  if (EVP_DecryptFinal_ex(ctx, out + plain, &len) != 1)
    corrupt(fmt::format("segment {} fails authentication: the file was changed, truncated or "
                        "extended, or comes from another place or archive; do not restore from "
                        "this archive",
                        segment_));
  std::memmove(in_.get(), in_.get() + sealed, in_size_ - sealed);
  in_size_ -= sealed;
  ++segment_;
  done_ = final;
  return plain;
}

std::size_t DecryptingReader::read(char* buf, std::size_t n) {
  if (failed_) throw Error(Errc::internal, path_, "read after an earlier failure");
  try {
    if (!header_read_) read_header();
    std::size_t out = 0;
    while (out < n) {
      if (plain_pos_ < plain_size_) {
        std::size_t k = std::min(n - out, plain_size_ - plain_pos_);
        std::memcpy(buf + out, plain_.get() + plain_pos_, k);
        plain_pos_ += k;
        out += k;
        continue;
      }
      if (done_) break;
      if (n - out >= segment_bytes_) {
        // Room for a whole segment: decrypt straight into the caller's buffer.
        out += open_segment(reinterpret_cast<std::uint8_t*>(buf) + out);
      } else if (out > 0) {
        break;
      } else {
        if (!plain_) plain_ = std::make_unique<std::uint8_t[]>(segment_bytes_);
        plain_size_ = open_segment(plain_.get());
        plain_pos_ = 0;
      }
    }
    return out;
  } catch (...) {
    failed_ = true;
    throw;
  }
}

// ---- whole small files ----

std::string encrypt_to_string(ArchiveCipher& cipher, const std::string& path, std::string_view plain) {
  std::string out;
  StringWritableFile sink(out);
  EncryptingWriter writer(sink, cipher, path);
  writer.append(plain);
  writer.finish();
  return out;
}

std::string decrypt_string(const ArchiveCipher& cipher, const std::string& path,
                           std::string_view sealed) {
  StringSource source(sealed);
  DecryptingReader reader(source, cipher, path);
  std::string out;
  char buf[1 << 16];
  while (std::size_t n = reader.read(buf, sizeof buf)) out.append(buf, n);
  return out;
}

}  // namespace omsbackup

// Encrypted archives (docs/archive-format.md section 9): the key, the archive's data key,
// and the segmented AES-256-GCM framing of each file, as a WritableFile that encrypts into
// another and a SequentialFile that decrypts from another. Memory is one segment per file,
// whatever the file's size.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "util/env.h"
#include "omsbackup/encryption.h"
#include "util/sha256.h"

struct evp_cipher_ctx_st;
struct evp_cipher_st;

namespace omsbackup {

inline constexpr std::size_t kKeyBytes = 32;
inline constexpr std::size_t kSaltBytes = 32;
inline constexpr std::size_t kKeyIdBytes = 8;
inline constexpr std::size_t kTagBytes = 16;
inline constexpr std::size_t kNoncePrefixBytes = 8;
inline constexpr std::size_t kEncryptedHeaderBytes = 20;  // magic, segment size, nonce prefix
inline constexpr std::uint32_t kSegmentBytes = 64u << 10;    // what the writer uses
inline constexpr std::uint32_t kMaxSegmentBytes = 16u << 20;  // the most a reader accepts
inline constexpr std::string_view kEncryptedMagic = "OMSBENC1";
inline constexpr const char* kCipherName = "AES-256-GCM";
inline constexpr const char* kKdfName = "HKDF-SHA256";
inline constexpr const char* kEncryptedSuffix = ".enc";

// 256 bits of key, wiped from memory when destroyed.
class SecretKey {
 public:
  SecretKey() = default;
  explicit SecretKey(const std::uint8_t* bytes);
  ~SecretKey();
  SecretKey(const SecretKey& other) = default;
  SecretKey& operator=(const SecretKey& other) = default;

  const std::uint8_t* data() const { return bytes_.data(); }
  std::uint8_t* data() { return bytes_.data(); }

 private:
  std::array<std::uint8_t, kKeyBytes> bytes_{};
};

// Key text: 64 hex digits (optionally followed by "\n" or "\r\n") or exactly 32 raw bytes.
// Throws Error(invalid_argument, source, what is wrong and how to make a key).
SecretKey parse_key(std::string_view text, const std::string& source);
// Reads and parses a key file; refuses anything but a regular file that group and others
// cannot access.
SecretKey read_key_file(Env& env, const std::string& path);
// The key the options name, or nullopt when encryption is not enabled.
std::optional<SecretKey> load_key(Env& env, const EncryptionOptions& options);
// The key's public identifier: HKDF-SHA256(key, no salt, "omsbackup key id"), 8 bytes as 16
// lowercase hex digits. The same key always has the same id; it reveals nothing of the key.
std::string key_id(const SecretKey& key);

// An archive's data key: HKDF-SHA256 of the key with the archive's random salt. Readers
// share one (it is immutable); writers also take nonce prefixes from it (thread-safe).
class ArchiveCipher {
 public:
  // For a new archive: a fresh random salt.
  static std::shared_ptr<ArchiveCipher> create(const SecretKey& key);
  // For reading, from the DONE marker's "encryption" object. Throws Error(corrupt_archive)
  // if it is malformed, Error(unsupported) for another cipher or KDF, and
  // Error(invalid_argument) naming both key ids if the key is not the archive's.
  static std::shared_ptr<ArchiveCipher> open(const SecretKey& key, const nlohmann::json& described,
                                             const std::string& marker);
  ~ArchiveCipher();
  ArchiveCipher(const ArchiveCipher&) = delete;
  ArchiveCipher& operator=(const ArchiveCipher&) = delete;

  // The DONE marker's "encryption" object.
  nlohmann::ordered_json describe() const;
  const std::string& key_id() const { return key_id_; }
  // A random nonce prefix never handed out before by this cipher, so that no two files of
  // an archive share one.
  std::array<std::uint8_t, kNoncePrefixBytes> new_nonce_prefix();

  const SecretKey& data_key() const { return data_key_; }
  const evp_cipher_st* aead() const { return aead_; }

 private:
  ArchiveCipher(const SecretKey& key, const std::array<std::uint8_t, kSaltBytes>& salt);

  std::array<std::uint8_t, kSaltBytes> salt_{};
  SecretKey data_key_;
  std::string key_id_;
  evp_cipher_st* aead_ = nullptr;  // AES-256-GCM, fetched once
  std::mutex mu_;
  std::set<std::array<std::uint8_t, kNoncePrefixBytes>> prefixes_;
};

// Encrypts everything appended into `sink`: the header, then segments of `segment_bytes`
// of plaintext, each sealed with its own tag; finish() seals the last one. `path` is the
// file's path in the archive (bound into every segment) and names it in errors. The sink
// must outlive the writer and is never closed by it. What the sink stores is measured below
// it (HashingFile).
class EncryptingWriter final : public WritableFile {
 public:
  EncryptingWriter(WritableFile& sink, ArchiveCipher& cipher, std::string path,
                   std::uint32_t segment_bytes = kSegmentBytes);
  ~EncryptingWriter() override;

  void append(std::string_view data) override;
  // Syncs what has been sealed so far (the current segment is still buffered).
  void sync() override;
  // Throws: use finish().
  void close() override;
  // Seals the last segment (not syncing or closing the sink).
  void finish();

 private:
  void seal(bool final);
  void emit(const std::uint8_t* data, std::size_t size);

  WritableFile& sink_;
  std::string path_;
  std::uint32_t segment_bytes_;
  std::array<std::uint8_t, kEncryptedHeaderBytes> header_{};
  std::unique_ptr<evp_cipher_ctx_st, void (*)(evp_cipher_ctx_st*)> ctx_;
  std::unique_ptr<std::uint8_t[]> buf_;  // one segment of plaintext, then its ciphertext and tag
  std::size_t used_ = 0;
  std::uint64_t segment_ = 0;
  bool finished_ = false;
  bool failed_ = false;
};

// Decrypts a file written by EncryptingWriter. read() returns only plaintext whose
// segment has been authenticated, and throws Error(corrupt_archive, path) for a bad
// header, a segment that fails authentication (changed bytes, a file moved from another
// path or archive, segments reordered) or a file that ends early or goes on after its last
// segment.
class DecryptingReader final : public SequentialFile {
 public:
  DecryptingReader(SequentialFile& source, const ArchiveCipher& cipher, std::string path);
  ~DecryptingReader() override;

  std::size_t read(char* buf, std::size_t n) override;

 private:
  void read_header();
  void fill();
  // Opens the next segment into `out` (at least its plaintext size); returns that size.
  std::size_t open_segment(std::uint8_t* out);
  [[noreturn]] void corrupt(const std::string& message);

  SequentialFile& source_;
  std::string path_;
  std::uint32_t segment_bytes_ = 0;
  std::array<std::uint8_t, kEncryptedHeaderBytes> header_{};
  std::unique_ptr<evp_cipher_ctx_st, void (*)(evp_cipher_ctx_st*)> ctx_;
  std::unique_ptr<std::uint8_t[]> in_;     // ciphertext: one sealed segment and one byte more
  std::size_t in_size_ = 0;
  std::unique_ptr<std::uint8_t[]> plain_;  // an opened segment, when the caller's buffer is small
  std::size_t plain_pos_ = 0, plain_size_ = 0;
  std::uint64_t segment_ = 0;
  bool header_read_ = false, eof_ = false, done_ = false, failed_ = false;
};

// Encrypts or decrypts a whole small file in memory (the manifest).
std::string encrypt_to_string(ArchiveCipher& cipher, const std::string& path, std::string_view plain);
std::string decrypt_string(const ArchiveCipher& cipher, const std::string& path,
                           std::string_view sealed);

}  // namespace omsbackup

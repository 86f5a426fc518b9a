// libFuzzer target: DecryptingReader on arbitrary bytes, as an encrypted archive file
// (docs/archive-format.md section 9) at the path "data/fuzz.enc", under a fixed key and salt
// (kKeyHex, kSaltHex below; the seeds in corpus/decrypt were written with them).
//
// The bytes are served in short reads of varying sizes, and read() is called with varying
// buffer sizes, until it returns 0. A normal rejection is an omsbackup::Error of kind
// corrupt_archive. Findings (abort): any other exception or Error kind, and for an accepted
// input:
//   - the plaintext size is not the file size minus the header and one tag per segment;
//   - read() does not keep returning 0 at the end;
//   - reading again with one large buffer gives other bytes.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "archive/encryption.h"
#include "omsbackup/error.h"

using namespace omsbackup;

namespace {

const char* kKeyHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const char* kSaltHex = "1111111111111111111111111111111111111111111111111111111111111111";
const std::string kPath = "data/fuzz.enc";

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "fuzz_decrypt: FINDING: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

class MemoryFile final : public SequentialFile {
 public:
  MemoryFile(std::string_view data, bool short_reads) : data_(data), short_(short_reads) {}
  std::size_t read(char* buf, std::size_t n) override {
    static constexpr std::array<std::size_t, 4> kSizes = {1, 7, 4096, 1u << 17};
    std::size_t k = std::min(n, data_.size() - pos_);
    if (short_) k = std::min(k, kSizes[calls_++ % kSizes.size()]);
    std::memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  std::string_view data_;
  bool short_;
  std::size_t pos_ = 0;
  std::size_t calls_ = 0;
};

const ArchiveCipher& cipher() {
  static const std::shared_ptr<ArchiveCipher> c = [] {
    SecretKey key = parse_key(kKeyHex, "fuzz key");
    nlohmann::json d = {{"cipher", kCipherName}, {"kdf", kKdfName}, {"key_id", key_id(key)},
                        {"salt", kSaltHex}};
    return ArchiveCipher::open(key, d, "fuzz");
  }();
  return *c;
}

// Reads the whole file; throws what the reader throws.
std::string read_all(std::string_view data, bool varied) {
  MemoryFile file(data, varied);
  DecryptingReader reader(file, cipher(), kPath);
  static constexpr std::array<std::size_t, 4> kBufs = {1, 4093, 1u << 16, 1u << 17};
  std::string out, buf(1u << 17, '\0');
  for (std::size_t call = 0;; ++call) {
    std::size_t want = varied ? kBufs[call % kBufs.size()] : buf.size();
    std::size_t n = reader.read(buf.data(), want);
    if (n > want) finding("read() returned more than asked");
    if (n == 0) break;
    out.append(buf.data(), n);
  }
  if (reader.read(buf.data(), buf.size()) != 0) finding("read() did not stay at the end");
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string plain;
  try {
    plain = read_all(input, true);
  } catch (const Error& e) {
    if (e.code() != Errc::corrupt_archive) finding(std::string("unexpected error kind: ") + e.what());
    return 0;
  } catch (const std::exception& e) {
    finding(std::string("unexpected exception: ") + e.what());
  }
  // Accepted: the sizes must add up, and a plain read must agree.
  std::uint32_t seg = (std::uint32_t{data[8]} << 24) | (std::uint32_t{data[9]} << 16) |
                      (std::uint32_t{data[10]} << 8) | std::uint32_t{data[11]};
  std::size_t body = size - kEncryptedHeaderBytes;
  std::size_t segments = (body + seg + kTagBytes - 1) / (seg + kTagBytes);
  if (body == 0 || plain.size() != body - kTagBytes * segments)
    finding("accepted a file whose size does not match its segments");
  try {
    if (read_all(input, false) != plain) finding("two reads of the same file differ");
  } catch (const Error& e) {
    finding(std::string("a second read refused an accepted file: ") + e.what());
  }
  return 0;
}

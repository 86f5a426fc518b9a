// libFuzzer target: ZstdReader on arbitrary bytes, as a compressed chunk file.
//
// The bytes are served by an in-memory SequentialFile that makes short reads (cycling through
// several sizes), and read() is called with varying buffer sizes, until it returns 0. Output
// is capped at kMaxOutput (a small input can expand enormously); a capped input stops there.
//
// A normal rejection is an omsbackup::Error of kind corrupt_archive. Findings (abort): any
// other exception or Error kind, and when the whole file was read:
//   - stored_bytes() or stored_sha256() do not match the file;
//   - raw_bytes() does not match the bytes returned;
//   - read() does not keep returning 0 at the end;
//   - the output differs from a plain ZSTD_decompressStream decode of the whole file.
#include <zstd.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include "archive/env.h"
#include "archive/zstd_stream.h"
#include "omsbackup/error.h"
#include "util/sha256.h"

using namespace omsbackup;

namespace {

constexpr std::size_t kMaxOutput = 8u << 20;

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "fuzz_zstd_reader: FINDING: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

// A file in memory; read() returns at most the next size of a fixed cycle of sizes.
class MemoryFile final : public SequentialFile {
 public:
  explicit MemoryFile(std::string_view data) : data_(data) {}
  std::size_t read(char* buf, std::size_t n) override {
    static constexpr std::array<std::size_t, 5> kSizes = {1u << 17, 1, 13, 4096, 1u << 17};
    std::size_t k = std::min({n, data_.size() - pos_, kSizes[calls_++ % kSizes.size()]});
    std::memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
  std::size_t calls_ = 0;
};

// Reference: the whole file through ZSTD_decompressStream in one go; nullopt-like flag on error.
bool reference_decode(std::string_view file, std::string& out) {
  std::unique_ptr<ZSTD_DCtx, std::size_t (*)(ZSTD_DCtx*)> dctx(ZSTD_createDCtx(), &ZSTD_freeDCtx);
  if (!dctx) finding("ZSTD_createDCtx failed");
  ZSTD_inBuffer in{file.data(), file.size(), 0};
  std::string buf(1u << 17, '\0');
  std::size_t rc = 1;
  while (out.size() < kMaxOutput) {
    ZSTD_outBuffer o{buf.data(), buf.size(), 0};
    rc = ZSTD_decompressStream(dctx.get(), &o, &in);
    if (ZSTD_isError(rc)) return false;
    out.append(buf.data(), o.pos);
    if (in.pos == in.size && o.pos < o.size) break;  // all input used, all output flushed
  }
  return rc == 0 || out.size() >= kMaxOutput;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view file(reinterpret_cast<const char*>(data), size);
  try {
    MemoryFile source(file);
    ZstdReader reader(source, "fuzz.zst");
    std::string output;
    static constexpr std::array<std::size_t, 4> kReadSizes = {65536, 1, 4093, 131072};
    std::string buf(131072, '\0');
    std::size_t calls = 0;
    bool capped = false;
    try {
      for (;;) {
        std::size_t want = kReadSizes[calls++ % kReadSizes.size()];
        std::size_t n = reader.read(buf.data(), want);
        if (n > want) finding("read() returned more than asked for");
        if (n == 0) break;
        output.append(buf.data(), n);
        if (output.size() >= kMaxOutput) {
          capped = true;
          break;
        }
      }
    } catch (const Error& e) {
      if (e.code() == Errc::corrupt_archive) return 0;
      finding(std::string("read() threw an Error of kind ") + errc_name(e.code()) + ": " +
              e.what());
    }

    if (reader.raw_bytes() != output.size()) finding("raw_bytes() != bytes returned");
    std::string expected;
    bool ok = reference_decode(file, expected);
    if (capped) {
      if (expected.compare(0, output.size(), output) != 0 && expected.size() >= output.size())
        finding("output differs from ZSTD_decompressStream (capped)");
      return 0;
    }
    if (reader.read(buf.data(), buf.size()) != 0) finding("read() after the end returned data");
    if (reader.stored_bytes() != size) {
      finding("stored_bytes() " + std::to_string(reader.stored_bytes()) + " != file size " +
              std::to_string(size));
    }
    if (to_hex(reader.stored_sha256()) != to_hex(Sha256::of(file)))
      finding("stored_sha256() is not the SHA-256 of the file");
    if (!ok) finding("ZstdReader accepted a file that ZSTD_decompressStream rejects");
    if (expected != output) finding("output differs from ZSTD_decompressStream");
  } catch (const Error& e) {
    finding(std::string("unexpected omsbackup::Error: ") + e.what());
  } catch (const std::exception& e) {
    finding(std::string("exception other than omsbackup::Error: ") + e.what());
  } catch (...) {
    finding("exception of unknown type");
  }
  return 0;
}

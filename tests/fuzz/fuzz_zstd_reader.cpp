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
#include <string>
#include <string_view>

#include "util/env.h"
#include "archive/zstd_stream.h"
#include "omsbackup/error.h"
#include "util/sha256.h"
#include "finding.h"

using namespace omsbackup;

namespace {

constexpr std::size_t kMaxOutput = 8u << 20;

using omsbackup::fuzz::finding;

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

enum class Ref { ok, error, truncated };

// Reference: the whole file through one plain ZSTD_decompressStream loop, with output buffers
// of `out_size` bytes, stopping at kMaxOutput. The context and buffer are reused across inputs
// (large allocations per input are slow under ASan).
Ref reference_decode(std::string_view file, std::size_t out_size, std::string& out) {
  static ZSTD_DCtx* dctx = ZSTD_createDCtx();
  static std::string buf(1u << 17, '\0');
  if (dctx == nullptr) finding("ZSTD_createDCtx failed");
  ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);
  out.clear();
  ZSTD_inBuffer in{file.data(), file.size(), 0};
  std::size_t rc = 1;
  while (out.size() < kMaxOutput) {
    ZSTD_outBuffer o{buf.data(), std::min(out_size, buf.size()), 0};
    std::size_t in_before = in.pos;
    std::size_t r = ZSTD_decompressStream(dctx, &o, &in);
    if (ZSTD_isError(r)) return Ref::error;
    out.append(buf.data(), o.pos);
    // A call that neither reads nor writes (after a frame ended exactly at a full output
    // buffer) says "expecting a new frame": the state is the previous call's.
    if (in.pos != in_before || o.pos != 0) rc = r;
    if (in.pos == in.size && o.pos < o.size) break;  // all input used, all output flushed
  }
  if (out.size() >= kMaxOutput) return Ref::ok;
  return rc == 0 && !file.empty() ? Ref::ok : Ref::truncated;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view file(reinterpret_cast<const char*>(data), size);
  try {
    MemoryFile source(file);
    ZstdReader reader(source, "fuzz.zst");
    std::string output;
    static constexpr std::array<std::size_t, 4> kReadSizes = {65536, 1, 4093, 131072};
    static std::string buf(131072, '\0');
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
    Ref ref = reference_decode(file, 1u << 17, expected);
    if (capped) {
      if (expected.size() >= output.size() && expected.compare(0, output.size(), output) != 0)
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
    if (ref == Ref::error) {
      // libzstd 1.5.x itself accepts or rejects some malformed frames depending on the output
      // buffer size: a single-segment frame whose declared content size disagrees with an
      // empty last block is rejected when the whole frame fits the output buffer, accepted
      // when it is decoded piecewise. ZstdReader uses varying sizes here; accept it when
      // libzstd accepts the file with 1-byte output buffers and gives the same bytes.
      ref = reference_decode(file, 1, expected);
    }
    if (ref == Ref::truncated) finding("ZstdReader accepted a truncated file");
    if (ref == Ref::error) finding("ZstdReader accepted a file that ZSTD_decompressStream rejects");
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

#include "archive/zstd_stream.h"

#include <zstd.h>

#include <algorithm>
#include <utility>

#include "omsbackup/error.h"

namespace omsbackup {

namespace {

std::string zstd_error(const char* what, std::size_t code) {
  return std::string(what) + ": " + ZSTD_getErrorName(code);
}

}  // namespace

// ---- ZstdWriter ----

ZstdWriter::ZstdWriter(WritableFile& sink, int level, int workers, std::string path)
    : sink_(sink),
      path_(std::move(path)),
      cctx_(ZSTD_createCCtx(), &ZSTD_freeCCtx),
      out_size_(ZSTD_CStreamOutSize()) {
  if (!cctx_) throw Error(Errc::internal, path_, "ZSTD_createCCtx failed");
  out_ = std::make_unique<char[]>(out_size_);

  level = std::clamp(level, ZSTD_minCLevel(), ZSTD_maxCLevel());
  auto set = [&](ZSTD_cParameter param, int value, const char* what) {
    std::size_t rc = ZSTD_CCtx_setParameter(cctx_.get(), param, value);
    if (ZSTD_isError(rc)) throw Error(Errc::invalid_argument, path_, zstd_error(what, rc));
  };
  set(ZSTD_c_compressionLevel, level, "setting the zstd compression level");
  set(ZSTD_c_checksumFlag, 1, "enabling the zstd checksum");
  if (workers > 0) {
    ZSTD_bounds bounds = ZSTD_cParam_getBounds(ZSTD_c_nbWorkers);
    int usable = ZSTD_isError(bounds.error) ? 0 : std::min(workers, bounds.upperBound);
    if (usable > 0) set(ZSTD_c_nbWorkers, usable, "setting the zstd worker count");
  }
}

ZstdWriter::~ZstdWriter() = default;

void ZstdWriter::check_usable(std::string_view doing) const {
  if (!finished_ && !failed_) return;
  throw Error(Errc::internal, path_,
              std::string(doing) + " after " + (finished_ ? "finish()" : "an earlier failure"));
}

void ZstdWriter::emit(std::size_t size) {
  if (size != 0) sink_.append(std::string_view(out_.get(), size));
}

void ZstdWriter::write(std::string_view data) {
  check_usable("write");
  try {
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    while (in.pos < in.size) {
      ZSTD_outBuffer out{out_.get(), out_size_, 0};
      std::size_t rc = ZSTD_compressStream2(cctx_.get(), &out, &in, ZSTD_e_continue);
      if (ZSTD_isError(rc)) throw Error(Errc::internal, path_, zstd_error("zstd compression", rc));
      emit(out.pos);
    }
    raw_bytes_ += data.size();
  } catch (...) {
    failed_ = true;
    throw;
  }
}

void ZstdWriter::finish() {
  check_usable("finish");
  try {
    ZSTD_inBuffer in{nullptr, 0, 0};
    std::size_t remaining = 0;
    do {
      ZSTD_outBuffer out{out_.get(), out_size_, 0};
      remaining = ZSTD_compressStream2(cctx_.get(), &out, &in, ZSTD_e_end);
      if (ZSTD_isError(remaining)) {
        throw Error(Errc::internal, path_, zstd_error("zstd compression", remaining));
      }
      emit(out.pos);
    } while (remaining != 0);
    finished_ = true;
  } catch (...) {
    failed_ = true;
    throw;
  }
}

// ---- ZstdReader ----

ZstdReader::ZstdReader(SequentialFile& source, std::string path, bool hash)
    : source_(source),
      path_(std::move(path)),
      hash_enabled_(hash),
      dctx_(ZSTD_createDCtx(), &ZSTD_freeDCtx),
      in_capacity_(ZSTD_DStreamInSize()) {
  if (!dctx_) throw Error(Errc::internal, path_, "ZSTD_createDCtx failed");
  in_ = std::make_unique<char[]>(in_capacity_);
}

ZstdReader::~ZstdReader() = default;

void ZstdReader::corrupt(const std::string& message) {
  failed_ = true;
  throw Error(Errc::corrupt_archive, path_, message);
}

std::size_t ZstdReader::read(char* buf, std::size_t n) {
  if (failed_) throw Error(Errc::internal, path_, "read after an earlier failure");
  if (done_ || n == 0) return 0;
  try {
    ZSTD_outBuffer out{buf, n, 0};
    for (;;) {
      if (in_pos_ == in_size_ && !eof_) {
        in_pos_ = 0;
        in_size_ = source_.read(in_.get(), in_capacity_);
        if (in_size_ == 0) {
          eof_ = true;
        } else {
          if (hash_enabled_) hash_.update(in_.get(), in_size_);
          stored_bytes_ += in_size_;
        }
      }
      if (in_pos_ == in_size_ && eof_ && frame_complete_) {
        done_ = true;
        if (hash_enabled_) digest_ = hash_.finish();
        return 0;
      }
      ZSTD_inBuffer in{in_.get(), in_size_, in_pos_};
      std::size_t rc = ZSTD_decompressStream(dctx_.get(), &out, &in);
      bool consumed = in.pos != in_pos_;
      in_pos_ = in.pos;
      if (ZSTD_isError(rc)) corrupt(zstd_error("zstd decompression failed", rc));
      frame_complete_ = rc == 0;
      if (out.pos > 0) {
        raw_bytes_ += out.pos;
        return out.pos;
      }
      if (in_pos_ == in_size_ && eof_ && !frame_complete_) {
        corrupt(stored_bytes_ == 0 ? "empty file, not zstd data"
                                   : "truncated zstd data: the file ends inside a frame");
      }
      if (!consumed && in_pos_ < in_size_) {
        throw Error(Errc::internal, path_, "zstd decompression made no progress");
      }
    }
  } catch (...) {
    failed_ = true;
    throw;
  }
}

const Sha256Digest& ZstdReader::stored_sha256() const {
  if (!done_) throw Error(Errc::internal, path_, "stored_sha256() before the end of the data");
  if (!hash_enabled_) throw Error(Errc::internal, path_, "stored_sha256() without hashing");
  return digest_;
}

}  // namespace omsbackup

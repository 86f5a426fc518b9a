// AtomicFileWriter: a file that appears at its path complete or not at all.
//
// Writes go to "<path>.partial"; commit() syncs and closes it, renames it to <path> and
// syncs the directory. If any step fails, or the writer is destroyed without commit(), the
// .partial file is removed.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "util/env.h"

namespace omsbackup {

class AtomicFileWriter {
 public:
  // Creates (or truncates) "<path>.partial" with `mode`.
  AtomicFileWriter(Env& env, std::string path, unsigned mode = 0600);
  // Removes the .partial file unless committed; never throws.
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  // On failure the .partial file is removed and the writer can no longer be used.
  void append(std::string_view data);
  // sync, close, rename to path(), sync the directory. After a failure before the rename the
  // .partial file is removed; if only the final directory sync fails, the file stays at
  // path() but its durability is not assured (the error is still thrown).
  void commit();
  // Gives up: closes and removes the .partial file now (what the destructor does); never
  // throws.
  void abandon() noexcept;

  // A WritableFile view for stream writers (e.g. ZstdWriter): append() and sync() go to the
  // .partial file with the same failure handling; close() throws (use commit()).
  WritableFile& sink() { return sink_; }

  const std::string& path() const { return path_; }
  const std::string& partial_path() const { return partial_path_; }
  bool committed() const { return state_ == State::committed; }

 private:
  enum class State { open, committed, failed };

  class Sink final : public WritableFile {
   public:
    explicit Sink(AtomicFileWriter& owner) : owner_(owner) {}
    void append(std::string_view data) override { owner_.append(data); }
    void sync() override;
    void close() override;

   private:
    AtomicFileWriter& owner_;
  };

  void check_open(std::string_view doing) const;

  Env& env_;
  std::string path_;
  std::string partial_path_;
  std::unique_ptr<WritableFile> file_;
  State state_ = State::open;
  Sink sink_{*this};
};

// Writes `content` to `path` through an AtomicFileWriter and commits it.
void write_file_atomically(Env& env, const std::string& path, std::string_view content,
                           unsigned mode = 0600);

}  // namespace omsbackup

// Progress lines on stderr: redrawn in place on a terminal, plain periodic lines
// otherwise (logs, pipes).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace omsbackup::tools {

class ProgressPrinter {
 public:
  explicit ProgressPrinter(const char* tool);
  // Prints `line` now on a terminal (at most every 200 ms), else every 5 s.
  void update(const std::string& line, bool final = false);
  // Ends an in-place line so the next output starts on a fresh line.
  void finish();
  // Prints `line` at once on a line of its own (what the operator must know now, such as a
  // lock wait), whatever the quiet setting. Safe to call from any thread.
  void note(const std::string& line);

 private:
  std::mutex mu_;
  const char* tool_;
  bool tty_;
  bool dirty_ = false;
  std::chrono::steady_clock::time_point last_{};
};

std::string human_count(std::uint64_t n);
std::string human_duration(double seconds);

}  // namespace omsbackup::tools

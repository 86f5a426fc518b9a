#include "common/progress.h"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

namespace omsbackup::tools {

ProgressPrinter::ProgressPrinter(const char* tool) : tool_(tool), tty_(isatty(STDERR_FILENO)) {}

void ProgressPrinter::update(const std::string& line, bool final) {
  std::lock_guard lock(mu_);
  auto now = std::chrono::steady_clock::now();
  auto every = tty_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(5000);
  if (!final && now - last_ < every) return;
  last_ = now;
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s: %s", tool_, line.c_str());
    dirty_ = true;
  } else {
    std::fprintf(stderr, "%s: %s\n", tool_, line.c_str());
  }
  std::fflush(stderr);
}

void ProgressPrinter::finish() {
  std::lock_guard lock(mu_);
  if (dirty_) std::fputs("\n", stderr);
  dirty_ = false;
}

void ProgressPrinter::note(const std::string& line) {
  std::lock_guard lock(mu_);
  if (dirty_) std::fputs("\n", stderr);
  dirty_ = false;
  std::fprintf(stderr, "%s: %s\n", tool_, line.c_str());
  std::fflush(stderr);
}

std::string human_count(std::uint64_t n) {
  if (n < 10000) return std::to_string(n);
  if (n < 10000000) return fmt::format("{:.1f}k", static_cast<double>(n) / 1e3);
  return fmt::format("{:.1f}M", static_cast<double>(n) / 1e6);
}

std::string human_duration(double s) {
  auto t = static_cast<long>(s + 0.5);
  if (t < 3600) return fmt::format("{}:{:02}", t / 60, t % 60);
  return fmt::format("{}:{:02}:{:02}", t / 3600, (t / 60) % 60, t % 60);
}

}  // namespace omsbackup::tools

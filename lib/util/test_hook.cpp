#include "util/test_hook.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

namespace omsbackup {

namespace {

struct Hook {
  enum class Action { none, stop, pause } action = Action::none;
  std::string point;
  long pass = 0;
  std::string pause_file;
  std::atomic<long> seen{0};
};

// "<point>:<n>" (the point's name may itself contain ':'); false if malformed.
bool parse(const char* spec, Hook& h) {
  std::string s(spec);
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  char* end = nullptr;
  long n = std::strtol(s.c_str() + colon + 1, &end, 10);
  if (end == s.c_str() + colon + 1 || *end != '\0' || n < 1) return false;
  h.point = s.substr(0, colon);
  h.pass = n;
  return true;
}

Hook& hook() {
  static Hook h;
  static std::once_flag once;
  std::call_once(once, [] {
    if (const char* stop = std::getenv("OMSB_TEST_STOP_AT"); stop && parse(stop, h)) {
      h.action = Hook::Action::stop;
    } else if (const char* pause = std::getenv("OMSB_TEST_PAUSE_AT"); pause && parse(pause, h)) {
      const char* file = std::getenv("OMSB_TEST_PAUSE_FILE");
      if (file != nullptr && *file != '\0') {
        h.action = Hook::Action::pause;
        h.pause_file = file;
      }
    }
  });
  return h;
}

}  // namespace

void test_point(const char* name) {
  Hook& h = hook();
  if (h.action == Hook::Action::none || h.point != name) return;
  if (h.seen.fetch_add(1) + 1 != h.pass) return;
  if (h.action == Hook::Action::stop) {
    ::kill(::getpid(), SIGKILL);
    for (;;) ::pause();
  }
  std::ofstream(h.pause_file) << ::getpid() << "\n";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (::access(h.pause_file.c_str(), F_OK) == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

}  // namespace omsbackup

#include "restore/run_lock.h"

#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "omsbackup/error.h"
#include "util/clock.h"

namespace omsbackup {

namespace {

std::string local_holder(const std::string& text) {
  try {
    auto j = nlohmann::json::parse(text);
    return fmt::format("{} (pid {} on host {}, started {}, archive {})",
                       j.value("tool", std::string("omsrestore")), j.value("pid", 0),
                       j.value("host", std::string("?")), j.value("started", std::string("?")),
                       j.value("archive", std::string("?")));
  } catch (const std::exception&) {
    return "another process";
  }
}

}  // namespace

RestoreLocks::RestoreLocks(Env& env, const ConnectionOptions& connection, const std::string& journal,
                           const std::vector<std::string>& databases, const std::string& archive) {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  nlohmann::json info = {{"tool", "omsrestore"}, {"pid", static_cast<long>(::getpid())},
                         {"host", std::string(host)}, {"started", utc_now_iso8601()},
                         {"archive", archive}};
  const std::string lock_path = journal + ".lock";
  std::string holder;
  file_ = env.try_lock_file(lock_path, info.dump() + "\n", &holder);
  if (!file_)
    throw Error(Errc::invalid_argument, journal,
                fmt::format("another restore is running with this journal: {} (lock file {}). "
                            "Wait for it to end; do not resume it while it runs. If it is stuck, "
                            "stop it, then run omsrestore again with --resume",
                            local_holder(holder), lock_path));

  databases_ = std::make_unique<DatabaseLocks>(connection, databases);
}

RestoreLocks::~RestoreLocks() = default;

}  // namespace omsbackup

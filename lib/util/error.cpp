#include "omsbackup/error.h"

#include <fmt/format.h>

namespace omsbackup {

const char* errc_name(Errc code) noexcept {
  switch (code) {
    case Errc::invalid_argument: return "invalid argument";
    case Errc::io: return "I/O error";
    case Errc::server: return "server error";
    case Errc::corrupt_archive: return "corrupt archive";
    case Errc::unsupported: return "unsupported";
    case Errc::verify_failed: return "verification failed";
    case Errc::cancelled: return "cancelled";
    case Errc::internal: return "internal error";
  }
  return "error";
}

static std::string compose(const std::string& object, const std::string& message) {
  return object.empty() ? message : fmt::format("{}: {}", object, message);
}

Error::Error(Errc code, const std::string& object, const std::string& message)
    : std::runtime_error(compose(object, message)), code_(code), object_(object), message_(message) {}

Error Error::server(unsigned server_errno, const std::string& sqlstate,
                    const std::string& server_message, const std::string& doing) {
  Error e(Errc::server, doing,
          fmt::format("server error {} ({}): {}", server_errno, sqlstate, server_message));
  e.server_errno_ = server_errno;
  e.sqlstate_ = sqlstate;
  return e;
}

Error Error::with_context(const std::string& where) const {
  Error e(code_, object_.empty() ? where : fmt::format("{}: {}", where, object_), message_);
  e.server_errno_ = server_errno_;
  e.sqlstate_ = sqlstate_;
  return e;
}

Error Error::with_note(const std::string& note) const {
  Error e(code_, object_, fmt::format("{}. {}", message_, note));
  e.server_errno_ = server_errno_;
  e.sqlstate_ = sqlstate_;
  return e;
}

}  // namespace omsbackup

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

// Connector/C numbers its own errors (lost connection, TLS, out of memory) 2000-2999 and
// 5000-5999; the server's are below 2000 or 3000-4999 and above.
static bool is_client_errno(unsigned n) {
  return (n >= 2000 && n < 3000) || (n >= 5000 && n < 6000);
}

Error Error::server(unsigned server_errno, const std::string& sqlstate,
                    const std::string& server_message, const std::string& doing) {
  Error e(Errc::server, doing,
          fmt::format("{} error {} ({}): {}", is_client_errno(server_errno) ? "client" : "server",
                      server_errno, sqlstate, server_message));
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

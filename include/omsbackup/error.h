// omsbackup — the one error type every fallible call in the library throws.
#pragma once

#include "omsbackup/export.h"

#include <stdexcept>
#include <string>

namespace omsbackup {

// What kind of failure. Stable values: tools map them to exit codes.
enum class Errc {
  invalid_argument = 1,  // bad options or input given by the caller
  io = 2,                // a file or directory operation failed
  server = 3,            // the database server returned an error
  corrupt_archive = 4,   // an archive failed verification
  unsupported = 5,       // a feature, version or server the code cannot handle
  verify_failed = 6,     // restored data does not match the archive
  cancelled = 7,         // the caller cancelled the operation
  internal = 8,          // a bug: an invariant did not hold
};

OMSBACKUP_API const char* errc_name(Errc code) noexcept;

// An error names the object it concerns (a file, a database.table, a chunk) and,
// for server errors, carries the server's error number and SQLSTATE.
// Messages never contain passwords.
class OMSBACKUP_API Error : public std::runtime_error {
 public:
  Error(Errc code, const std::string& object, const std::string& message);

  // A server error: `doing` says what was being done ("connecting to 127.0.0.1:3306",
  // "reading rm.cluster_info"), never with credentials. The message says "client error N"
  // for the client library's own numbers (2000-2999, 5000-5999: lost connection, TLS).
  static Error server(unsigned server_errno, const std::string& sqlstate,
                      const std::string& server_message, const std::string& doing);

  // The same error with `where` (e.g. "rm.task chunk 3") put in front of its object.
  Error with_context(const std::string& where) const;
  // The same error with `note` (what was left behind, what to do) after its message.
  Error with_note(const std::string& note) const;

  Errc code() const noexcept { return code_; }
  const std::string& object() const noexcept { return object_; }
  const std::string& message() const noexcept { return message_; }
  unsigned server_errno() const noexcept { return server_errno_; }
  const std::string& sqlstate() const noexcept { return sqlstate_; }

 private:
  Errc code_;
  std::string object_;
  std::string message_;
  unsigned server_errno_ = 0;
  std::string sqlstate_;
};

}  // namespace omsbackup

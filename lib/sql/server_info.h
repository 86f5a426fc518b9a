// What kind of server a session talks to, so SQL can branch where servers differ.
#pragma once

#include <string>

namespace omsbackup {

enum class ServerFlavor { mysql, mariadb, oceanbase };

const char* flavor_name(ServerFlavor f) noexcept;

struct ServerInfo {
  ServerFlavor flavor = ServerFlavor::mysql;
  std::string version;          // VERSION()
  std::string version_comment;  // @@version_comment
  unsigned major = 0, minor = 0, patch = 0;  // of the MySQL-compatible version number

  // Classifies a server from VERSION() and @@version_comment.
  static ServerInfo parse(const std::string& version, const std::string& version_comment);
};

}  // namespace omsbackup

#include "sql/server_info.h"

#include <cstdio>

namespace omsbackup {

const char* flavor_name(ServerFlavor f) noexcept {
  switch (f) {
    case ServerFlavor::mysql: return "MySQL";
    case ServerFlavor::mariadb: return "MariaDB";
    case ServerFlavor::oceanbase: return "OceanBase";
  }
  return "unknown";
}

ServerInfo ServerInfo::parse(const std::string& version, const std::string& version_comment) {
  ServerInfo info;
  info.version = version;
  info.version_comment = version_comment;
  auto has = [](const std::string& s, const char* needle) {
    return s.find(needle) != std::string::npos;
  };
  if (has(version, "OceanBase") || has(version_comment, "OceanBase")) {
    info.flavor = ServerFlavor::oceanbase;
  } else if (has(version, "MariaDB") || has(version_comment, "MariaDB")) {
    info.flavor = ServerFlavor::mariadb;
  }
  std::sscanf(version.c_str(), "%u.%u.%u", &info.major, &info.minor, &info.patch);
  return info;
}

}  // namespace omsbackup

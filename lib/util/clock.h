// Wall-clock helpers.
#pragma once

#include <string>

namespace omsbackup {

// The current UTC time as ISO 8601, e.g. 2026-11-25T13:04:05Z.
std::string utc_now_iso8601();

}  // namespace omsbackup

#include "omsbackup/omsbackup.h"

namespace omsbackup {

const char* version() noexcept { return OMSBACKUP_VERSION; }

}  // namespace omsbackup

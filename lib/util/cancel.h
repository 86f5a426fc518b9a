// The caller's stop request, as every long-running entry point takes it: an optional
// flag (DumpOptions::cancel, RestoreOptions::cancel, prune_heartbeat's argument).
#pragma once

#include <atomic>

namespace omsbackup {

// True once the caller has set the flag; a null flag never asks to stop.
inline bool cancel_requested(const std::atomic<bool>* cancel) {
  return cancel != nullptr && cancel->load();
}

}  // namespace omsbackup

// The caller's stop request, as every long-running entry point takes it: an optional
// flag (DumpOptions::cancel, RestoreOptions::cancel, prune_heartbeat's argument).
#pragma once

#include <atomic>
#include <string>

#include "omsbackup/error.h"

namespace omsbackup {

// True once the caller has set the flag; a null flag never asks to stop.
inline bool cancel_requested(const std::atomic<bool>* cancel) {
  return cancel != nullptr && cancel->load();
}

// Throws Errc::cancelled about `object` once the caller has asked to stop.
inline void throw_if_cancelled(const std::atomic<bool>* cancel, const std::string& object,
                               const char* message) {
  if (cancel_requested(cancel)) throw Error(Errc::cancelled, object, message);
}

}  // namespace omsbackup

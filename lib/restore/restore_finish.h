// Finishing a restore, once every database is proven: wait for the live tables' locks,
// then per database swap the staging tables in (RENAME TABLE), point foreign keys from
// elsewhere back at them, create and prove the views, routines, triggers and events, prove
// the DDL under the target name, and drop the old copy. Each step is journaled.
#pragma once

#include "restore/restore_state.h"

namespace omsbackup {

class RestoreFinisher {
 public:
  explicit RestoreFinisher(RestoreState& st) : st_(st) {}

  void wait_before_swaps(Session& s);
  void finish_database(Session& s, const Target& t);

 private:
  void repair_foreign_keys(Session& s, const Target& t);

  RestoreState& st_;
};

}  // namespace omsbackup

// omsbackup — what an OMS deployment's config.yaml files say about its MetaDB.
#pragma once

#include "omsbackup/export.h"

#include <string>
#include <vector>

#include "omsbackup/connection.h"

namespace omsbackup {

// One region: one config.yaml.
struct OmsRegion {
  std::string file;              // the config.yaml it came from
  std::string region, region_cn; // cm_region, cm_region_cn (optional keys: empty if absent)
  int location = -1;             // cm_location (0-127), -1 if absent
  bool is_default = false;       // cm_is_default
  std::string heartbeat_db;      // drc_cm_heartbeat_db
};

// A whole deployment: the shared MetaDB, the shared rm and cm databases, and its regions.
struct OMSBACKUP_API OmsConfig {
  ConnectionOptions connection;  // from oms_meta_host/_port/_user/_password (password never printed)
  std::string rm_db, cm_db;      // drc_rm_db, drc_cm_db
  std::vector<OmsRegion> regions;  // one per file, in the order given

  // rm, cm, then each region's heartbeat database (deduplicated, order kept)
  std::vector<std::string> databases() const;
  // each region's heartbeat database, in region order (deduplicated)
  std::vector<std::string> heartbeat_databases() const;
};

// Reads one config.yaml per region (at least one file).
//
// Throws Error(Errc::invalid_argument, "<file>: <key>" (or "<file>"), what is wrong and what
// to do) for: a file that cannot be read; YAML that does not parse (with the line and column);
// a top level that is not a mapping; a missing or empty required key (oms_meta_host,
// oms_meta_port, oms_meta_user, oms_meta_password, drc_rm_db, drc_cm_db, drc_cm_heartbeat_db);
// a key given twice in one file; a key of the wrong type (oms_meta_port not an integer
// 1..65535, cm_location not an integer 0..127, cm_is_default not a boolean, a list or mapping
// where a single value belongs); keys that contradict across files (oms_meta_host/port/user/
// password, drc_rm_db, drc_cm_db: the message names both files); the same file given twice;
// two regions with the same cm_location or the same heartbeat database; more than one region
// with cm_is_default: true when several files are given.
//
// Scalars may be quoted or not. Unknown keys are ignored. A key with a null value
// (`cm_region:` or `~`) counts as absent. cm_is_default accepts true/false, yes/no, on/off
// (any case). The password is kept byte for byte and never appears in a message: no
// message shows it, and a value that contains it is not shown either.
OMSBACKUP_API OmsConfig read_oms_config(const std::vector<std::string>& files);

}  // namespace omsbackup

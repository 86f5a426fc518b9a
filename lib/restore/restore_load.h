// Loading a restore: every database still to build is created under its staging name (or
// in place), then one task graph on the loader connections loads the chunks (LOAD DATA
// LOCAL fed from the zstd stream, or INSERT) in batches, adds a table's deferred indexes
// once its chunks are in, proves its chunks once it is indexed, and marks a database proven
// once its last table is. A resumed run first waits for the interrupted run's statements
// and clears what an unjournaled chunk may have committed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "restore/restore_state.h"

namespace omsbackup {

class RestoreLoader {
 public:
  explicit RestoreLoader(RestoreState& st) : st_(st) {}

  void build_and_prove(Session& s);

 private:
  std::vector<Unit> units_for(const Target& t) const;
  void create_tables(Session& s, const Target& t);
  void wait_for_orphans(Session& s, const Target& t);
  bool unit_done(const Target& t, const Unit& u) const;
  void clear_unit(Session& s, const Unit& u);
  void load_unit(Session& s, const Unit& u);
  void load_chunk(Session& s, const Target& t, const TableEntry& te, std::size_t ci);
  std::uint64_t load_batch(Session& s, const Target& t, const TableEntry& te,
                           const std::string& statement, std::string_view batch,
                           const std::string& label, std::uint64_t rows_before,
                           bool& under_way);
  void add_indexes(Session& s, const Target& t, std::size_t ti);
  void prove_unit(Session& s, const Unit& u);
  void mark_proven(Session& s, const Target& t);

  RestoreState& st_;
};

}  // namespace omsbackup

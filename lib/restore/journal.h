// The restore journal: an append-only file of JSON lines, fsynced after every line,
// that lets `omsrestore --resume` continue an interrupted restore without loading a
// chunk twice. It lives outside the archive (the archive must stay exactly as
// written); by default at "<archive>.restore-journal".
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/env.h"

namespace omsbackup {

// The steps a target database passes, in order (docs/restore.md says what a crash after
// each leaves); a table's deferred indexes are journaled on their own (Journal::indexed).
enum class Phase { created, proven, swapping, swapped, objects, finished };

// The journal's name of a phase ("created", ...): the file format, unchanged since format 1.
const char* phase_name(Phase phase) noexcept;

// What a journal says has been done, per target database.
struct JournalState {
  bool begun = false;
  nlohmann::json begin;  // the "begin" record: manifest hash, mode, targets
  // (database index, table index, chunk index) of every chunk committed.
  std::set<std::tuple<std::size_t, std::size_t, std::size_t>> chunks;
  // Phases reached per database index, by their journal names (phase_name(), and
  // "indexed:<table index>").
  std::map<std::size_t, std::set<std::string>> phases;
  // Foreign keys outside a swapped database that the swap dragged into its old copy,
  // journaled before each is dropped and added back (database index, the record).
  std::vector<std::pair<std::size_t, nlohmann::json>> foreign_keys;
  bool has(std::size_t db, Phase phase) const;
  // Whether table `table`'s deferred indexes were added.
  bool indexed(std::size_t db, std::size_t table) const;

 private:
  bool has_name(std::size_t db, const std::string& name) const;
};

class Journal {
 public:
  // Opens (creating if needed) the journal at `path` for appending.
  Journal(Env& env, std::string path);
  // Reads a journal; a torn last line (a crash mid-write) is ignored.
  static JournalState read(Env& env, const std::string& path);

  void begin(const nlohmann::json& record);
  void chunk(std::size_t db, std::size_t table, std::size_t chunk);
  void phase(std::size_t db, Phase phase);
  void indexed(std::size_t db, std::size_t table);
  // {"schema", "table", "name", "add_sql"}: how to add a foreign key back if a crash
  // comes between dropping and adding it.
  void foreign_key(std::size_t db, const nlohmann::json& repair);
  // Appends one record and fsyncs. Thread-safe.
  void append(const nlohmann::json& record);

  const std::string& path() const { return path_; }

 private:
  Env& env_;
  std::string path_;
  std::unique_ptr<WritableFile> file_;
  std::mutex mu_;
};

}  // namespace omsbackup

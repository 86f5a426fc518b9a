#include "restore/journal.h"

#include <fmt/format.h>

#include "omsbackup/error.h"
#include "util/test_hook.h"

namespace omsbackup {

namespace {

std::string indexed_name(std::size_t table) { return fmt::format("indexed:{}", table); }

}  // namespace

const char* phase_name(Phase phase) noexcept {
  switch (phase) {
    case Phase::created: return "created";
    case Phase::proven: return "proven";
    case Phase::swapping: return "swapping";
    case Phase::swapped: return "swapped";
    case Phase::objects: return "objects";
    case Phase::finished: return "finished";
  }
  return "?";
}

bool JournalState::has_name(std::size_t db, const std::string& name) const {
  auto it = phases.find(db);
  return it != phases.end() && it->second.count(name) != 0;
}

bool JournalState::has(std::size_t db, Phase phase) const { return has_name(db, phase_name(phase)); }

bool JournalState::indexed(std::size_t db, std::size_t table) const {
  return has_name(db, indexed_name(table));
}

Journal::Journal(Env& env, std::string path)
    : env_(env), path_(std::move(path)), file_(env_.new_appendable_file(path_, 0600)) {}

void Journal::append(const nlohmann::json& record) {
  std::string line = record.dump() + "\n";
  {
    std::lock_guard lock(mu_);
    file_->append(line);
    file_->sync();
  }
  test_point("journal.appended");
}

void Journal::begin(const nlohmann::json& record) {
  nlohmann::json r = record;
  r["event"] = "begin";
  append(r);
}

void Journal::chunk(std::size_t db, std::size_t table, std::size_t chunk) {
  append({{"event", "chunk"}, {"db", db}, {"table", table}, {"chunk", chunk}});
}

void Journal::phase(std::size_t db, Phase phase) {
  append({{"event", "phase"}, {"db", db}, {"phase", phase_name(phase)}});
}

void Journal::indexed(std::size_t db, std::size_t table) {
  append({{"event", "phase"}, {"db", db}, {"phase", indexed_name(table)}});
}

void Journal::foreign_key(std::size_t db, const nlohmann::json& repair) {
  nlohmann::json r = repair;
  r["event"] = "foreign-key";
  r["db"] = db;
  append(r);
}

JournalState Journal::read(Env& env, const std::string& path) {
  JournalState st;
  auto info = env.stat(path);
  if (!info) return st;
  auto f = env.new_sequential_file(path);
  std::string text;
  char buf[1 << 16];
  while (std::size_t n = f->read(buf, sizeof buf)) text.append(buf, n);
  std::size_t pos = 0;
  std::size_t line_no = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) break;  // torn last line: never fsynced as a whole
    ++line_no;
    nlohmann::json r;
    try {
      r = nlohmann::json::parse(text.substr(pos, end - pos));
      const std::string event = r.at("event").get<std::string>();
      if (event == "begin") {
        st.begun = true;
        st.begin = r;
      } else if (event == "chunk") {
        st.chunks.emplace(r.at("db").get<std::size_t>(), r.at("table").get<std::size_t>(),
                          r.at("chunk").get<std::size_t>());
      } else if (event == "phase") {
        st.phases[r.at("db").get<std::size_t>()].insert(r.at("phase").get<std::string>());
      } else if (event == "foreign-key") {
        st.foreign_keys.emplace_back(r.at("db").get<std::size_t>(), r);
      }
    } catch (const nlohmann::json::exception& e) {
      throw Error(Errc::corrupt_archive, path,
                  fmt::format("line {} of the restore journal is damaged ({}); remove the journal "
                              "and restore without --resume",
                              line_no, e.what()));
    }
    pos = end + 1;
  }
  return st;
}

}  // namespace omsbackup

#include "plan/chunk_key.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "omsbackup/error.h"
#include "plan/key_sql.h"
#include "sql/quote.h"
#include "sql/session.h"

namespace omsbackup {

bool ChunkKey::single_integer() const {
  return parts.size() == 1 && is_integer_type(parts[0].data_type);
}

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string text(const std::optional<std::string>& v) { return v.value_or(""); }

struct ColumnInfo {
  std::string name, data_type, column_type, charset, collation;
  bool nullable = false;
};

struct Candidate {
  std::string index;
  bool usable = true;
  std::vector<std::pair<unsigned, KeyPart>> parts;  // (SEQ_IN_INDEX, part)
};

}  // namespace

std::optional<ChunkKey> choose_chunk_key(Session& s, const std::string& db,
                                         const std::string& table) {
  const std::string object = fmt::format("{}.{}", db, table);
  const std::string where = fmt::format("TABLE_SCHEMA = {} AND TABLE_NAME = {}",
                                        quote_string(db), quote_string(table));
  ResultSet cols = s.query(
      fmt::format("SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, CHARACTER_SET_NAME, "
                  "COLLATION_NAME, IS_NULLABLE FROM information_schema.COLUMNS WHERE {}",
                  where),
      fmt::format("reading the columns of {} to choose its chunk key", object));
  // Column names are case-insensitive.
  std::map<std::string, ColumnInfo> columns;
  for (const auto& r : cols.rows) {
    ColumnInfo c;
    c.name = text(r[0]);
    c.data_type = lower(text(r[1]));
    c.column_type = lower(text(r[2]));
    c.charset = text(r[3]);
    c.collation = text(r[4]);
    c.nullable = lower(text(r[5])) == "yes";
    columns.emplace(lower(c.name), std::move(c));
  }

  ResultSet stats = s.query(
      fmt::format("SELECT INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART, INDEX_TYPE "
                  "FROM information_schema.STATISTICS WHERE {} AND NON_UNIQUE = 0",
                  where),
      fmt::format("reading the unique indexes of {} to choose its chunk key", object));
  std::map<std::string, Candidate> candidates;
  for (const auto& r : stats.rows) {
    std::string index = text(r[0]);
    Candidate& c = candidates[index];
    c.index = index;
    unsigned seq = 0;
    try {
      seq = static_cast<unsigned>(std::stoul(text(r[1])));
    } catch (const std::exception&) {
      throw Error(Errc::server, object,
                  fmt::format("index {} has an unreadable SEQ_IN_INDEX '{}'", index, text(r[1])));
    }
    // A functional key part (no column), a prefix, or a hash index cannot be walked.
    if (!r[2] || r[3] || lower(text(r[4])) == "hash") {
      c.usable = false;
      continue;
    }
    auto col = columns.find(lower(*r[2]));
    if (col == columns.end()) {
      c.usable = false;
      continue;
    }
    const ColumnInfo& ci = col->second;
    KeyPart p;
    p.column = ci.name;
    p.data_type = ci.data_type;
    p.is_unsigned = ci.column_type.find("unsigned") != std::string::npos;
    if (is_text_type(ci.data_type)) {
      p.charset = ci.charset;
      p.collation = ci.collation;
      if (p.charset.empty() || p.collation.empty()) c.usable = false;
    }
    if (ci.nullable || !is_chunkable_type(ci.data_type)) c.usable = false;
    c.parts.emplace_back(seq, std::move(p));
  }

  std::vector<Candidate*> usable;
  for (auto& [name, c] : candidates) {
    if (!c.usable || c.parts.empty()) continue;
    std::sort(c.parts.begin(), c.parts.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    usable.push_back(&c);
  }
  if (usable.empty()) return std::nullopt;
  std::sort(usable.begin(), usable.end(), [](const Candidate* a, const Candidate* b) {
    bool pa = a->index == "PRIMARY", pb = b->index == "PRIMARY";
    if (pa != pb) return pa;
    if (a->parts.size() != b->parts.size()) return a->parts.size() < b->parts.size();
    return a->index < b->index;
  });
  ChunkKey key;
  key.index = usable.front()->index;
  for (auto& [seq, part] : usable.front()->parts) key.parts.push_back(std::move(part));
  return key;
}

}  // namespace omsbackup

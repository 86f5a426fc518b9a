#include "archive/manifest.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>

#include "codec/content_digest.h"
#include "omsbackup/error.h"
#include "util/hex.h"
#include "util/utf8.h"

namespace omsbackup {

using json = nlohmann::ordered_json;

namespace {

[[noreturn]] void bad(const std::string& what) {
  throw Error(Errc::corrupt_archive, kManifestFile, what);
}

const json& need(const json& j, const char* key, const std::string& where) {
  if (!j.is_object()) bad(fmt::format("{} is not an object", where));
  auto it = j.find(key);
  if (it == j.end()) bad(fmt::format("{} has no '{}'", where, key));
  return *it;
}

// Text is a JSON string, or {"hex": "..."} for bytes that are not valid UTF-8 (a
// binary DEFAULT in a CREATE TABLE, a binary key bound).
std::string str(const json& j, const char* key, const std::string& where) {
  const json& v = need(j, key, where);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.size() == 1 && v.contains("hex") && v["hex"].is_string()) {
    std::optional<std::string> bytes = hex_decode(v["hex"].get_ref<const std::string&>());
    if (!bytes) bad(fmt::format("{}.{} holds bad hex", where, key));
    return *bytes;
  }
  bad(fmt::format("{}.{} is not a string", where, key));
}

// Replaces every string that is not valid UTF-8 by {"hex": "..."} (JSON text must be
// UTF-8, and the bytes must come back exactly).
void hex_invalid_text(json& j) {
  if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    if (is_valid_utf8(s)) return;
    j = json{{"hex", hex_encode(s)}};
  } else if (j.is_structured()) {
    for (auto& v : j) hex_invalid_text(v);
  }
}

std::uint64_t u64(const json& j, const char* key, const std::string& where) {
  const json& v = need(j, key, where);
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0))
    bad(fmt::format("{}.{} is not a non-negative integer", where, key));
  return v.get<std::uint64_t>();
}

bool boolean(const json& j, const char* key, const std::string& where) {
  const json& v = need(j, key, where);
  if (!v.is_boolean()) bad(fmt::format("{}.{} is not a boolean", where, key));
  return v.get<bool>();
}

const json& array(const json& j, const char* key, const std::string& where) {
  const json& v = need(j, key, where);
  if (!v.is_array()) bad(fmt::format("{}.{} is not an array", where, key));
  return v;
}

// ---- a database's objects: views, routines, triggers, events ----

void objects_to_json(const DatabaseObjects& o, json& jd) {
  json views = json::array();
  for (const auto& v : o.views) {
    views.push_back({{"name", v.name},
                     {"create_sql", v.create_sql},
                     {"character_set_client", v.character_set_client},
                     {"collation_connection", v.collation_connection}});
  }
  jd["views"] = views;
  json routines = json::array();
  for (const auto& r : o.routines) {
    routines.push_back({{"type", r.type},
                        {"name", r.name},
                        {"create_sql", r.create_sql},
                        {"sql_mode", r.sql_mode},
                        {"character_set_client", r.character_set_client},
                        {"collation_connection", r.collation_connection},
                        {"database_collation", r.database_collation}});
  }
  jd["routines"] = routines;
  json triggers = json::array();
  for (const auto& t : o.triggers) {
    triggers.push_back({{"name", t.name},
                        {"table", t.table},
                        {"create_sql", t.create_sql},
                        {"sql_mode", t.sql_mode},
                        {"character_set_client", t.character_set_client},
                        {"collation_connection", t.collation_connection},
                        {"database_collation", t.database_collation}});
  }
  jd["triggers"] = triggers;
  json events = json::array();
  for (const auto& e : o.events) {
    events.push_back({{"name", e.name},
                      {"create_sql", e.create_sql},
                      {"sql_mode", e.sql_mode},
                      {"time_zone", e.time_zone},
                      {"character_set_client", e.character_set_client},
                      {"collation_connection", e.collation_connection},
                      {"database_collation", e.database_collation}});
  }
  jd["events"] = events;
}

// The object arrays are optional (archives written before they existed have none);
// when present they are validated like every other key.
const json* optional_array(const json& jd, const char* key, const std::string& where) {
  if (jd.find(key) == jd.end()) return nullptr;
  return &array(jd, key, where);
}

// The object's name, which must be a non-empty string, and its "kind 'db.name'" label.
std::string object_name(const json& jo, const char* kind, const std::string& db,
                        std::string& label) {
  std::string name = str(jo, "name", fmt::format("database '{}' {}", db, kind));
  if (name.empty()) bad(fmt::format("database '{}' has a {} with an empty name", db, kind));
  label = fmt::format("{} '{}.{}'", kind, db, name);
  return name;
}

void check_unique(std::vector<std::string> names, const char* key, const std::string& db) {
  std::sort(names.begin(), names.end());
  auto dup = std::adjacent_find(names.begin(), names.end());
  if (dup != names.end())
    bad(fmt::format("database '{}' {} lists '{}' twice", db, key, *dup));
}

DatabaseObjects objects_from_json(const json& jd, const std::string& db,
                                  const std::string& where) {
  DatabaseObjects o;
  std::string label;
  if (const json* views = optional_array(jd, "views", where)) {
    std::vector<std::string> names;
    for (const json& jv : *views) {
      ViewDef v;
      v.name = object_name(jv, "view", db, label);
      v.create_sql = str(jv, "create_sql", label);
      v.character_set_client = str(jv, "character_set_client", label);
      v.collation_connection = str(jv, "collation_connection", label);
      if (v.create_sql.empty()) bad(label + ".create_sql is empty");
      names.push_back(v.name);
      o.views.push_back(std::move(v));
    }
    check_unique(names, "views", db);
  }
  if (const json* routines = optional_array(jd, "routines", where)) {
    std::vector<std::string> names;
    for (const json& jr : *routines) {
      RoutineDef r;
      r.name = object_name(jr, "routine", db, label);
      r.type = str(jr, "type", label);
      if (!is_routine_type(r.type))
        bad(fmt::format("{}.type is '{}', not PROCEDURE, FUNCTION, PACKAGE or PACKAGE BODY",
                        label, r.type));
      r.create_sql = str(jr, "create_sql", label);
      r.sql_mode = str(jr, "sql_mode", label);
      r.character_set_client = str(jr, "character_set_client", label);
      r.collation_connection = str(jr, "collation_connection", label);
      r.database_collation = str(jr, "database_collation", label);
      if (r.create_sql.empty()) bad(label + ".create_sql is empty");
      names.push_back(r.type + " " + r.name);
      o.routines.push_back(std::move(r));
    }
    check_unique(names, "routines", db);
    // A package body cannot exist without its package (CREATE PACKAGE BODY needs it).
    for (const RoutineDef& r : o.routines) {
      if (r.type != "PACKAGE BODY") continue;
      if (std::find(names.begin(), names.end(), "PACKAGE " + r.name) == names.end())
        bad(fmt::format("routine '{}.{}' is a PACKAGE BODY without its PACKAGE", db, r.name));
    }
  }
  if (const json* triggers = optional_array(jd, "triggers", where)) {
    std::vector<std::string> names;
    for (const json& jt : *triggers) {
      TriggerDef t;
      t.name = object_name(jt, "trigger", db, label);
      t.table = str(jt, "table", label);
      if (t.table.empty()) bad(label + ".table is empty");
      t.create_sql = str(jt, "create_sql", label);
      t.sql_mode = str(jt, "sql_mode", label);
      t.character_set_client = str(jt, "character_set_client", label);
      t.collation_connection = str(jt, "collation_connection", label);
      t.database_collation = str(jt, "database_collation", label);
      if (t.create_sql.empty()) bad(label + ".create_sql is empty");
      names.push_back(t.name);
      o.triggers.push_back(std::move(t));
    }
    check_unique(names, "triggers", db);
  }
  if (const json* events = optional_array(jd, "events", where)) {
    std::vector<std::string> names;
    for (const json& je : *events) {
      EventDef e;
      e.name = object_name(je, "event", db, label);
      e.create_sql = str(je, "create_sql", label);
      e.sql_mode = str(je, "sql_mode", label);
      e.time_zone = str(je, "time_zone", label);
      e.character_set_client = str(je, "character_set_client", label);
      e.collation_connection = str(je, "collation_connection", label);
      e.database_collation = str(je, "database_collation", label);
      if (e.create_sql.empty()) bad(label + ".create_sql is empty");
      names.push_back(e.name);
      o.events.push_back(std::move(e));
    }
    check_unique(names, "events", db);
  }
  return o;
}

}  // namespace

std::string Manifest::to_json() const {
  json j;
  j["format"] = kFormatName;
  j["format_version"] = format_version;
  j["tool_version"] = tool_version;
  j["server"] = {{"flavor", server_flavor}, {"version", server_version}};
  j["started_at"] = started_at;
  j["finished_at"] = finished_at;
  j["consistency"] = consistency;
  j["options"] = options;
  json dbs = json::array();
  for (const auto& d : databases) {
    json jd = {{"name", d.name},
               {"charset", d.charset},
               {"collation", d.collation},
               {"create_sql", d.create_sql}};
    json tables = json::array();
    for (const auto& t : d.tables) {
      json jt = {{"name", t.def.name}, {"create_sql", t.def.create_sql}};
      jt["auto_increment"] = t.def.auto_increment ? json(*t.def.auto_increment) : json(nullptr);
      // Only when set: archives without it read as they always did.
      if (!t.def.ddl_only.empty()) jt["ddl_only"] = t.def.ddl_only;
      json cols = json::array();
      for (const auto& c : t.def.columns) {
        cols.push_back({{"name", c.name},
                        {"data_type", c.data_type},
                        {"column_type", c.column_type},
                        {"generated", c.generated},
                        {"invisible", c.invisible}});
      }
      jt["columns"] = cols;
      jt["chunk_key"] = t.chunk_key;
      jt["rows"] = t.rows;
      if (t.check_violations != 0) jt["check_violations"] = t.check_violations;
      json chunks = json::array();
      for (const auto& c : t.chunks) {
        chunks.push_back({{"file", c.file},
                          {"lower", c.lower},
                          {"upper", c.upper},
                          {"where", c.where},
                          {"rows", c.rows},
                          {"raw_bytes", c.raw_bytes},
                          {"stored_bytes", c.stored_bytes},
                          {"sha256", c.sha256},
                          {"digest", c.digest}});
      }
      // A table archived as DDL only has no "chunks" at all: readers written before
      // ddl_only existed, which expect every table to have a chunk, refuse the archive
      // rather than misread it.
      if (t.def.ddl_only.empty()) jt["chunks"] = chunks;
      tables.push_back(jt);
    }
    jd["tables"] = tables;
    objects_to_json(d.objects, jd);
    dbs.push_back(jd);
  }
  j["databases"] = dbs;
  json files_j = json::array();
  for (const auto& f : files)
    files_j.push_back({{"path", f.path}, {"size", f.size}, {"sha256", f.sha256}});
  j["files"] = files_j;
  hex_invalid_text(j);
  return j.dump(1, '\t', false) + "\n";
}

Manifest Manifest::from_json(std::string_view text) {
  json j;
  try {
    j = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {  // parse errors, and numbers out of range
    bad(fmt::format("not valid JSON ({})", e.what()));
  }
  Manifest m;
  if (str(j, "format", "manifest") != kFormatName) bad("not an omsbackup archive manifest");
  const json& ver = need(j, "format_version", "manifest");
  if (!ver.is_number_integer()) bad("format_version is not an integer");
  const std::int64_t version = ver.is_number_unsigned() && ver.get<std::uint64_t>() > 1000000
                                   ? 1000000
                                   : ver.get<std::int64_t>();
  if (version < 1 || version > 1000000) bad("format_version is out of range");
  m.format_version = static_cast<int>(version);
  if (!is_readable_format_version(m.format_version)) {
    throw Error(Errc::unsupported, kManifestFile,
                fmt::format("archive format version {} is not supported (this omsbackup reads "
                            "versions 1 to {}); use a newer omsbackup",
                            m.format_version, kFormatVersion));
  }
  m.tool_version = str(j, "tool_version", "manifest");
  const json& server = need(j, "server", "manifest");
  m.server_flavor = str(server, "flavor", "server");
  m.server_version = str(server, "version", "server");
  m.started_at = str(j, "started_at", "manifest");
  m.finished_at = str(j, "finished_at", "manifest");
  m.consistency = str(j, "consistency", "manifest");
  const json& opts = need(j, "options", "manifest");
  if (!opts.is_object()) bad("options is not an object");
  for (const auto& [k, v] : opts.items()) {
    if (!v.is_string()) bad(fmt::format("options.{} is not a string", k));
    m.options[k] = v.get<std::string>();
  }
  for (const json& jd : array(j, "databases", "manifest")) {
    DatabaseEntry d;
    d.name = str(jd, "name", "database");
    std::string where = fmt::format("database '{}'", d.name);
    d.charset = str(jd, "charset", where);
    d.collation = str(jd, "collation", where);
    d.create_sql = str(jd, "create_sql", where);
    for (const json& jt : array(jd, "tables", where)) {
      TableEntry t;
      t.def.name = str(jt, "name", where + " table");
      std::string twhere = fmt::format("table '{}.{}'", d.name, t.def.name);
      t.def.create_sql = str(jt, "create_sql", twhere);
      const json& ai = need(jt, "auto_increment", twhere);
      if (!ai.is_null()) t.def.auto_increment = u64(jt, "auto_increment", twhere);
      for (const json& jc : array(jt, "columns", twhere)) {
        ColumnDef c;
        c.name = str(jc, "name", twhere + " column");
        c.data_type = str(jc, "data_type", twhere + " column");
        c.column_type = str(jc, "column_type", twhere + " column");
        c.generated = boolean(jc, "generated", twhere + " column");
        c.invisible = boolean(jc, "invisible", twhere + " column");
        t.def.columns.push_back(std::move(c));
      }
      if (t.def.columns.empty()) bad(twhere + " has no columns");
      for (const json& k : array(jt, "chunk_key", twhere)) {
        if (!k.is_string()) bad(twhere + ".chunk_key holds a non-string");
        t.chunk_key.push_back(k.get<std::string>());
      }
      t.rows = u64(jt, "rows", twhere);
      if (jt.contains("check_violations"))
        t.check_violations = u64(jt, "check_violations", twhere);
      const bool ddl_only = jt.find("ddl_only") != jt.end();
      if (ddl_only && jt.find("chunks") != jt.end())
        bad(fmt::format("{} is ddl_only but lists chunks", twhere));
      static const json kNoChunks = json::array();
      for (const json& jc : ddl_only ? kNoChunks : array(jt, "chunks", twhere)) {
        ChunkInfo c;
        c.file = str(jc, "file", twhere + " chunk");
        std::string cwhere = fmt::format("{} chunk '{}'", twhere, c.file);
        c.lower = str(jc, "lower", cwhere);
        c.upper = str(jc, "upper", cwhere);
        c.where = str(jc, "where", cwhere);
        c.rows = u64(jc, "rows", cwhere);
        c.raw_bytes = u64(jc, "raw_bytes", cwhere);
        c.stored_bytes = u64(jc, "stored_bytes", cwhere);
        c.sha256 = str(jc, "sha256", cwhere);
        c.digest = str(jc, "digest", cwhere);
        // The digest's form follows the format version (64 or 32 hex digits, zero for no rows).
        try {
          ContentDigest::from(digest_kind_of(m.format_version), c.rows, c.digest);
        } catch (const Error& e) {
          bad(fmt::format("{}: a digest of format version {}: {}", cwhere, m.format_version, e.message()));
        }
        t.chunks.push_back(std::move(c));
      }
      if (ddl_only) {
        // Its rows are not its own: a restore creates it and loads nothing.
        t.def.ddl_only = str(jt, "ddl_only", twhere);
        if (t.def.ddl_only.empty()) bad(twhere + ".ddl_only is empty");
        if (t.rows != 0 || !t.chunk_key.empty())
          bad(fmt::format("{} is ddl_only ('{}') but has rows or a chunk key", twhere,
                          t.def.ddl_only));
      }
      d.tables.push_back(std::move(t));
    }
    d.objects = objects_from_json(jd, d.name, where);
    m.databases.push_back(std::move(d));
  }
  for (const json& jf : array(j, "files", "manifest")) {
    FileEntry f;
    f.path = str(jf, "path", "file entry");
    f.size = u64(jf, "size", fmt::format("file entry '{}'", f.path));
    f.sha256 = str(jf, "sha256", fmt::format("file entry '{}'", f.path));
    m.files.push_back(std::move(f));
  }
  return m;
}

}  // namespace omsbackup

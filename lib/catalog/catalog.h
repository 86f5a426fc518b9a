// What exists on the server: databases, their tables and the tables' columns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "catalog/objects.h"

namespace omsbackup {

class Session;

struct ColumnDef {
  std::string name;
  std::string data_type;    // information_schema DATA_TYPE, lower case: int, float, bit, json...
  std::string column_type;  // COLUMN_TYPE: int(10) unsigned, enum('a','b')...
  bool generated = false;   // VIRTUAL or STORED generated: never dumped as data
  bool invisible = false;   // dumped, but must be named explicitly
};

struct TableDef {
  std::string name;
  std::string create_sql;  // SHOW CREATE TABLE, including AUTO_INCREMENT=
  std::vector<ColumnDef> columns;
  std::optional<std::uint64_t> auto_increment;  // the counter as SHOW CREATE TABLE shows it
  // Why the table's rows are not archived, when they are not its own (ddl_only_reason):
  // "merge", "remote", "blackhole". Empty for a table whose rows are dumped.
  std::string ddl_only;
};

struct DatabaseDef {
  std::string name;
  std::string charset;
  std::string collation;
  std::string create_sql;  // SHOW CREATE DATABASE
  std::vector<TableDef> tables;  // base tables, by name (views are not tables)
  DatabaseObjects objects{};     // views, routines, triggers, events (catalog/objects.h)
  // Table-like objects the archive cannot hold yet, as name -> what they are, for the
  // message ("TABLE_TYPE 'SEQUENCE'": MariaDB's 'SEQUENCE' and 'SYSTEM VERSIONED', anything
  // else neither a base table nor a view; "ENGINE 'CONNECT'", ...: a base table whose
  // engine the dump cannot handle). The dump refuses them unless --include/--exclude
  // leave them out.
  std::vector<std::pair<std::string, std::string>> unsupported;
};

// Why a base table with this ENGINE (information_schema.TABLES.ENGINE, any case) keeps no
// rows of its own, so that the dump archives its DDL only: "merge" (MRG_MyISAM: its rows
// are its UNION tables'), "remote" (FEDERATED, which FederatedX also calls itself, SPIDER,
// SPHINX: they are on another server), "blackhole" (BLACKHOLE stores nothing). "" for
// every other engine: the table's rows are dumped.
std::string ddl_only_reason(std::string_view engine);

// Why a base table with this ENGINE cannot be archived at all ("" when it can): CONNECT,
// whose rows are either its own files in the data directory or another server's or file's,
// which information_schema does not tell apart.
std::string unsupported_engine_reason(std::string_view engine);

// Reads one database's definition: its tables, its views and, as `options` say, its
// routines, triggers and events (CatalogOptions is in catalog/objects.h). Throws
// Error(invalid_argument) naming the database when it does not exist.
DatabaseDef read_database(Session& session, const std::string& name,
                          const CatalogOptions& options = {});

// The AUTO_INCREMENT=N value of a CREATE TABLE statement, if it has one.
std::optional<std::uint64_t> parse_auto_increment(const std::string& create_sql);

}  // namespace omsbackup

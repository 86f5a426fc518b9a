#include "catalog/catalog.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "omsbackup/error.h"
#include "sql/quote.h"
#include "sql/session.h"

namespace omsbackup {

std::optional<std::uint64_t> parse_auto_increment(const std::string& create_sql) {
  // The table options follow the last closing parenthesis of the column list.
  std::size_t close = create_sql.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  static const std::string key = "AUTO_INCREMENT=";
  std::size_t pos = create_sql.find(key, close);
  if (pos == std::string::npos) return std::nullopt;
  std::uint64_t v = 0;
  std::size_t i = pos + key.size();
  if (i >= create_sql.size() || !std::isdigit(static_cast<unsigned char>(create_sql[i])))
    return std::nullopt;
  for (; i < create_sql.size() && std::isdigit(static_cast<unsigned char>(create_sql[i])); ++i)
    v = v * 10 + static_cast<std::uint64_t>(create_sql[i] - '0');
  return v;
}

static std::string upper(std::string_view v) {
  std::string s(v);
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

std::string ddl_only_reason(std::string_view engine) {
  const std::string e = upper(engine);
  if (e == "MRG_MYISAM" || e == "MERGE") return "merge";
  if (e == "FEDERATED" || e == "FEDERATEDX" || e == "SPIDER" || e == "SPHINX") return "remote";
  if (e == "BLACKHOLE") return "blackhole";
  return "";
}

std::string unsupported_engine_reason(std::string_view engine) {
  if (upper(engine) == "CONNECT")
    return "ENGINE 'CONNECT' (its rows are its own files or another server's, which "
           "information_schema does not tell apart)";
  return "";
}

static std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

static std::string text(const std::optional<std::string>& v) { return v.value_or(""); }

DatabaseDef read_database(Session& s, const std::string& name, const CatalogOptions& options) {
  DatabaseDef db;
  db.name = name;
  const std::string qname = quote_string(name);
  ResultSet schema = s.query(
      fmt::format("SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME "
                  "FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = {}",
                  qname),
      fmt::format("reading database {}", name));
  if (schema.rows.empty()) {
    throw Error(Errc::invalid_argument, name,
                "no such database on the server (check the name and the user's privileges)");
  }
  db.charset = text(schema.rows[0][0]);
  db.collation = text(schema.rows[0][1]);
  ResultSet create = s.query(fmt::format("SHOW CREATE DATABASE {}", quote_identifier(name)),
                             fmt::format("reading the definition of database {}", name));
  if (!create.rows.empty()) db.create_sql = text(create.rows[0][1]);

  // Views are read with the other objects; a type that is neither is kept aside.
  ResultSet tables = s.query(
      fmt::format("SELECT TABLE_NAME, TABLE_TYPE, ENGINE FROM information_schema.TABLES "
                  "WHERE TABLE_SCHEMA = {} AND TABLE_TYPE <> 'VIEW' ORDER BY TABLE_NAME",
                  qname),
      fmt::format("listing the tables of {}", name));
  ResultSet cols = s.query(
      fmt::format("SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, EXTRA "
                  "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = {} "
                  "ORDER BY TABLE_NAME, ORDINAL_POSITION",
                  qname),
      fmt::format("listing the columns of {}", name));

  for (const auto& row : tables.rows) {
    if (text(row[1]) != "BASE TABLE") {
      db.unsupported.emplace_back(text(row[0]), fmt::format("TABLE_TYPE '{}'", text(row[1])));
      continue;
    }
    const std::string engine = text(row[2]);
    if (std::string why = unsupported_engine_reason(engine); !why.empty()) {
      db.unsupported.emplace_back(text(row[0]), why);
      continue;
    }
    TableDef t;
    t.name = text(row[0]);
    t.ddl_only = ddl_only_reason(engine);
    std::string qualified = fmt::format("{}.{}", name, t.name);
    ResultSet c = s.query(fmt::format("SHOW CREATE TABLE {}", quote_qualified(name, t.name)),
                          fmt::format("reading the definition of {}", qualified));
    if (c.rows.empty() || c.rows[0].size() < 2) {
      throw Error(Errc::server, qualified, "SHOW CREATE TABLE returned nothing");
    }
    t.create_sql = text(c.rows[0][1]);
    t.auto_increment = parse_auto_increment(t.create_sql);
    for (const auto& col : cols.rows) {
      if (text(col[0]) != t.name) continue;
      ColumnDef cd;
      cd.name = text(col[1]);
      cd.data_type = lower(text(col[2]));
      cd.column_type = text(col[3]);
      std::string extra = lower(text(col[4]));
      cd.generated = extra.find("generated") != std::string::npos ||
                     extra.find("virtual") != std::string::npos ||
                     extra.find("stored") != std::string::npos;
      cd.invisible = extra.find("invisible") != std::string::npos;
      t.columns.push_back(std::move(cd));
    }
    if (t.columns.empty()) throw Error(Errc::server, qualified, "the table has no columns");
    db.tables.push_back(std::move(t));
  }
  db.objects = read_objects(s, name, options);
  return db;
}

}  // namespace omsbackup

#include "restore/ddl_proof.h"

#include <fmt/format.h>

#include "omsbackup/error.h"
#include "restore/objects.h"
#include "sql/quote.h"

namespace omsbackup {

void check_ddl(RestoreState& st, Session& s, const Target& t, const std::string& db, bool database) {
  bool same_server = std::string(flavor_name(s.server().flavor)) == st.m.server_flavor &&
                     s.server().version == st.m.server_version;
  auto differs = [&](const std::string& object, const std::string& what, const std::string& got,
                     const std::string& expected) {
    if (got == expected) return;
    std::size_t at = 0;
    while (at < got.size() && at < expected.size() && got[at] == expected[at]) ++at;
    std::string msg = fmt::format(
        "SHOW CREATE {} of the restored {} differs from the archive's from byte {}: the "
        "archive has '{}', the server '{}'",
        what, db, at, expected.substr(at, 60), got.substr(at, 60));
    if (same_server) throw Error(Errc::verify_failed, object, msg);
    st.report.warnings.push_back(fmt::format("{}: {} (another server version: expected)", object, msg));
  };
  for (const TableEntry& te : t.entry->tables) {
    ResultSet r = s.query(fmt::format("SHOW CREATE TABLE {}", quote_qualified(db, te.def.name)),
                          fmt::format("reading back {}.{}", db, te.def.name));
    differs(t.names.name + "." + te.def.name, "TABLE", r.rows.at(0).at(1).value_or(""),
            te.def.create_sql);
  }
  if (!database) return;
  ResultSet r = s.query(fmt::format("SHOW CREATE DATABASE {}", quote_identifier(db)),
                        fmt::format("reading back database {}", db));
  differs(db, "DATABASE", r.rows.at(0).at(1).value_or(""), expected_create_database(db, *t.entry));
}

}  // namespace omsbackup

// omsdump: flags -> DumpOptions -> omsbackup::dump() -> summary and exit status.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "common/cli.h"
#include "omsbackup/omsbackup.h"

using namespace omsbackup;

int main(int argc, char** argv) {
  return tools::run_main("omsdump", [&] {
    CLI::App app{"omsdump: back up MySQL/MariaDB/OceanBase databases (OMS metadata) into a "
                 "verified, compressed archive directory"};
    app.set_help_flag("--help", "Print this help and exit");
    app.set_version_flag("--version", version());
    tools::ConnectionFlags conn;
    tools::add_connection_flags(app, conn);
    DumpOptions o;
    bool json = false;
    app.add_option("--databases,-B", o.databases, "Databases to dump")->required();
    app.add_option("-o,--output", o.output, "Archive directory to create (must not exist)")
        ->required();
    app.add_option("--compress-level", o.compress_level, "zstd level")
        ->check(CLI::Range(1, 19))
        ->capture_default_str();
    app.add_flag("--json", json, "Print a machine-readable report on stdout");
    try {
      tools::parse(app, conn, argc, argv);
    } catch (const CLI::ParseError& e) {
      return app.exit(e);
    }
    o.connection = tools::connection_options(conn);
    DumpReport r = dump(o);
    if (json) {
      nlohmann::ordered_json j;
      j["archive"] = r.archive;
      j["consistency"] = r.consistency;
      j["seconds"] = r.seconds;
      j["tables"] = nlohmann::json::array();
      for (const auto& t : r.tables) {
        j["tables"].push_back({{"database", t.database}, {"table", t.table}, {"rows", t.rows},
                               {"chunks", t.chunks}, {"raw_bytes", t.raw_bytes},
                               {"stored_bytes", t.stored_bytes}});
      }
      std::cout << j.dump(2) << "\n";
    } else {
      std::cerr << fmt::format("omsdump: wrote {} ({} tables, {} rows, {}) in {:.1f}s\n",
                               r.archive, r.tables.size(), r.total_rows(),
                               tools::human_bytes(r.total_stored_bytes()), r.seconds);
    }
    return 0;
  });
}

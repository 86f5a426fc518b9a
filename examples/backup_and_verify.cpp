// An example of OMS tooling linking libomsbackup: back up databases and verify the
// archive, through the public API only. Built against the installed library:
//
//   g++ -std=c++20 backup_and_verify.cpp $(pkg-config --cflags --libs omsbackup)
//
// Usage: MYSQL_PWD=... backup_and_verify HOST PORT USER ARCHIVE DB [DB...]
#include <omsbackup/omsbackup.h>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: MYSQL_PWD=... %s HOST PORT USER ARCHIVE DB [DB...]\n", argv[0]);
    return 2;
  }
  omsbackup::DumpOptions options;
  options.connection.host = argv[1];
  options.connection.port = static_cast<unsigned>(std::atoi(argv[2]));
  options.connection.user = argv[3];
  if (const char* pw = std::getenv("MYSQL_PWD")) options.connection.password = pw;
  options.output = argv[4];
  for (int i = 5; i < argc; ++i) options.databases.push_back(argv[i]);
  options.prune.mode = omsbackup::PruneMode::filter;  // OMS heartbeat tables: newest row only
  options.on_progress = [](const omsbackup::DumpProgress& p) {
    std::fprintf(stderr, "progress: %llu/%llu chunks\n",
                 static_cast<unsigned long long>(p.chunks_done),
                 static_cast<unsigned long long>(p.chunks_total));
  };
  try {
    omsbackup::DumpReport report = omsbackup::dump(options);
    omsbackup::ArchiveInfo info = omsbackup::verify(report.archive, /*deep=*/true);
    std::printf("omsbackup %s: archived %llu rows of %zu tables (%s consistency); verified %llu "
                "files\n",
                omsbackup::version(), static_cast<unsigned long long>(report.total_rows()),
                report.tables.size(), report.consistency.c_str(),
                static_cast<unsigned long long>(info.files));
    return 0;
  } catch (const omsbackup::Error& e) {
    std::fprintf(stderr, "failed (%s): %s\n", omsbackup::errc_name(e.code()), e.what());
    return 1;
  }
}

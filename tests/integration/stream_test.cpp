// Archives as streams (#18 point 1, docs/restore.md "Restoring from a stream"): omsdump -o -
// piped into omsrestore - restores exactly (plain and encrypted, several chunks, hostile
// values); a stream cut anywhere is refused before the server is touched and leaves no
// spool; a directory packed and unpacked is the same bytes; --list says what an archive
// holds without a server.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "server.h"
#include "types_corpus.h"

using namespace omsbackup;
using namespace omsbackup::testing;

namespace {

const std::string kKeyHex = "7f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

std::string dump_cmd(const std::string& extra) {
  return fmt::format("{} --defaults-file={} -q --chunk-size 8KiB -t 2 {}", tool_path("OMSDUMP"),
                     sandbox_cnf(), extra);
}
std::string restore_cmd(const std::string& extra) {
  return fmt::format("{} --defaults-file={} -q {}", tool_path("OMSRESTORE"), sandbox_cnf(), extra);
}

std::map<std::string, std::string> files_below(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file())
      out[std::filesystem::relative(e.path(), dir).string()] = read_file(e.path().string());
  return out;
}

void make_stream_db(Session& s) {
  s.execute("DROP DATABASE IF EXISTS stream_a");
  s.execute("CREATE DATABASE stream_a CHARACTER SET latin1");
  s.execute("CREATE TABLE stream_a.t (id INT PRIMARY KEY AUTO_INCREMENT, b VARBINARY(300), "
         "s VARCHAR(200) CHARACTER SET utf8mb4, f FLOAT, d DATETIME(6), n BIT(9)) AUTO_INCREMENT=5000");
  // Enough rows for several 8 KiB chunks; values with every byte and the edge cases.
  s.execute("INSERT INTO stream_a.t (id, b, s, f, d, n) SELECT seq, "
         "UNHEX(REPEAT(LPAD(HEX(seq % 256), 2, '0'), 40)), "
         "IF(seq % 7 = 0, NULL, IF(seq % 7 = 1, '', CONCAT('\xe2\x82\xac\\t\\n\\\\', seq))), "
         "IF(seq % 5 = 0, -0.0, 1.0 / seq), "
         "IF(seq % 3 = 0, '0000-00-00 00:00:00', '2026-12-06 01:02:03.000004'), seq % 512 "
         "FROM stream_a.seq_1_to_1500");
  s.execute("CREATE TABLE stream_a.empty (k CHAR(1) PRIMARY KEY)");
  s.execute("CREATE VIEW stream_a.v AS SELECT id, s FROM stream_a.t WHERE id < 10");
}

}  // namespace

TEST_CASE("omsdump -o - | omsrestore - restores exactly, plain and encrypted", "[stream][cli]") {
  auto s = sandbox_session();
  s->execute("SET SESSION sql_mode = ''");
  make_stream_db(*s);
  make_strings(*s);
  const DatabaseState before_a = capture(*s, "stream_a");
  const DatabaseState before_str = capture(*s, "types_str");
  const std::string dir = temp_dir("stream-pipe");
  const bool encrypted = GENERATE(false, true);
  CAPTURE(encrypted);
  const std::string key = encrypted ? " --encrypt-key-file " + write_key(dir, "k", kKeyHex) : "";
  // A real pipe: the restore spools the whole stream, verifies it, then replaces the
  // databases the dump just read.
  CommandResult pipe = run_command(fmt::format("TMPDIR={0} {1} -B stream_a,types_str -o - {2} | "
                                               "TMPDIR={0} {3} - {2}",
                                               dir, dump_cmd(""), key, restore_cmd("")));
  INFO(pipe.output);
  REQUIRE(pipe.status == 0);
  require_same(before_a, capture(*s, "stream_a"));
  require_same(before_str, capture(*s, "types_str"));
  // A saved stream, restored over live copies changed since the dump.
  CommandResult dump = run_command(fmt::format("(TMPDIR={} {} -B stream_a,types_str -o - {} > {}/a.stream)",
                                               dir, dump_cmd(""), key, dir));
  REQUIRE(dump.status == 0);
  INFO(dump.output);
  CHECK(dump.output.find("stream to stdout") != std::string::npos);
  s->execute("DELETE FROM stream_a.t WHERE id % 2 = 0");
  s->execute("DROP VIEW stream_a.v");
  CommandResult restore = run_command(fmt::format("cat {0}/a.stream | TMPDIR={0} {1} - {2}", dir,
                                                  restore_cmd(""), key));
  INFO(restore.output);
  REQUIRE(restore.status == 0);
  require_same(before_a, capture(*s, "stream_a"));
  require_same(before_str, capture(*s, "types_str"));
  // Neither side left a spool behind.
  for (const auto& e : std::filesystem::directory_iterator(dir))
    CHECK(e.path().filename().string().find("spool") == std::string::npos);
}

TEST_CASE("a stream cut anywhere is refused before the server is touched", "[stream][cli]") {
  auto s = sandbox_session();
  make_stream_db(*s);
  const std::string dir = temp_dir("stream-cut");
  REQUIRE(run_command(fmt::format("({} -B stream_a -o - > {}/a.stream)", dump_cmd(""), dir)).status == 0);
  const auto size = std::filesystem::file_size(dir + "/a.stream");
  REQUIRE(size > 20000);
  // The live database changes after the dump; a refused restore must leave it so.
  s->execute("DELETE FROM stream_a.t WHERE id > 1000");
  const DatabaseState live = capture(*s, "stream_a");
  for (std::uintmax_t cut : {std::uintmax_t{10}, size / 3, size / 2, size - 300, size - 1}) {
    CAPTURE(cut);
    CommandResult r = run_command(fmt::format("head -c {1} {0}/a.stream | TMPDIR={0} {2} -", dir,
                                              cut, restore_cmd("")));
    INFO(r.output);
    CHECK(r.status != 0);
    CHECK(r.output.find("cut short") != std::string::npos);
    CHECK(r.output.find("server was not contacted") != std::string::npos);
    require_same(live, capture(*s, "stream_a"));
    for (const auto& e : std::filesystem::directory_iterator(dir))
      CHECK(e.path().filename().string().find("spool") == std::string::npos);
  }
  // A dump whose reader goes away fails and removes its spool.
  CommandResult gone = run_command(
      fmt::format("TMPDIR={} {} -B stream_a -o - | head -c 100 > /dev/null", dir, dump_cmd("")));
  (void)gone;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    CHECK(e.path().filename().string().find("spool") == std::string::npos);
}

TEST_CASE("--pack and --unpack are byte for byte; --list describes the archive", "[stream][cli]") {
  auto s = sandbox_session();
  make_stream_db(*s);
  const std::string dir = temp_dir("stream-pack");
  REQUIRE(run_command(dump_cmd("-B stream_a -o " + dir + "/a")).status == 0);
  CommandResult p = run_command(restore_cmd(dir + "/a --pack " + dir + "/a.stream"));
  INFO(p.output);
  REQUIRE(p.status == 0);
  CHECK((std::filesystem::status(dir + "/a.stream").permissions() & std::filesystem::perms::all) ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  REQUIRE(run_command(restore_cmd(dir + "/a.stream --unpack " + dir + "/b")).status == 0);
  CHECK(files_below(dir + "/b") == files_below(dir + "/a"));
  // Through pipes, and a dump's own stream unpacked.
  REQUIRE(run_command(restore_cmd(dir + "/b --pack - | ") + restore_cmd("- --unpack " + dir + "/c")).status == 0);
  CHECK(files_below(dir + "/c") == files_below(dir + "/a"));
  REQUIRE(run_command(dump_cmd("-B stream_a -o - | ") + restore_cmd("- --unpack " + dir + "/d")).status == 0);
  CHECK(run_command(restore_cmd(dir + "/d --check")).status == 0);
  // An existing target is refused.
  CHECK(run_command(restore_cmd(dir + "/a --pack " + dir + "/a.stream")).status != 0);
  CHECK(run_command(restore_cmd(dir + "/a.stream --unpack " + dir + "/b")).status != 0);

  CommandResult l = run_command(restore_cmd(dir + "/a --list --json 2>/dev/null"));
  INFO(l.output);
  REQUIRE(l.status == 0);
  auto j = nlohmann::json::parse(l.output);
  CHECK(j["server_flavor"] == "MariaDB");
  CHECK(j["consistency"].get<std::string>().size() > 0);
  CHECK(j["options"]["chunk_bytes"] == "8192");
  CHECK(j["options"]["threads"] == "2");
  CHECK(j["checked"] == "files");
  REQUIRE(j["databases"].size() == 1);
  CHECK(j["databases"][0]["views"] == 1);
  std::map<std::string, std::uint64_t> rows;
  for (const auto& t : j["databases"][0]["tables"]) rows[t["table"]] = t["rows"];
  CHECK(rows == std::map<std::string, std::uint64_t>{{"empty", 0}, {"t", 1500}});
  // The same from the stream file, and the text form names the options.
  CommandResult ls = run_command(restore_cmd(dir + "/a.stream --list"));
  CHECK(ls.status == 0);
  CHECK(ls.output.find("dumped with: chunk_bytes=8192") != std::string::npos);
  CHECK(ls.output.find("1500 rows") != std::string::npos);
}

TEST_CASE("--to-sql and --diff read a stream as they read a directory", "[stream][cli]") {
  auto s = sandbox_session();
  make_stream_db(*s);
  const std::string dir = temp_dir("stream-tosql-diff");
  REQUIRE(run_command(fmt::format("({} -B stream_a -o - > {}/a.stream)", dump_cmd(""), dir)).status == 0);
  REQUIRE(run_command(restore_cmd(dir + "/a.stream --unpack " + dir + "/a")).status == 0);
  auto no_spool = [&] {
    for (const auto& e : std::filesystem::directory_iterator(dir))
      CHECK(e.path().filename().string().find("spool") == std::string::npos);
  };

  // The script from a stream on stdin is the script from the directory, its first two
  // header lines (time, what it was made from) aside.
  CommandResult from_dir = run_command(restore_cmd(dir + "/a --to-sql " + dir + "/dir.sql"));
  INFO(from_dir.output);
  REQUIRE(from_dir.status == 0);
  CommandResult from_pipe = run_command(fmt::format(
      "cat {0}/a.stream | TMPDIR={0} {1} - --to-sql - > {0}/pipe.sql", dir, restore_cmd("")));
  INFO(from_pipe.output);
  REQUIRE(from_pipe.status == 0);
  auto body = [](std::string text) {
    for (int i = 0; i < 2; ++i) text.erase(0, text.find('\n') + 1);
    return text;
  };
  const std::string pipe_sql = read_file(dir + "/pipe.sql");
  CHECK(pipe_sql.find("-- from the archive stream read from standard input") != std::string::npos);
  CHECK(read_file(dir + "/dir.sql").find("-- from the archive \"" + dir + "/a\" (") != std::string::npos);
  REQUIRE(pipe_sql.size() > 50000);
  CHECK(body(pipe_sql) == body(read_file(dir + "/dir.sql")));
  no_spool();
  // A cut stream writes no script.
  const auto size = std::filesystem::file_size(dir + "/a.stream");
  CommandResult cut = run_command(fmt::format("head -c {1} {0}/a.stream | TMPDIR={0} {2} - --to-sql {0}/cut.sql",
                                              dir, size / 2, restore_cmd("")));
  INFO(cut.output);
  CHECK(cut.status != 0);
  CHECK(cut.output.find("cut short") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir + "/cut.sql"));
  CHECK_FALSE(std::filesystem::exists(dir + "/cut.sql.partial"));
  no_spool();

  // --diff from a stream file and from stdin: identical, then exactly the changed table.
  const std::string diff = restore_cmd("--json --diff ");
  CommandResult same = run_command(fmt::format("TMPDIR={0} {1} {0}/a.stream", dir, diff));
  INFO(same.output);
  CHECK(same.status == 0);
  s->execute("DELETE FROM stream_a.t WHERE id = 77");
  for (const std::string& how : {fmt::format("TMPDIR={0} {1} {0}/a.stream", dir, diff),
                                 fmt::format("cat {0}/a.stream | TMPDIR={0} {1} -", dir, diff)}) {
    CAPTURE(how);
    CommandResult r = run_command(how + " 2>/dev/null");
    INFO(r.output);
    REQUIRE(r.status == 3);
    auto j = nlohmann::json::parse(r.output);
    std::map<std::string, std::string> states;
    for (const auto& t : j["databases"][0]["tables"]) states[t["table"]] = t["state"];
    CHECK(states == std::map<std::string, std::string>{{"empty", "same"}, {"t", "rows changed"}});
    no_spool();
  }
}

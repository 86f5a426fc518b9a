// Archives written by earlier omsbackup releases stay readable and restore exactly.
// tests/data/archives holds two made by the release before archive format 3 (from
// tests/data/oms_sample.sql): v1-oms-sample (format 1, plaintext, per-row SHA-256 sums) and
// v2-oms-sample-encrypted (format 2, AES-256-GCM with v2-oms-sample.key). Each is restored
// under other names next to a fresh load of the same sample and compared with it.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>

#include "omsbackup/omsbackup.h"
#include "server.h"

using namespace omsbackup;
using namespace omsbackup::testing;

namespace {

std::string source_root() {
  const char* root = std::getenv("OMSB_SOURCE_ROOT");
  return root ? root : ".";
}

// A private copy of a fixture: the restore writes its journal next to the archive, and the
// source tree must stay as it is.
std::string copy_fixture(const std::string& name) {
  std::string dir = temp_dir("legacy-" + name) + "/" + name;
  std::filesystem::copy(source_root() + "/tests/data/archives/" + name, dir,
                        std::filesystem::copy_options::recursive);
  return dir;
}

std::string copy_key() {
  std::string path = temp_dir("legacy-key") + "/v2.key";
  std::filesystem::copy_file(source_root() + "/tests/data/archives/v2-oms-sample.key", path);
  ::chmod(path.c_str(), 0600);
  return path;
}

void require_restored_as(Session& s, const std::map<std::string, std::string>& rename) {
  for (const auto& [from, to] : rename) {
    INFO("database " << from << " restored as " << to);
    DatabaseState live = capture(s, from);
    DatabaseState restored = capture(s, to);
    // The name inside CREATE DATABASE differs; everything after it must not.
    std::string expected_create = live.create_sql;
    auto at = expected_create.find("`" + from + "`");
    REQUIRE(at != std::string::npos);
    expected_create.replace(at, from.size() + 2, "`" + to + "`");
    CHECK(restored.create_sql == expected_create);
    live.create_sql = restored.create_sql;
    require_same(live, restored);
  }
}

}  // namespace

TEST_CASE("archives of format versions 1 and 2 are still verified and restored exactly",
          "[legacy][restore]") {
  load_sql_file(source_root() + "/tests/data/oms_sample.sql");
  auto s = sandbox_session();

  SECTION("format 1: plaintext, four databases") {
    std::string archive = copy_fixture("v1-oms-sample");
    ArchiveInfo info = verify(archive, true);
    CHECK(info.format_version == 1);
    CHECK_FALSE(info.encrypted);
    ToolResult check = run_tool({tool_path("OMSRESTORE"), "--check", archive});
    INFO(check.all());
    CHECK(check.status == 0);

    const std::map<std::string, std::string> rename = {
        {"rm", "v1_rm"}, {"cm", "v1_cm"}, {"cm_hb1", "v1_cm_hb1"}, {"cm_hb2", "v1_cm_hb2"}};
    for (const auto& [from, to] : rename) s->execute("DROP DATABASE IF EXISTS " + to);
    RestoreOptions o;
    o.connection = sandbox_connection();
    o.archive = archive;
    o.rename = rename;
    RestoreReport r = restore(o);
    CHECK(r.verified);
    CHECK(r.rows > 0);
    require_restored_as(*s, rename);
    for (const auto& [from, to] : rename) s->execute("DROP DATABASE " + to);
  }
  SECTION("format 2: encrypted, through the command line") {
    std::string archive = copy_fixture("v2-oms-sample-encrypted");
    std::string key = copy_key();
    EncryptionOptions enc;
    enc.key_file = key;
    ArchiveInfo info = verify(archive, true, enc);
    CHECK(info.format_version == 2);
    CHECK(info.encrypted);
    ToolResult check = run_tool({tool_path("OMSRESTORE"), "--check", "--encrypt-key-file", key, archive});
    INFO(check.all());
    CHECK(check.status == 0);

    const std::map<std::string, std::string> rename = {{"rm", "v2_rm"}, {"cm", "v2_cm"}};
    for (const auto& [from, to] : rename) s->execute("DROP DATABASE IF EXISTS " + to);
    ToolResult r = run_tool({tool_path("OMSRESTORE"), "--defaults-file=" + sandbox_cnf(),
                             "--encrypt-key-file", key, "--rename", "rm=v2_rm", "--rename", "cm=v2_cm",
                             archive},
                            SpawnOptions{{}, {"MYSQL_PWD", "MYSQL_HOST"}, {}});
    INFO(r.all());
    REQUIRE(r.status == 0);
    require_restored_as(*s, rename);
    for (const auto& [from, to] : rename) s->execute("DROP DATABASE " + to);
  }
}

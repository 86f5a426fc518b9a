// What a restore finds out before it changes anything: missing privileges are named (with
// --in-place suggested where it would do), and a failure before anything was staged says
// so and leaves no journal that would block the next try.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <filesystem>

#include "omsbackup/dump.h"
#include "omsbackup/error.h"
#include "omsbackup/restore.h"
#include "server.h"

using namespace omsbackup;
using namespace omsbackup::testing;
namespace fs = std::filesystem;

namespace {

constexpr const char* kUser = "omsb_preflight";
constexpr const char* kPassword = "pf-Pass-42";

struct Limited {
  Session& s;
  explicit Limited(Session& root, const std::vector<std::string>& grants) : s(root) {
    s.execute(fmt::format("DROP USER IF EXISTS '{}'@'127.0.0.1'", kUser));
    s.execute(fmt::format("CREATE USER '{}'@'127.0.0.1' IDENTIFIED BY '{}'", kUser, kPassword));
    for (const auto& g : grants) s.execute(fmt::format("GRANT {} TO '{}'@'127.0.0.1'", g, kUser));
  }
  ~Limited() {
    try {
      s.execute(fmt::format("DROP USER IF EXISTS '{}'@'127.0.0.1'", kUser));
    } catch (...) {
    }
  }
  RestoreOptions options(const std::string& archive) const {
    RestoreOptions r;
    r.connection = sandbox_connection();
    r.connection.user = kUser;
    r.connection.password = kPassword;
    r.archive = archive;
    r.threads = 1;
    return r;
  }
};

std::string make_and_dump(Session& s, const std::string& tag, bool view = false) {
  for (const char* sql : {"DROP DATABASE IF EXISTS pf_db", "CREATE DATABASE pf_db",
                          "CREATE TABLE pf_db.t (id INT PRIMARY KEY, v VARCHAR(10))",
                          "INSERT INTO pf_db.t VALUES (1, 'a'), (2, 'b')"})
    s.execute(sql);
  if (view) s.execute("CREATE VIEW pf_db.v AS SELECT id FROM pf_db.t");
  DumpOptions d;
  d.connection = sandbox_connection();
  d.databases = {"pf_db"};
  d.output = fresh_path(tag);
  dump(d);
  s.execute("INSERT INTO pf_db.t VALUES (3, 'after')");
  return d.output;
}

std::string error_of(const RestoreOptions& o) {
  try {
    restore(o);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("preflight names the privileges a restore lacks and suggests --in-place where it "
          "would work",
          "[preflight][restore]") {
  auto s = sandbox_session();
  const std::string archive = make_and_dump(*s, "preflight-grants");
  {
    // Everything on the database itself, nothing on its staging and old copies.
    Limited u(*s, {"ALL PRIVILEGES ON `pf_db`.*"});
    std::string msg = error_of(u.options(archive));
    INFO(msg);
    CHECK(msg.find("`pf_db__omsb_stage`") != std::string::npos);
    CHECK(msg.find("`pf_db__omsb_old`") != std::string::npos);
    CHECK(msg.find("--in-place") != std::string::npos);
    CHECK(msg.find("nothing was changed") != std::string::npos);
    CHECK_FALSE(fs::exists(archive + ".restore-journal"));
    CHECK(s->scalar("SELECT COUNT(*) FROM pf_db.t") == std::optional<std::string>("3"));
    // And --in-place, which needs only those, works.
    RestoreOptions o = u.options(archive);
    o.in_place = true;
    restore(o);
    CHECK(s->scalar("SELECT COUNT(*) FROM pf_db.t") == std::optional<std::string>("2"));
  }
  {
    // Without DROP anywhere, and without SHOW VIEW for the view: no mode would do.
    const std::string with_view = make_and_dump(*s, "preflight-view", true);
    Limited u(*s, {"SELECT, INSERT, CREATE, ALTER, INDEX, DELETE, LOCK TABLES, CREATE VIEW ON "
                   "`pf\\_db%`.*"});
    std::string msg = error_of(u.options(with_view));
    INFO(msg);
    CHECK(msg.find("DROP") != std::string::npos);
    CHECK(msg.find("SHOW VIEW") != std::string::npos);
    CHECK(msg.find("--in-place") == std::string::npos);
  }
  s->execute("DROP DATABASE pf_db");
}

TEST_CASE("a restore that fails before anything is staged leaves no journal and claims nothing",
          "[preflight][restore]") {
  auto s = sandbox_session();
  const std::string archive = make_and_dump(*s, "preflight-connections");
  Limited u(*s, {"ALL PRIVILEGES ON *.*"});
  s->execute(fmt::format("ALTER USER '{}'@'127.0.0.1' WITH MAX_USER_CONNECTIONS 5", kUser));
  RestoreOptions o = u.options(archive);
  o.threads = 8;  // more connections than the user may open
  std::string msg = error_of(o);
  INFO(msg);
  CHECK(msg.find("(no error)") == std::string::npos);
  CHECK(msg.find("__omsb_stage") == std::string::npos);
  CHECK(msg.find("--resume") == std::string::npos);
  CHECK_FALSE(fs::exists(archive + ".restore-journal"));
  CHECK(s->scalar("SELECT COUNT(*) FROM pf_db.t") == std::optional<std::string>("3"));
  // The next try is not blocked by a journal.
  o.threads = 1;
  restore(o);
  CHECK(s->scalar("SELECT COUNT(*) FROM pf_db.t") == std::optional<std::string>("2"));
  s->execute("DROP DATABASE pf_db");
}

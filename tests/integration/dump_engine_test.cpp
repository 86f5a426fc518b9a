// The parallel dump engine against the sandbox server: one consistent snapshot under
// concurrent writers, cancellation, memory that stays flat as rows grow.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <thread>

#include "archive/archive_reader.h"
#include "codec/row_decoder.h"
#include "omsbackup/omsbackup.h"
#include "server.h"

using namespace omsbackup;
using namespace omsbackup::testing;

namespace {

constexpr int kAccounts = 2000;
constexpr long long kTotal = 1000LL * kAccounts;

void make_accounts(Session& s) {
  s.execute("DROP DATABASE IF EXISTS eng_bank");
  s.execute("CREATE DATABASE eng_bank");
  s.execute("CREATE TABLE eng_bank.accounts (id INT PRIMARY KEY, balance BIGINT NOT NULL, "
            "pad VARCHAR(200) NOT NULL) ENGINE=InnoDB");
  s.execute(fmt::format(
      "INSERT INTO eng_bank.accounts SELECT a.n * 100 + b.n * 10 + c.n + d.n * 1000 + 1, 1000, "
      "REPEAT('x', 150) FROM "
      "(SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 "
      "UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL "
      "SELECT 9) a, (SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION "
      "ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 "
      "UNION ALL SELECT 9) b, (SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT "
      "3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL "
      "SELECT 8 UNION ALL SELECT 9) c, (SELECT 0 n UNION ALL SELECT 1) d"));
  s.execute("ANALYZE TABLE eng_bank.accounts");  // fresh estimates for the planner
  REQUIRE(s.scalar("SELECT SUM(balance) FROM eng_bank.accounts") ==
          std::optional<std::string>(std::to_string(kTotal)));
}

// Sums the balance column over every chunk of the archive.
long long archived_sum(const std::string& dir, std::uint64_t& rows, std::size_t& chunks) {
  Manifest m = verify_archive(Env::posix(), dir, VerifyOptions{true});
  long long sum = 0;
  rows = 0;
  chunks = m.databases.at(0).tables.at(0).chunks.size();
  std::vector<char> buf(1 << 16);
  for (const auto& c : m.databases.at(0).tables.at(0).chunks) {
    ChunkReader reader(Env::posix(), dir, c.file);
    RowDecoder dec;
    Row row;
    while (std::size_t n = reader.read(buf.data(), buf.size())) {
      dec.feed(std::string_view(buf.data(), n));
      while (dec.next_row(row)) {
        sum += std::stoll(std::string(row.value(1)));
        ++rows;
      }
    }
    dec.finish();
  }
  return sum;
}

// Moves money between random accounts, one transaction at a time, until stopped.
class MoneyMover {
 public:
  MoneyMover() : thread_([this] { run(); }) {}
  ~MoneyMover() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  long long moves() const { return moves_; }

 private:
  void run() {
    auto s = sandbox_session();
    std::mt19937 rng(42);
    std::uniform_int_distribution<int> pick(1, kAccounts);
    while (!stop_) {
      int a = pick(rng), b = pick(rng);
      if (a == b) continue;
      s->execute("START TRANSACTION");
      s->execute(fmt::format("UPDATE eng_bank.accounts SET balance = balance - 7 WHERE id = {}", a));
      s->execute(fmt::format("UPDATE eng_bank.accounts SET balance = balance + 7 WHERE id = {}", b));
      s->execute("COMMIT");
      ++moves_;
    }
  }
  std::atomic<bool> stop_{false};
  std::atomic<long long> moves_{0};
  std::thread thread_;
};

DumpOptions bank_dump(const std::string& tag, Consistency c) {
  DumpOptions d;
  d.connection = sandbox_connection();
  d.databases = {"eng_bank"};
  d.output = fresh_path(tag);
  d.threads = 4;
  d.chunk_bytes = 8 * 1024;  // many chunks, read by different readers
  d.consistency = c;
  return d;
}

}  // namespace

TEST_CASE("a multi-thread dump sees one snapshot while money moves", "[dump][consistency]") {
  auto s = sandbox_session();
  make_accounts(*s);
  MoneyMover mover;
  while (mover.moves() < 50) std::this_thread::sleep_for(std::chrono::milliseconds(5));

  SECTION("automatic consistency takes the global read lock") {
    DumpReport r = dump(bank_dump("bank-auto", Consistency::automatic));
    CHECK(r.consistency == "lock");
    std::uint64_t rows = 0;
    std::size_t chunks = 0;
    CHECK(archived_sum(r.archive, rows, chunks) == kTotal);
    CHECK(rows == kAccounts);
    CHECK(chunks > 8);
  }
  SECTION("checked per-reader snapshots are consistent or refused") {
    try {
      DumpReport r = dump(bank_dump("bank-snapshot", Consistency::snapshot));
      CHECK(r.consistency == "snapshot");
      std::uint64_t rows = 0;
      std::size_t chunks = 0;
      CHECK(archived_sum(r.archive, rows, chunks) == kTotal);
    } catch (const Error& e) {
      // Writers never paused long enough: refused, with advice.
      CHECK(std::string(e.what()).find("kept writing") != std::string::npos);
    }
  }
  mover.stop();
  CHECK(mover.moves() > 50);
}

TEST_CASE("a cancelled dump leaves no archive behind", "[dump]") {
  auto s = sandbox_session();
  make_accounts(*s);
  std::atomic<bool> cancel{false};
  DumpOptions d = bank_dump("cancel", Consistency::automatic);
  d.threads = 2;
  d.cancel = &cancel;
  d.on_progress = [&](const DumpProgress& p) {
    if (p.rows > 0) cancel = true;
  };
  try {
    dump(d);
    FAIL("the dump was not cancelled");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::cancelled);
  }
  CHECK_FALSE(std::filesystem::exists(d.output));
}

TEST_CASE("dry run plans without writing", "[dump]") {
  auto s = sandbox_session();
  make_accounts(*s);
  DumpOptions d = bank_dump("dry", Consistency::automatic);
  d.dry_run = true;
  DumpReport r = dump(d);
  CHECK(r.archive.empty());
  REQUIRE(r.tables.size() == 1);
  CHECK(r.tables[0].chunk_key == std::vector<std::string>{"id"});
  CHECK(r.tables[0].chunks > 8);
  CHECK_FALSE(std::filesystem::exists(d.output));
}

namespace {

// Peak RSS in KiB of one omsdump run, from the kernel's accounting of the child.
long dump_peak_rss_kib(const std::string& db, const std::string& archive) {
  ConnectionOptions c = sandbox_connection();
  pid_t pid = fork();
  if (pid == 0) {
    setenv("MYSQL_PWD", c.password->c_str(), 1);
    std::string port = std::to_string(c.port);
    std::string omsdump = std::getenv("OMSDUMP");
    execl(omsdump.c_str(), "omsdump", "-h", c.host.c_str(), "-P", port.c_str(), "-u",
          c.user.c_str(), "--databases", db.c_str(), "-o", archive.c_str(), "--threads", "2",
          "--chunk-size", "4MiB", "-q", static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  rusage ru{};
  REQUIRE(wait4(pid, &status, 0, &ru) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  return ru.ru_maxrss;
}

void make_big_rows(Session& s, const std::string& db, int rows) {
  s.execute("DROP DATABASE IF EXISTS " + db);
  s.execute("CREATE DATABASE " + db);
  s.execute("CREATE TABLE " + db + ".blobs (id INT PRIMARY KEY, b LONGBLOB)");
  for (int i = 1; i <= rows; ++i) {
    // 1 MiB rows, not very compressible (SHA2 hex of the row and position).
    s.execute(fmt::format(
        "INSERT INTO {}.blobs VALUES ({}, (SELECT GROUP_CONCAT(SHA2(CONCAT({}, '-', seq), 256) "
        "SEPARATOR '') FROM {}.seq_1_to_16384))",
        db, i, i, db));
  }
}

}  // namespace

TEST_CASE("peak memory stays flat as the rows grow", "[dump][memory]") {
  auto s = sandbox_session();
  make_big_rows(*s, "eng_mem_small", 16);
  make_big_rows(*s, "eng_mem_big", 96);
  long small = dump_peak_rss_kib("eng_mem_small", fresh_path("mem-small"));
  long big = dump_peak_rss_kib("eng_mem_big", fresh_path("mem-big"));
  INFO("peak RSS: " << small << " KiB for 16 MiB of rows, " << big << " KiB for 96 MiB");
  // Stated bound: 2 readers x (1 MiB row + encode buffer + zstd context) + the process.
  CHECK(big < 64 * 1024);
  CHECK(big < small * 13 / 10 + 4096);
  s->execute("DROP DATABASE eng_mem_small");
  s->execute("DROP DATABASE eng_mem_big");
}

TEST_CASE("without the RELOAD privilege, automatic consistency falls back to checked snapshots",
          "[dump][consistency]") {
  auto s = sandbox_session();
  make_accounts(*s);
  s->execute("DROP USER IF EXISTS 'omsb_noreload'@'127.0.0.1'");
  s->execute("CREATE USER 'omsb_noreload'@'127.0.0.1' IDENTIFIED BY 'x-Pass-42'");
  s->execute("GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON *.* TO "
             "'omsb_noreload'@'127.0.0.1'");
  s->execute("GRANT BINLOG MONITOR ON *.* TO 'omsb_noreload'@'127.0.0.1'");
  DumpOptions d = bank_dump("noreload", Consistency::automatic);
  d.connection.user = "omsb_noreload";
  d.connection.password = "x-Pass-42";
  DumpReport r = dump(d);
  CHECK(r.consistency == "snapshot");  // no writers: the binary log position did not move
  std::uint64_t rows = 0;
  std::size_t chunks = 0;
  CHECK(archived_sum(r.archive, rows, chunks) == kTotal);
  CHECK(rows == kAccounts);
  d.consistency = Consistency::lock;
  d.output = fresh_path("noreload-lock");
  CHECK_THROWS_WITH(dump(d), Catch::Contains("RELOAD") || Catch::Contains("1227") ||
                                 Catch::Contains("denied"));
  s->execute("DROP USER 'omsb_noreload'@'127.0.0.1'");
}

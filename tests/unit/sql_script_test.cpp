// omsdump --from-sql's reading and judging of a mysqldump file (lib/import/): statements
// split as the mysql client splits them, with their lines; what is refused and why.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>

#include "import/sql_script.h"
#include "import/statement_policy.h"
#include "omsbackup/error.h"

using namespace omsbackup;

namespace {

// Hands out the text a few bytes at a time, so that lines cross every read.
class TrickleFile final : public SequentialFile {
 public:
  explicit TrickleFile(std::string text) : text_(std::move(text)) {}
  std::size_t read(char* buf, std::size_t n) override {
    std::size_t k = std::min({n, std::size_t{7}, text_.size() - pos_});
    std::memcpy(buf, text_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  std::string text_;
  std::size_t pos_ = 0;
};

std::vector<std::pair<std::size_t, std::string>> split(const std::string& text,
                                                       std::size_t max = 1 << 20) {
  TrickleFile f(text);
  ScriptReader r(f, "f.sql", max);
  std::vector<std::pair<std::size_t, std::string>> out;
  while (auto s = r.next({})) out.emplace_back(s->line, s->text);
  return out;
}

std::string refusal(const std::string& text) {
  try {
    split(text, 200);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

ServerInfo mariadb() { return ServerInfo::parse("10.11.6-MariaDB", "mariadb.org binary distribution"); }

Verdict judge(const std::string& sql, std::set<std::string> file_dbs = {"rm"}) {
  PolicyContext c;
  c.server = mariadb();
  c.file_databases = std::move(file_dbs);
  c.forbidden = {"mysql", "information_schema", "performance_schema", "sys", "cm", "rm"};
  return judge_statement(sql, {}, c, "f.sql line 9");
}

std::string judge_refusal(const std::string& sql) {
  try {
    judge(sql);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a mysqldump file splits into statements with their lines", "[from-sql]") {
  auto st = split(
      "-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB\n"
      "/*!40101 SET NAMES utf8mb4 */;\n"
      "INSERT INTO `t` VALUES (1,'a;b\\';c'),(2,\"x;\"); -- tail; comment\n"
      "/* a; comment */ INSERT INTO `t;` VALUES (3);INSERT INTO t VALUES (4);\n"
      "DELIMITER ;;\n"
      "CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END ;;\n"
      "DELIMITER ;\n"
      "SELECT 'multi\nline';\n");
  REQUIRE(st.size() == 6);
  CHECK(st[0] == std::make_pair(std::size_t{2}, std::string("-- MariaDB dump 10.19  Distrib "
                                                             "10.11.6-MariaDB\n/*!40101 SET NAMES "
                                                             "utf8mb4 */")));
  CHECK(st[1].first == 3);
  CHECK(st[1].second == "INSERT INTO `t` VALUES (1,'a;b\\';c'),(2,\"x;\")");
  CHECK(st[2].first == 4);  // the line of its first word, after the comments before it
  CHECK(st[3] == std::make_pair(std::size_t{4}, std::string("INSERT INTO t VALUES (4)")));
  CHECK(st[4] == std::make_pair(std::size_t{6},
                                std::string("CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END ")));
  CHECK(st[5].first == 8);
}

TEST_CASE("a cut file is refused naming the line", "[from-sql]") {
  CHECK_THAT(refusal("SET x=1;\nINSERT INTO t VALUES\n(1,'abc"),
             Catch::Contains("f.sql line 3") && Catch::Contains("not closed"));
  CHECK_THAT(refusal("SET x=1;\n/* open comment\n"), Catch::Contains("f.sql line 2"));
  CHECK_THAT(refusal("SET x=1;\n\nINSERT INTO t VALUES (1),(2)"),
             Catch::Contains("f.sql line 3") && Catch::Contains("ends inside the statement"));
  CHECK_THAT(refusal("SET x=1;\nINSERT INTO t VALUES ('" + std::string(300, 'x') + "');\n"),
             Catch::Contains("f.sql line 2") && Catch::Contains("max_allowed_packet"));
  CHECK(refusal("SET x=1;\n-- only a comment\n").empty());
}

TEST_CASE("only mysqldump's statement kinds on the file's databases are allowed", "[from-sql]") {
  CHECK(judge("/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */").sets);
  CHECK(judge("LOCK TABLES `t` WRITE").kind == StatementKind::skip);
  CHECK(judge("/*!40000 ALTER TABLE `t` DISABLE KEYS */").kind == StatementKind::run);
  CHECK(judge("INSERT INTO `t` VALUES (1,-2.5e-3,'x',_binary 'y',X'00',NULL),(2,0x0F,b'1',DEFAULT,'')")
            .writes);
  Verdict q = judge("INSERT INTO `rm`.`t` VALUES (1)");
  CHECK(q.qualified);
  Verdict c = judge("CREATE DATABASE /*!32312 IF NOT EXISTS*/ `rm` /*!40100 DEFAULT CHARACTER SET utf8mb4 */");
  CHECK(c.kind == StatementKind::create_database);
  CHECK(c.database == "rm");
  CHECK(judge("/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER t1 "
              "BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1 */")
            .kind == StatementKind::run);
  CHECK(judge("CREATE DEFINER=`root`@`localhost` PROCEDURE `p`() BEGIN SELECT 1; END").kind ==
        StatementKind::run);
  CHECK(judge("/*M!999999\\- enable the sandbox mode */ SET x=1").sets);
  // A versioned comment MariaDB skips is not part of the statement it judges.
  CHECK(judge("/*!80000 DROP DATABASE mysql */").kind == StatementKind::skip);

  CHECK(judge("DROP DATABASE mysql").kind == StatementKind::drop_database);
  CHECK_THAT(judge_refusal("INSERT INTO cm.t VALUES (1)"),
             Catch::Contains("f.sql line 9") && Catch::Contains("database cm"));
  CHECK_THAT(judge_refusal("CREATE VIEW v AS SELECT * FROM `mysql`.`user`"), Catch::Contains("mysql"));
  CHECK_THAT(judge_refusal("GRANT ALL ON *.* TO x"), Catch::Contains("GRANT"));
  CHECK_THAT(judge_refusal("SET GLOBAL event_scheduler = ON"), Catch::Contains("SET GLOBAL"));
  CHECK_THAT(judge_refusal("SET @@global.gtid_purged = ''"), Catch::Contains("SET GLOBAL"));
  CHECK_THAT(judge_refusal("INSERT INTO t VALUES (LOAD_FILE('/etc/passwd'))"),
             Catch::Contains("LOAD_FILE"));
  CHECK_THAT(judge_refusal("INSERT INTO t SELECT * FROM u"), Catch::Contains("VALUES"));
  CHECK_THAT(judge_refusal("CREATE TABLE t (a INT) DATA DIRECTORY = '/tmp'"),
             Catch::Contains("DIRECTORY"));
  CHECK_THAT(judge_refusal("CREATE TABLE t (a INT) ENGINE=FEDERATED"), Catch::Contains("FEDERATED"));
  CHECK_THAT(judge_refusal("CREATE USER x"), Catch::Contains("CREATE USER"));
  CHECK_THAT(judge_refusal("DELETE FROM t"), Catch::Contains("DELETE"));
  CHECK_THAT(judge_refusal("SELECT 1 \\! rm -rf /"), Catch::Contains("backslash"));
  CHECK_THAT(judge_refusal("/*!99999 SET x = 'a */ DROP DATABASE mysql; ' */"),
             Catch::Contains("versioned comment"));
}

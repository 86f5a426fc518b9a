#include <catch2/catch.hpp>

#include <string>

#include "restore/deferred_indexes.h"

using namespace omsbackup;

namespace {

const std::string kTail = "\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci";

std::string table(const std::string& body) { return "CREATE TABLE `t` (\n" + body + kTail; }

void require_unchanged(const std::string& ddl) {
  SplitDdl s = split_secondary_indexes(ddl, "`db`.`t`");
  CHECK(s.create_sql == ddl);
  CHECK(s.add_indexes_sql.empty());
}

}  // namespace

TEST_CASE("a table without secondary keys is left as it is", "[deferred]") {
  require_unchanged(table("  `id` int(11) NOT NULL,\n  `a` int(11) DEFAULT NULL,\n"
                          "  PRIMARY KEY (`id`)"));
  require_unchanged(table("  `a` int(11) DEFAULT NULL"));
  require_unchanged(table("  `a` int(11) DEFAULT NULL,\n  `b` text DEFAULT NULL"));
}

TEST_CASE("plain and unique keys move to one ALTER TABLE in their order", "[deferred]") {
  std::string ddl = table(
      "  `id` bigint(20) NOT NULL,\n"
      "  `a` varchar(64) NOT NULL,\n"
      "  `b` int(11) DEFAULT NULL,\n"
      "  `c` datetime(6) DEFAULT NULL,\n"
      "  PRIMARY KEY (`id`),\n"
      "  UNIQUE KEY `uk_a` (`a`),\n"
      "  UNIQUE KEY `uk_bc` (`b`,`c`),\n"
      "  KEY `idx_b` (`b`),\n"
      "  KEY `idx_a_pfx` (`a`(10),`b` DESC,`c`) USING BTREE,\n"
      "  KEY `idx_c` (`c`) COMMENT 'created, for (reports)'");
  SplitDdl s = split_secondary_indexes(ddl, "`db`.`t`");
  CHECK(s.create_sql == table("  `id` bigint(20) NOT NULL,\n"
                              "  `a` varchar(64) NOT NULL,\n"
                              "  `b` int(11) DEFAULT NULL,\n"
                              "  `c` datetime(6) DEFAULT NULL,\n"
                              "  PRIMARY KEY (`id`)"));
  CHECK(s.add_indexes_sql ==
        "ALTER TABLE `db`.`t` ADD UNIQUE KEY `uk_a` (`a`), ADD UNIQUE KEY `uk_bc` (`b`,`c`), "
        "ADD KEY `idx_b` (`b`), ADD KEY `idx_a_pfx` (`a`(10),`b` DESC,`c`) USING BTREE, "
        "ADD KEY `idx_c` (`c`) COMMENT 'created, for (reports)'");
}

TEST_CASE("names and comments with backticks, commas, quotes and parentheses", "[deferred]") {
  std::string ddl = table(
      "  `id` int(11) NOT NULL,\n"
      "  `we``ird, (col)` varchar(10) DEFAULT 'x,y' COMMENT 'it''s \\'q\\', KEY `z` (`id`)',\n"
      "  PRIMARY KEY (`id`),\n"
      "  KEY `k``1, (a)` (`we``ird, (col)`(3)) COMMENT 'a ''b'', c \\\\ ) (',\n"
      "  KEY `心跳` (`id`,`we``ird, (col)`) IGNORED");
  SplitDdl s = split_secondary_indexes(ddl, "`d``b`.`t`");
  CHECK(s.create_sql ==
        table("  `id` int(11) NOT NULL,\n"
              "  `we``ird, (col)` varchar(10) DEFAULT 'x,y' COMMENT 'it''s \\'q\\', KEY `z` "
              "(`id`)',\n"
              "  PRIMARY KEY (`id`)"));
  CHECK(s.add_indexes_sql ==
        "ALTER TABLE `d``b`.`t` ADD KEY `k``1, (a)` (`we``ird, (col)`(3)) COMMENT 'a ''b'', c "
        "\\\\ ) (', ADD KEY `心跳` (`id`,`we``ird, (col)`) IGNORED");
}

TEST_CASE("the last definition being a key: the trailing comma goes", "[deferred]") {
  std::string ddl = table("  `id` int(11) NOT NULL,\n  `a` int(11) DEFAULT NULL,\n"
                          "  PRIMARY KEY (`id`),\n  KEY `a` (`a`)");
  SplitDdl s = split_secondary_indexes(ddl, "`db`.`t`");
  CHECK(s.create_sql == table("  `id` int(11) NOT NULL,\n  `a` int(11) DEFAULT NULL,\n"
                              "  PRIMARY KEY (`id`)"));
  CHECK(s.add_indexes_sql == "ALTER TABLE `db`.`t` ADD KEY `a` (`a`)");

  // No primary key: the last column line loses its comma.
  std::string heap = table("  `a` int(11) DEFAULT NULL,\n  KEY `a` (`a`)");
  s = split_secondary_indexes(heap, "`db`.`t`");
  CHECK(s.create_sql == table("  `a` int(11) DEFAULT NULL"));
  CHECK(s.add_indexes_sql == "ALTER TABLE `db`.`t` ADD KEY `a` (`a`)");
}

TEST_CASE("a CHECK constraint after the keys stays, with its comma right", "[deferred]") {
  std::string ddl = table("  `id` int(11) NOT NULL,\n  `a` int(11) DEFAULT NULL CHECK (`a` <> 0),\n"
                          "  PRIMARY KEY (`id`),\n  KEY `a` (`a`),\n"
                          "  CONSTRAINT `chk, 1` CHECK (`a` > 0 and `id` in (1,2,3))");
  SplitDdl s = split_secondary_indexes(ddl, "`db`.`t`");
  CHECK(s.create_sql == table("  `id` int(11) NOT NULL,\n"
                              "  `a` int(11) DEFAULT NULL CHECK (`a` <> 0),\n"
                              "  PRIMARY KEY (`id`),\n"
                              "  CONSTRAINT `chk, 1` CHECK (`a` > 0 and `id` in (1,2,3))"));
  CHECK(s.add_indexes_sql == "ALTER TABLE `db`.`t` ADD KEY `a` (`a`)");
}

TEST_CASE("keys on the AUTO_INCREMENT column stay, and so do keys before them", "[deferred]") {
  std::string ddl = table(
      "  `id` int(11) NOT NULL AUTO_INCREMENT,\n"
      "  `code` int(11) NOT NULL,\n"
      "  `a` int(11) DEFAULT NULL,\n"
      "  PRIMARY KEY (`code`),\n"
      "  KEY `a` (`a`),\n"
      "  KEY `id` (`id`),\n"
      "  KEY `a2` (`a`,`code`)");
  SplitDdl s = split_secondary_indexes(ddl, "`db`.`t`");
  // `a` must stay ahead of `id`: added back, it would sort after it.
  CHECK(s.create_sql == table("  `id` int(11) NOT NULL AUTO_INCREMENT,\n"
                              "  `code` int(11) NOT NULL,\n"
                              "  `a` int(11) DEFAULT NULL,\n"
                              "  PRIMARY KEY (`code`),\n"
                              "  KEY `a` (`a`),\n"
                              "  KEY `id` (`id`)"));
  CHECK(s.add_indexes_sql == "ALTER TABLE `db`.`t` ADD KEY `a2` (`a`,`code`)");

  // AUTO_INCREMENT in a comment is not the attribute.
  std::string commented = table("  `id` int(11) NOT NULL COMMENT 'AUTO_INCREMENT',\n"
                                "  PRIMARY KEY (`id`),\n  KEY `x` (`id`)");
  CHECK(split_secondary_indexes(commented, "`db`.`t`").add_indexes_sql ==
        "ALTER TABLE `db`.`t` ADD KEY `x` (`id`)");
  // An AUTO_INCREMENT column as the second part of a key (MyISAM) keeps the key too.
  require_unchanged(table("  `g` int(11) NOT NULL,\n  `id` int(11) NOT NULL AUTO_INCREMENT,\n"
                          "  PRIMARY KEY (`g`,`id`),\n  KEY `gid` (`g`,`id`)"));
}

TEST_CASE("FULLTEXT keys stay; the keys before them may go", "[deferred]") {
  std::string ddl = table("  `id` int(11) NOT NULL,\n  `body` text DEFAULT NULL,\n"
                          "  `a` int(11) DEFAULT NULL,\n"
                          "  PRIMARY KEY (`id`),\n  KEY `a` (`a`),\n"
                          "  FULLTEXT KEY `ft` (`body`) WITH PARSER `ngram`");
  SplitDdl s = split_secondary_indexes(ddl, "`db`.`t`");
  CHECK(s.create_sql == table("  `id` int(11) NOT NULL,\n  `body` text DEFAULT NULL,\n"
                              "  `a` int(11) DEFAULT NULL,\n"
                              "  PRIMARY KEY (`id`),\n"
                              "  FULLTEXT KEY `ft` (`body`) WITH PARSER `ngram`"));
  CHECK(s.add_indexes_sql == "ALTER TABLE `db`.`t` ADD KEY `a` (`a`)");
}

TEST_CASE("SPATIAL keys stay, with the keys before them", "[deferred]") {
  std::string ddl = table("  `id` int(11) NOT NULL,\n  `g` point NOT NULL,\n"
                          "  `a` int(11) DEFAULT NULL,\n"
                          "  PRIMARY KEY (`id`),\n  KEY `a` (`a`),\n  SPATIAL KEY `g` (`g`),\n"
                          "  KEY `b` (`a`,`id`)");
  SplitDdl s = split_secondary_indexes(ddl, "`db`.`t`");
  CHECK(s.create_sql == table("  `id` int(11) NOT NULL,\n  `g` point NOT NULL,\n"
                              "  `a` int(11) DEFAULT NULL,\n"
                              "  PRIMARY KEY (`id`),\n  KEY `a` (`a`),\n  SPATIAL KEY `g` (`g`)"));
  CHECK(s.add_indexes_sql == "ALTER TABLE `db`.`t` ADD KEY `b` (`a`,`id`)");
}

TEST_CASE("a table with foreign keys is left whole", "[deferred]") {
  require_unchanged(table("  `id` int(11) NOT NULL,\n  `p` int(11) DEFAULT NULL,\n"
                          "  PRIMARY KEY (`id`),\n  KEY `p` (`p`),\n  KEY `q` (`p`,`id`),\n"
                          "  CONSTRAINT `fk_p` FOREIGN KEY (`p`) REFERENCES `parent` (`id`) "
                          "ON DELETE CASCADE"));
  require_unchanged(table("  `id` int(11) NOT NULL,\n  `p` int(11) DEFAULT NULL,\n"
                          "  PRIMARY KEY (`id`),\n  KEY `p` (`p`),\n"
                          "  FOREIGN KEY (`p`) REFERENCES `parent` (`id`)"));
}

TEST_CASE("unique keys stay without a primary key or with partitions", "[deferred]") {
  std::string heap = table("  `a` int(11) NOT NULL,\n  `b` int(11) DEFAULT NULL,\n"
                           "  UNIQUE KEY `a` (`a`),\n  KEY `b` (`b`)");
  SplitDdl s = split_secondary_indexes(heap, "`db`.`t`");
  CHECK(s.create_sql == table("  `a` int(11) NOT NULL,\n  `b` int(11) DEFAULT NULL,\n"
                              "  UNIQUE KEY `a` (`a`)"));
  CHECK(s.add_indexes_sql == "ALTER TABLE `db`.`t` ADD KEY `b` (`b`)");

  std::string parted = "CREATE TABLE `t` (\n  `id` int(11) NOT NULL,\n  `b` int(11) NOT NULL,\n"
                       "  PRIMARY KEY (`id`,`b`),\n  UNIQUE KEY `u` (`b`,`id`),\n  KEY `b` (`b`)"
                       "\n) ENGINE=InnoDB DEFAULT CHARSET=latin1\n PARTITION BY HASH (`id`)\n"
                       "PARTITIONS 4";
  s = split_secondary_indexes(parted, "`db`.`t`");
  CHECK(s.create_sql == "CREATE TABLE `t` (\n  `id` int(11) NOT NULL,\n  `b` int(11) NOT NULL,\n"
                        "  PRIMARY KEY (`id`,`b`),\n  UNIQUE KEY `u` (`b`,`id`)"
                        "\n) ENGINE=InnoDB DEFAULT CHARSET=latin1\n PARTITION BY HASH (`id`)\n"
                        "PARTITIONS 4");
  CHECK(s.add_indexes_sql == "ALTER TABLE `db`.`t` ADD KEY `b` (`b`)");
}

TEST_CASE("MySQL's forms: invisible keys, functional keys, USING HASH", "[deferred]") {
  std::string ddl = table("  `id` int NOT NULL,\n  `a` varchar(10) DEFAULT NULL,\n"
                          "  PRIMARY KEY (`id`),\n  KEY `a` (`a`) /*!80000 INVISIBLE */");
  CHECK(split_secondary_indexes(ddl, "`db`.`t`").add_indexes_sql ==
        "ALTER TABLE `db`.`t` ADD KEY `a` (`a`) /*!80000 INVISIBLE */");
  // A functional key stays, and holds back the keys before it.
  require_unchanged(table("  `id` int NOT NULL,\n  `a` varchar(10) DEFAULT NULL,\n"
                          "  PRIMARY KEY (`id`),\n  KEY `a` (`a`),\n  KEY `f` ((lower(`a`)))"));
  // MariaDB's long unique keys stay.
  require_unchanged(table("  `id` int(11) NOT NULL,\n  `b` blob DEFAULT NULL,\n"
                          "  PRIMARY KEY (`id`),\n  UNIQUE KEY `b` (`b`) USING HASH"));
  // An option it does not know keeps the key (OceanBase's BLOCK_SIZE, LOCAL).
  require_unchanged(table("  `id` int(11) NOT NULL,\n  `a` int(11) DEFAULT NULL,\n"
                          "  PRIMARY KEY (`id`),\n  KEY `a` (`a`) BLOCK_SIZE 16384 LOCAL"));
}

TEST_CASE("anything not understood defers nothing", "[deferred]") {
  // Not SHOW CREATE TABLE's layout.
  require_unchanged("CREATE TABLE `t` (`id` int, `a` int, PRIMARY KEY (`id`), KEY `a` (`a`))");
  require_unchanged("CREATE TABLE `t` (\n  `id` int,\n  `a` int,\n  PRIMARY KEY (`id`),\n"
                    "    KEY `a` (`a`)\n)");
  require_unchanged("CREATE TEMPORARY TABLE `t` (\n  `id` int,\n  KEY `a` (`id`)\n)");
  // A definition it does not know (system-versioning periods).
  require_unchanged(table("  `id` int(11) NOT NULL,\n  `s` timestamp(6) GENERATED ALWAYS AS ROW "
                          "START,\n  `e` timestamp(6) GENERATED ALWAYS AS ROW END,\n"
                          "  PRIMARY KEY (`id`,`e`),\n  KEY `s` (`s`),\n"
                          "  PERIOD FOR SYSTEM_TIME (`s`, `e`)"));
  // Unterminated quotes, a missing closing parenthesis, empty input.
  require_unchanged(table("  `id` int(11) NOT NULL COMMENT 'x,\n  PRIMARY KEY (`id`),\n"
                          "  KEY `a` (`id`)"));
  require_unchanged("CREATE TABLE `t` (\n  `id` int,\n  KEY `a` (`id`)");
  require_unchanged("");
  // A column after a key.
  require_unchanged(table("  `id` int(11) NOT NULL,\n  KEY `a` (`id`),\n  `b` int(11)"));
}

TEST_CASE("comments as the server reads them (sql/lexer.h)", "[deferred]") {
  const std::string head = "  `id` int(11) NOT NULL,\n  `a` int(11) DEFAULT NULL,\n"
                           "  PRIMARY KEY (`id`),\n";
  // A line comment (SHOW CREATE TABLE writes none), an unclosed comment, an executable
  // comment other than exactly MySQL's invisible-key one: nothing is deferred.
  require_unchanged(table(head + "  KEY `a` (`a`) -- x"));
  require_unchanged(table(head + "  KEY `a` (`a`) # x"));
  require_unchanged(table(head + "  KEY `a` (`a`) /* x"));
  require_unchanged(table(head + "  KEY `a` (`a`) /*!80000  INVISIBLE */"));
  require_unchanged(table(head + "  KEY `a` (`a`) /*!80000 INVISIBLE"));
  // "--" without a blank after it is two minus signs, not a comment.
  SplitDdl s = split_secondary_indexes(
      table(head + "  KEY `a` (`a`),\n  CONSTRAINT `c` CHECK (`a` > --1)"), "`db`.`t`");
  CHECK(s.create_sql == table(head.substr(0, head.size() - 2) + ",\n  CONSTRAINT `c` CHECK (`a` > --1)"));
  CHECK(s.add_indexes_sql == "ALTER TABLE `db`.`t` ADD KEY `a` (`a`)");
}

TEST_CASE("twenty keys keep their order", "[deferred]") {
  std::string body = "  `id` int(11) NOT NULL";
  std::string alter = "ALTER TABLE `db`.`t`";
  for (int i = 0; i < 20; ++i) {
    body += ",\n  `c" + std::to_string(i) + "` int(11) DEFAULT NULL";
  }
  body += ",\n  PRIMARY KEY (`id`)";
  std::string keys;
  for (int i = 19; i >= 0; --i) {
    std::string k = "KEY `k" + std::to_string(i) + "` (`c" + std::to_string(i) + "`,`id`)";
    keys += ",\n  " + k;
    alter += std::string(i == 19 ? " ADD " : ", ADD ") + k;
  }
  SplitDdl s = split_secondary_indexes(table(body + keys), "`db`.`t`");
  CHECK(s.create_sql == table(body));
  CHECK(s.add_indexes_sql == alter);
}

TEST_CASE("a table whose rows are not its own keeps its keys in its CREATE TABLE", "[deferred]") {
  const std::string body = "  `id` int(11) NOT NULL,\n  `v` varchar(10) DEFAULT NULL,\n  KEY `k` (`id`)";
  for (const char* engine : {"MRG_MyISAM", "FEDERATED", "BLACKHOLE", "SPIDER"})
    require_unchanged(std::string("CREATE TABLE `t` (\n") + body + "\n) ENGINE=" + engine +
                      " DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci UNION=(`a`,`b`)");
  // The same table in MyISAM has its key deferred.
  SplitDdl s = split_secondary_indexes("CREATE TABLE `t` (\n" + body + "\n) ENGINE=MyISAM",
                                       "`db`.`t`");
  CHECK(s.add_indexes_sql == "ALTER TABLE `db`.`t` ADD KEY `k` (`id`)");
}

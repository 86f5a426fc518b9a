// TableFilter: omsdump's --include/--exclude patterns, and as a manifest records them.
#include <catch2/catch.hpp>

#include "catalog/table_filter.h"
#include "util/shell_quote.h"

using omsbackup::TableFilter;

TEST_CASE("include and exclude patterns select db.table names", "[filter]") {
  TableFilter none;
  CHECK(none.empty());
  CHECK(none.selects("cm", "task"));

  TableFilter f{{"cm.*", "rm.cluster_?"}, {"cm.task_log", "*.tmp_*"}};
  CHECK_FALSE(f.empty());
  CHECK(f.selects("cm", "task"));
  CHECK(f.selects("rm", "cluster_1"));
  CHECK_FALSE(f.selects("rm", "cluster_10"));   // ? is one character
  CHECK_FALSE(f.selects("rm", "project"));      // no include pattern matches
  CHECK_FALSE(f.selects("cm", "task_log"));     // excluded
  CHECK_FALSE(f.selects("cm", "tmp_x"));        // excluded by the wildcard
  CHECK_FALSE(f.selects("cmx", "task"));        // the database part must match too

  TableFilter only_exclude{{}, {"cm_hb*.heatbeat_sequence"}};
  CHECK(only_exclude.selects("cm", "heatbeat_sequence"));
  CHECK_FALSE(only_exclude.selects("cm_hb1", "heatbeat_sequence"));
}

TEST_CASE("the patterns survive the manifest's options map", "[filter]") {
  TableFilter f{{"cm.*"}, {"cm.task_log", "cm.a:b"}};
  std::map<std::string, std::string> options = {{"threads", "4"}, {"prune", "filter"}};
  f.record(options);
  CHECK(options.at("include:cm.*") == "yes");
  TableFilter back = TableFilter::from_recorded(options);
  CHECK(back.include == std::vector<std::string>{"cm.*"});
  CHECK(back.exclude == std::vector<std::string>{"cm.a:b", "cm.task_log"});  // map order
  CHECK(TableFilter::from_recorded({{"threads", "4"}}).empty());
}

TEST_CASE("a literal pattern matches its own name only; shell_quote makes one word",
          "[filter]") {
  std::string p = omsbackup::TableFilter::literal_pattern("db*", "t?[1]\\x");
  CHECK(p == "db\\*.t\\?\\[1]\\\\x");
  TableFilter f{{p}, {}};
  CHECK(f.selects("db*", "t?[1]\\x"));
  CHECK_FALSE(f.selects("dbx", "t?[1]\\x"));
  CHECK_FALSE(f.selects("db*", "ta1x"));  // what the unescaped pattern would match
  CHECK(omsbackup::shell_quote("rm.t") == "'rm.t'");
  CHECK(omsbackup::shell_quote("it's") == "'it'\\''s'");
}

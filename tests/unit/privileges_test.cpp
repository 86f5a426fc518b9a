// Reading SHOW GRANTS: what a restore's preflight concludes is missing.
#include <catch2/catch.hpp>

#include "restore/privileges.h"

using namespace omsbackup;

TEST_CASE("privileges: global ALL gives everything", "[privileges]") {
  Grants g = parse_grants({"GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` IDENTIFIED BY "
                           "PASSWORD '*AB' WITH GRANT OPTION",
                           "GRANT PROXY ON ``@`%` TO `root`@`localhost` WITH GRANT OPTION"});
  CHECK(g.complete);
  CHECK(missing_privileges(g, "rm__omsb_stage", {"CREATE", "DROP", "LOCK TABLES"}).empty());
}

TEST_CASE("privileges: database grants match by pattern, escapes and quotes", "[privileges]") {
  Grants g = parse_grants({
      "GRANT USAGE ON *.* TO `u`@`%`",
      "GRANT ALL PRIVILEGES ON `rm`.* TO `u`@`%`",
      "GRANT SELECT, INSERT, CREATE ON `cm\\_%`.* TO `u`@`%`",
      "GRANT SELECT (a, b), UPDATE ON `cm_x`.`t` TO `u`@`%`",
      "GRANT DROP ON `we``ird`.* TO `u`@`%`",
  });
  CHECK(g.complete);
  CHECK(missing_privileges(g, "rm", {"CREATE", "DROP", "TRIGGER"}).empty());
  CHECK(missing_privileges(g, "rm__omsb_stage", {"CREATE", "DROP"}) ==
        std::vector<std::string>{"CREATE", "DROP"});
  // `cm\_%` matches cm_ followed by anything, not cmX.
  CHECK(missing_privileges(g, "cm_x", {"SELECT", "CREATE", "DROP"}) ==
        std::vector<std::string>{"DROP"});
  CHECK(missing_privileges(g, "cmxx", {"SELECT"}) == std::vector<std::string>{"SELECT"});
  CHECK(missing_privileges(g, "we`ird", {"DROP", "ALTER"}) == std::vector<std::string>{"ALTER"});
}

TEST_CASE("privileges: a role or an unknown line makes the grants incomplete", "[privileges]") {
  CHECK_FALSE(parse_grants({"GRANT `r1` TO `u`@`%`", "GRANT USAGE ON *.* TO `u`@`%`"}).complete);
  CHECK_FALSE(parse_grants({"something else"}).complete);
  CHECK(parse_grants({"GRANT USAGE ON *.* TO `u`@`%`"}).complete);
}

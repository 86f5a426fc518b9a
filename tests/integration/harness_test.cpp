// The test harness's own promise about temporary directories: a run with no failed
// assertion removes its /tmp/omsb-test-run.XXXXXX root, a failed run (or
// OMSB_KEEP_TEST_DIRS=1) keeps it and says where. Checked by running this binary again.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "server.h"

using namespace omsbackup::testing;
namespace fs = std::filesystem;

// Run only as a child of the test below (hidden tag): makes a directory in the run's root,
// writes the root's path to $OMSB_HARNESS_OUT, and fails when $OMSB_HARNESS_FAIL is set.
TEST_CASE("harness child: one temp directory", "[.][harness-child]") {
  const char* out = std::getenv("OMSB_HARNESS_OUT");
  REQUIRE(out != nullptr);
  std::string dir = temp_dir("harness");
  std::ofstream(dir + "/file") << "x";
  std::ofstream(out) << fs::path(dir).parent_path().string();
  CHECK(std::getenv("OMSB_HARNESS_FAIL") == nullptr);
}

TEST_CASE("a passing run removes its temp directories; a failed or kept one leaves them",
          "[harness]") {
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  const std::string report = temp_dir("harness-parent") + "/root.txt";
  struct Case {
    const char* name;
    const char* env;  // set in the child (after OMSB_KEEP_TEST_DIRS is unset)
    int status;       // the child's exit status
    bool kept;
  };
  for (const Case& c : {Case{"passing run", "", 0, false},
                        Case{"failed run", "OMSB_HARNESS_FAIL=1", 1, true},
                        Case{"OMSB_KEEP_TEST_DIRS=1", "OMSB_KEEP_TEST_DIRS=1", 0, true}}) {
    INFO(c.name);
    fs::remove(report);
    CommandResult r = run_command(fmt::format(
        "env -u OMSB_KEEP_TEST_DIRS -u OMSB_HARNESS_FAIL OMSB_HARNESS_OUT='{}' {} '{}' "
        "'[harness-child]'",
        report, c.env, self));
    INFO(r.output);
    CHECK(r.status == c.status);
    std::string root = read_file(report);
    INFO("root " << root);
    REQUIRE(root.rfind("/tmp/omsb-test-run.", 0) == 0);
    CHECK(root != fs::path(report).parent_path().parent_path().string());  // its own root
    CHECK(fs::exists(root) == c.kept);
    if (c.kept) {
      CHECK(r.output.find("test directories kept in " + root) != std::string::npos);
      std::error_code ec;
      fs::remove_all(root, ec);
    }
  }
}

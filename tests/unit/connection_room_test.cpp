// fit_threads: how --threads is checked against the connections a server accepts.
#include <catch2/catch.hpp>

#include "omsbackup/error.h"
#include "sql/connection_room.h"

using namespace omsbackup;

namespace {
const ConnectionRoom kRoom{8, "max_connections=20, 12 connected"};
}

TEST_CASE("fit_threads: within the room, the request or the cores stand", "[threads]") {
  std::vector<std::string> notes;
  CHECK(fit_threads(8, 64, kRoom, notes) == 8);
  CHECK(fit_threads(3, 64, kRoom, notes) == 3);
  CHECK(fit_threads(0, 4, kRoom, notes) == 4);
  CHECK(fit_threads(0, 0, kRoom, notes) == 1);  // cores unknown: one
  CHECK(notes.empty());
}

TEST_CASE("fit_threads: an explicit request beyond the room is refused", "[threads]") {
  std::vector<std::string> notes;
  try {
    fit_threads(9, 4, kRoom, notes);
    FAIL("not refused");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::invalid_argument);
    CHECK(e.object() == "--threads 9");
    CHECK(e.message().find("only 8 more") != std::string::npos);
    CHECK(e.message().find("max_connections=20, 12 connected") != std::string::npos);
    CHECK(e.message().find("--threads 8 or fewer") != std::string::npos);
  }
}

TEST_CASE("fit_threads: the default is lowered to the room, with a note", "[threads]") {
  std::vector<std::string> notes;
  CHECK(fit_threads(0, 64, kRoom, notes) == 8);
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].find("64") != std::string::npos);
  CHECK(notes[0].find("lowered to 8") != std::string::npos);
}

TEST_CASE("fit_threads: no room at all is refused, an unknown room changes nothing",
          "[threads]") {
  std::vector<std::string> notes;
  const ConnectionRoom full{0, "max_connections=20, 20 connected"};
  CHECK_THROWS_AS(fit_threads(0, 4, full, notes), Error);
  CHECK_THROWS_AS(fit_threads(1, 4, full, notes), Error);
  CHECK(fit_threads(100000, 4, std::nullopt, notes) == 100000);
  CHECK(notes.empty());
}

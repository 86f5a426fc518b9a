// Error values: what they say and what they carry through context and notes.
#include <catch2/catch.hpp>

#include "omsbackup/error.h"

using omsbackup::Errc;
using omsbackup::Error;

TEST_CASE("a server error names the object, the number and the SQLSTATE", "[error]") {
  Error e = Error::server(1045, "28000", "Access denied for user 'oms'", "connecting to 127.0.0.1:3306");
  CHECK(e.code() == Errc::server);
  CHECK(e.object() == "connecting to 127.0.0.1:3306");
  CHECK(std::string(e.what()) ==
        "connecting to 127.0.0.1:3306: server error 1045 (28000): Access denied for user 'oms'");
  CHECK(e.server_errno() == 1045);
  CHECK(e.sqlstate() == "28000");
}

TEST_CASE("the client library's own errors are called client errors", "[error]") {
  for (unsigned n : {2013u, 2026u, 5001u}) {
    INFO(n);
    Error e = Error::server(n, "HY000", "TLS/SSL error", "connecting");
    CHECK(std::string(e.what()).find("client error " + std::to_string(n)) != std::string::npos);
    CHECK(e.server_errno() == n);
  }
  for (unsigned n : {1213u, 1999u, 3024u, 4031u, 6000u}) {
    INFO(n);
    CHECK(std::string(Error::server(n, "HY000", "x", "q").what()).find("server error") !=
          std::string::npos);
  }
}

TEST_CASE("context and notes keep the code, number and SQLSTATE", "[error]") {
  Error e = Error::server(1213, "40001", "Deadlock found", "loading");
  Error c = e.with_context("rm.task chunk 3");
  CHECK(c.object() == "rm.task chunk 3: loading");
  CHECK(c.server_errno() == 1213);
  CHECK(c.sqlstate() == "40001");
  Error n = c.with_note("nothing was changed; run again");
  CHECK(n.code() == Errc::server);
  CHECK(n.object() == c.object());
  CHECK(n.message() == c.message() + ". nothing was changed; run again");
  CHECK(n.server_errno() == 1213);

  Error plain(Errc::io, "", "disk full");
  CHECK(std::string(plain.what()) == "disk full");
  CHECK(plain.with_context("a/b.zst").object() == "a/b.zst");
}

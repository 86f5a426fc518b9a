#include <catch2/catch.hpp>

#include "sql/quote.h"
#include "sql/server_info.h"

using namespace omsbackup;
using namespace std::string_literals;

TEST_CASE("identifiers are backtick-quoted with backticks doubled", "[quote]") {
  CHECK(quote_identifier("rm") == "`rm`");
  CHECK(quote_identifier("a`b") == "`a``b`");
  CHECK(quote_identifier("``") == "``````");
  CHECK(quote_identifier("with space") == "`with space`");
  CHECK(quote_identifier("it's \"q\"") == "`it's \"q\"`");
  CHECK(quote_identifier("select") == "`select`");
  CHECK(quote_identifier("心跳") == "`心跳`");
  CHECK(quote_qualified("d`b", "t") == "`d``b`.`t`");
}

TEST_CASE("string literals escape quote, backslash and control bytes", "[quote]") {
  CHECK(quote_string("") == "''");
  CHECK(quote_string("it's") == "'it\\'s'");
  CHECK(quote_string("a\\b") == "'a\\\\b'");
  CHECK(quote_string("\0x"s) == "'\\0x'");
  CHECK(quote_string("l1\nl2\r") == "'l1\\nl2\\r'");
  CHECK(quote_string("\x1a") == "'\\Z'");
  CHECK(quote_string("安徽") == "'安徽'");
  CHECK(quote_string("\xff\xfe") == "'\xff\xfe'");
}

TEST_CASE("server flavour detection", "[server]") {
  auto maria = ServerInfo::parse("10.11.19-MariaDB-0+deb12u1", "Debian 12");
  CHECK(maria.flavor == ServerFlavor::mariadb);
  CHECK(maria.major == 10);
  CHECK(maria.minor == 11);
  CHECK(maria.patch == 19);
  auto ob = ServerInfo::parse("5.7.25-OceanBase_CE-v4.2.1.0", "OceanBase_CE 4.2.1.0 (r100000)");
  CHECK(ob.flavor == ServerFlavor::oceanbase);
  auto mysql = ServerInfo::parse("8.0.36", "MySQL Community Server - GPL");
  CHECK(mysql.flavor == ServerFlavor::mysql);
  CHECK(mysql.major == 8);
}

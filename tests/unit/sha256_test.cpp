#include <catch2/catch.hpp>

#include "util/sha256.h"

using namespace omsbackup;

TEST_CASE("sha256 of known vectors", "[sha256]") {
  CHECK(to_hex(Sha256::of("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(to_hex(Sha256::of("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("sha256 incremental equals one-shot and resets after finish", "[sha256]") {
  Sha256 h;
  h.update("a");
  h.update("bc");
  CHECK(h.finish() == Sha256::of("abc"));
  h.update("");
  CHECK(to_hex(h.finish()) == to_hex(Sha256::of("")));
}

TEST_CASE("hex parsing round-trips and rejects junk", "[sha256]") {
  Sha256Digest d = Sha256::of("x"), back{};
  REQUIRE(from_hex(to_hex(d), back));
  CHECK(back == d);
  CHECK_FALSE(from_hex("abc", back));
  CHECK_FALSE(from_hex(std::string(64, 'g'), back));
}

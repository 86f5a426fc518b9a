// The Catch2 runner's main(), compiled once for the unit and the integration tests.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

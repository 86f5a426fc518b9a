// What a fuzz target does with a finding: says what it is, as "<target>: FINDING: ...",
// and aborts, so that libFuzzer writes a reproducer.
#pragma once

#include <errno.h>  // program_invocation_short_name (glibc)

#include <cstdio>
#include <cstdlib>
#include <string>

namespace omsbackup::fuzz {

[[noreturn]] inline void finding(const std::string& what) {
  std::fprintf(stderr, "%s: FINDING: %s\n", program_invocation_short_name, what.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace omsbackup::fuzz

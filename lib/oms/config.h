// Reading OMS config.yaml files, split so that the parsing can be driven from memory
// (the unit tests and tests/fuzz/fuzz_oms_config.cpp) as well as from files.
#pragma once

#include <string>
#include <vector>

#include "omsbackup/oms.h"

namespace omsbackup {

// One config.yaml already read: `file` is only used to name it in messages.
struct OmsConfigText {
  std::string file;
  std::string text;
};

class Env;

// The public read_oms_config() through the file seam `env`.
OmsConfig read_oms_config(Env& env, const std::vector<std::string>& files);

// read_oms_config() after the files are read: the same checks and messages, except the
// ones about reading files (cannot read, a directory, too large, the same file twice).
OmsConfig parse_oms_config(const std::vector<OmsConfigText>& files);

}  // namespace omsbackup

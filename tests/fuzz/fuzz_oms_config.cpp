// libFuzzer target: the OMS config.yaml reader (parse_oms_config, what --oms-config runs
// after reading the files) on arbitrary text, as one to four regions' files.
//
// The input is split at each line "#file" (a YAML comment, so the seeds read as YAML) into
// at most four files, named /fuzz/region-N.yaml in the messages.
//
// A normal rejection is an omsbackup::Error of kind invalid_argument. Findings (abort):
//   - any other exception or Error kind;
//   - a password in a message: every oms_meta_password the input sets (read here with
//     yaml-cpp) that no message could contain by chance (at least 3 bytes, one of them
//     non-ASCII, none of them a quote, backslash or control byte: the messages' own text and
//     the file names are ASCII, and shown values escape only those bytes) must not appear in
//     the message;
//   - an accepted configuration that breaks what read_oms_config() promises: port 1..65535,
//     host, user and databases non-empty, one region per file, distinct heartbeat databases
//     and cm_locations, at most one default region when there are several, and values equal
//     to what the first file says.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "oms/config.h"
#include "omsbackup/error.h"
#include "finding.h"

using namespace omsbackup;

namespace {

using omsbackup::fuzz::finding;

std::vector<OmsConfigText> split_files(std::string_view in) {
  static constexpr std::string_view kSeparator = "\n#file\n";
  std::vector<OmsConfigText> files;
  while (files.size() < 3) {
    std::size_t at = in.find(kSeparator);
    if (at == std::string_view::npos) break;
    files.push_back({"/fuzz/region-" + std::to_string(files.size() + 1) + ".yaml",
                     std::string(in.substr(0, at))});
    in.remove_prefix(at + kSeparator.size());
  }
  files.push_back(
      {"/fuzz/region-" + std::to_string(files.size() + 1) + ".yaml", std::string(in)});
  return files;
}

// The scalar `key` of the top-level mapping, as yaml-cpp reads it; empty if none.
std::string top_scalar(const YAML::Node& root, const char* key) {
  try {
    if (!root.IsMap()) return {};
    for (const auto& pair : root) {
      if (pair.first.IsScalar() && pair.first.Scalar() == key && pair.second.IsScalar())
        return pair.second.Scalar();
    }
  } catch (const YAML::Exception&) {
  }
  return {};
}

bool only_in_a_password(const std::string& p) {
  if (p.size() < 3) return false;
  bool non_ascii = false;
  for (unsigned char c : p) {
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') return false;
    non_ascii = non_ascii || c >= 0x80;
  }
  return non_ascii;
}

void check_accepted(const OmsConfig& c, const std::vector<OmsConfigText>& files) {
  if (c.connection.port < 1 || c.connection.port > 65535) finding("port out of range");
  if (c.connection.host.empty() || c.connection.user.empty()) finding("empty host or user");
  if (!c.connection.password) finding("no password");
  if (c.rm_db.empty() || c.cm_db.empty()) finding("empty rm or cm database");
  if (c.regions.size() != files.size()) finding("not one region per file");
  std::set<std::string> heartbeat;
  std::set<int> locations;
  int defaults = 0;
  for (std::size_t i = 0; i < c.regions.size(); ++i) {
    const OmsRegion& r = c.regions[i];
    if (r.file != files[i].file) finding("regions not in file order");
    if (r.heartbeat_db.empty()) finding("empty heartbeat database");
    if (!heartbeat.insert(r.heartbeat_db).second) finding("two regions share a heartbeat database");
    if (r.location < -1 || r.location > 127) finding("cm_location out of range");
    if (r.location >= 0 && !locations.insert(r.location).second)
      finding("two regions share a cm_location");
    defaults += r.is_default ? 1 : 0;
  }
  if (c.regions.size() > 1 && defaults > 1) finding("several default regions");
  std::vector<std::string> dbs = c.databases();
  if (dbs.size() < 2 || dbs[0] != c.rm_db) finding("databases() does not start with rm");
  std::set<std::string> unique(dbs.begin(), dbs.end());
  if (unique.size() != dbs.size()) finding("databases() has duplicates");
  // What the first file says is what the configuration holds.
  YAML::Node first = YAML::Load(files.front().text);
  if (top_scalar(first, "oms_meta_host") != c.connection.host) finding("host differs from file");
  if (top_scalar(first, "oms_meta_user") != c.connection.user) finding("user differs from file");
  if (top_scalar(first, "oms_meta_password") != *c.connection.password)
    finding("password differs from file");
  if (top_scalar(first, "drc_rm_db") != c.rm_db) finding("rm database differs from file");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<OmsConfigText> files =
      split_files(std::string_view(reinterpret_cast<const char*>(data), size));
  std::vector<std::string> passwords;
  for (const auto& f : files) {
    try {
      std::string p = top_scalar(YAML::Load(f.text), "oms_meta_password");
      if (only_in_a_password(p)) passwords.push_back(p);
    } catch (const YAML::Exception&) {
    }
  }
  try {
    OmsConfig c = parse_oms_config(files);
    check_accepted(c, files);
  } catch (const Error& e) {
    if (e.code() != Errc::invalid_argument)
      finding(std::string("unexpected Error kind: ") + e.what());
    std::string message = e.what();
    for (const auto& p : passwords)
      if (message.find(p) != std::string::npos) finding("a password in the message: " + message);
  } catch (const std::exception& e) {
    finding(std::string("unexpected exception: ") + e.what());
  } catch (...) {
    finding("unexpected non-standard exception");
  }
  return 0;
}

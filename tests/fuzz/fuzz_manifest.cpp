// libFuzzer target: Manifest::from_json on arbitrary bytes.
//
// A normal rejection is an omsbackup::Error of kind corrupt_archive or unsupported. Findings
// (abort): any other exception, an Error of another kind, and for an accepted manifest:
//   - its to_json() is rejected by from_json(), or does not serialise identically again;
//   - it does not hold what the input said: every value that to_json() writes must equal the
//     value at the same place in the input (catches validation that silently changes values,
//     e.g. a number narrowed to fit a field). A key missing from the input is accepted only
//     where the output has an empty array (optional lists).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "archive/manifest.h"
#include "omsbackup/error.h"
#include "finding.h"

using omsbackup::Errc;
using omsbackup::Error;
using omsbackup::Manifest;
using json = nlohmann::ordered_json;

namespace {

using omsbackup::fuzz::finding;

bool normal_rejection(const Error& e) {
  return e.code() == Errc::corrupt_archive || e.code() == Errc::unsupported;
}

// Every leaf of `written` (what to_json() produced) must be present in `input` at the same
// path with an equal value. Arrays must have the same length: from_json reads every element.
void check_subset(const json& written, const json& input, const std::string& path) {
  if (written.is_object()) {
    if (!input.is_object()) finding(path + ": object in the output, not in the input");
    for (const auto& [key, value] : written.items()) {
      auto it = input.find(key);
      if (it == input.end()) {
        // Optional lists (e.g. a database's views, added after format 1 was first written)
        // are written empty when the input had none.
        if (value.is_array() && value.empty()) continue;
        finding(path + "." + key + ": in the output, not in the input");
      }
      check_subset(value, *it, path + "." + key);
    }
  } else if (written.is_array()) {
    if (!input.is_array() || input.size() != written.size()) {
      finding(path + ": array of " + std::to_string(written.size()) +
              " elements in the output, not in the input");
    }
    for (std::size_t i = 0; i < written.size(); ++i)
      check_subset(written[i], input[i], path + "[" + std::to_string(i) + "]");
  } else if (written != input) {
    finding(path + ": the input says " + input.dump() + " but the manifest holds " +
            written.dump());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    Manifest m1;
    try {
      m1 = Manifest::from_json(text);
    } catch (const Error& e) {
      if (normal_rejection(e)) return 0;
      finding(std::string("from_json(input) threw an Error of kind ") + errc_name(e.code()) +
              ": " + e.what());
    }

    std::string s1 = m1.to_json();
    Manifest m2;
    try {
      m2 = Manifest::from_json(s1);
    } catch (const Error& e) {
      finding(std::string("from_json rejects the to_json() of a manifest it accepted: ") +
              e.what() + "\n--- to_json() ---\n" + s1);
    }
    std::string s2 = m2.to_json();
    if (s1 != s2) {
      finding("to_json() differs after a round trip\n--- first ---\n" + s1 +
              "\n--- second ---\n" + s2);
    }

    // The input parsed as JSON (from_json accepted it); what was kept must be what it said.
    json input = json::parse(text.begin(), text.end());
    check_subset(json::parse(s1), input, "manifest");
  } catch (const Error& e) {
    finding(std::string("unexpected omsbackup::Error: ") + e.what());
  } catch (const std::exception& e) {
    finding(std::string("exception other than omsbackup::Error: ") + e.what());
  } catch (...) {
    finding("exception of unknown type");
  }
  return 0;
}

#include "catalog/table_filter.h"

#include <fnmatch.h>

#include <algorithm>

namespace omsbackup {

namespace {
constexpr std::string_view kInclude = "include:";
constexpr std::string_view kExclude = "exclude:";
}  // namespace

bool TableFilter::selects(const std::string& db, const std::string& table) const {
  const std::string name = db + "." + table;
  auto match = [&](const std::string& pattern) {
    return fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
  };
  if (!include.empty() && std::none_of(include.begin(), include.end(), match)) return false;
  return std::none_of(exclude.begin(), exclude.end(), match);
}

std::string TableFilter::literal_pattern(const std::string& db, const std::string& table) {
  std::string out;
  for (char c : db + "." + table) {
    if (c == '*' || c == '?' || c == '[' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

void TableFilter::record(std::map<std::string, std::string>& options) const {
  for (const auto& p : include) options[std::string(kInclude) + p] = "yes";
  for (const auto& p : exclude) options[std::string(kExclude) + p] = "yes";
}

TableFilter TableFilter::from_recorded(const std::map<std::string, std::string>& options) {
  TableFilter f;
  for (const auto& [key, value] : options) {
    if (key.starts_with(kInclude)) f.include.push_back(key.substr(kInclude.size()));
    if (key.starts_with(kExclude)) f.exclude.push_back(key.substr(kExclude.size()));
  }
  return f;
}

}  // namespace omsbackup

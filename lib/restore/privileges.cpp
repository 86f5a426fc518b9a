#include "restore/privileges.h"

#include <algorithm>
#include <cctype>

#include "sql/session.h"

namespace omsbackup {

namespace {

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

// "SELECT, INSERT, CREATE" -> {SELECT, INSERT, CREATE}; column lists "(a, b)" dropped.
std::set<std::string> privilege_list(const std::string& text) {
  std::set<std::string> out;
  std::string cur;
  int depth = 0;
  for (char c : text) {
    if (c == '(') ++depth;
    else if (c == ')') --depth;
    else if (c == ',' && depth == 0) {
      out.insert(trim(cur));
      cur.clear();
    } else if (depth == 0) {
      cur.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    }
  }
  if (!trim(cur).empty()) out.insert(trim(cur));
  if (out.count("ALL") || out.count("ALL PRIVILEGES")) out.insert("ALL PRIVILEGES");
  return out;
}

// MySQL's pattern match for database grants: _ one character, % any, \ escapes.
bool like(const std::string& pattern, std::size_t p, const std::string& s, std::size_t i) {
  while (p < pattern.size()) {
    char c = pattern[p];
    if (c == '%') {
      for (std::size_t k = i; k <= s.size(); ++k)
        if (like(pattern, p + 1, s, k)) return true;
      return false;
    }
    if (i >= s.size()) return false;
    if (c == '\\' && p + 1 < pattern.size()) {
      if (pattern[p + 1] != s[i]) return false;
      p += 2;
    } else if (c == '_' || c == s[i]) {
      ++p;
    } else {
      return false;
    }
    ++i;
  }
  return i == s.size();
}

}  // namespace

Grants parse_grants(const std::vector<std::string>& lines) {
  Grants g;
  for (const auto& line : lines) {
    if (line.rfind("GRANT ", 0) != 0) {
      g.complete = false;
      continue;
    }
    std::size_t on = line.find(" ON ");
    std::size_t to = line.find(" TO ");
    if (to == std::string::npos) {
      g.complete = false;
      continue;
    }
    if (on == std::string::npos || on > to) {  // GRANT role TO user: privileges elsewhere
      g.complete = false;
      continue;
    }
    std::set<std::string> privs = privilege_list(line.substr(6, on - 6));
    std::string object = line.substr(on + 4, to - on - 4);
    if (object == "*.*") {
      g.global.insert(privs.begin(), privs.end());
    } else if (object.size() > 4 && object[0] == '`' &&
               object.compare(object.size() - 3, 3, "`.*") == 0) {
      std::string db;
      for (std::size_t i = 1; i + 3 < object.size(); ++i) {
        db.push_back(object[i]);
        if (object[i] == '`') ++i;  // `` inside a quoted name
      }
      g.databases.emplace_back(db, std::move(privs));
    }
    // Anything else (`db`.`table`, a routine, PROXY) is not database-wide: ignored.
  }
  return g;
}

std::vector<std::string> missing_privileges(const Grants& g, const std::string& db,
                                            const std::vector<std::string>& needed) {
  std::set<std::string> have = g.global;
  // MySQL uses the first matching database grant; MariaDB adds them up. Adding up can only
  // name fewer privileges as missing, never refuse a restore that would work.
  for (const auto& [pattern, privs] : g.databases)
    if (like(pattern, 0, db, 0)) have.insert(privs.begin(), privs.end());
  std::vector<std::string> out;
  if (have.count("ALL PRIVILEGES")) return out;
  for (const auto& p : needed)
    if (!have.count(p)) out.push_back(p);
  return out;
}

Grants read_grants(Session& s) {
  std::vector<std::string> lines;
  for (const auto& row : s.query("SHOW GRANTS", "reading the user's grants").rows)
    lines.push_back(row.at(0).value_or(""));
  return parse_grants(lines);
}

}  // namespace omsbackup

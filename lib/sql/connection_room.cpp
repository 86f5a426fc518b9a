#include "sql/connection_room.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <thread>

#include "omsbackup/error.h"
#include "sql/session.h"

namespace omsbackup {

namespace {

std::optional<long long> to_number(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  long long v = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || end != text->data() + text->size()) return std::nullopt;
  return v;
}

// A value the server may not have (OceanBase, an old version) or may not show this user.
std::optional<long long> read_number(Session& s, const char* sql, const char* doing, int column) {
  try {
    ResultSet r = s.query(sql, doing);
    if (r.rows.empty() || static_cast<int>(r.rows[0].size()) <= column) return std::nullopt;
    return to_number(r.rows[0][column]);
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace

std::optional<ConnectionRoom> connection_room(Session& s) {
  std::optional<long long> max = read_number(s, "SELECT @@GLOBAL.max_connections",
                                             "reading max_connections", 0);
  if (!max || *max <= 0) return std::nullopt;
  std::optional<long long> connected = read_number(
      s, "SHOW GLOBAL STATUS LIKE 'Threads_connected'", "reading Threads_connected", 1);
  long long used = connected.value_or(1);  // unknown: at least this session
  ConnectionRoom room;
  room.free = static_cast<unsigned>(std::clamp<long long>(*max - used, 0, 1 << 30));
  room.detail = connected ? fmt::format("max_connections={}, {} connected", *max, used)
                          : fmt::format("max_connections={}", *max);
  // The session value is the account's own limit when it has one.
  std::optional<long long> per_user = read_number(s, "SELECT @@SESSION.max_user_connections",
                                                  "reading max_user_connections", 0);
  if (per_user && *per_user > 0 && *per_user - 1 < static_cast<long long>(room.free)) {
    room.free = static_cast<unsigned>(*per_user - 1);
    room.detail += fmt::format(", max_user_connections={} (this session included)", *per_user);
  }
  return room;
}

unsigned fit_threads(unsigned requested, unsigned cores, const std::optional<ConnectionRoom>& room,
                     std::vector<std::string>& notes) {
  unsigned wanted = requested != 0 ? requested : std::max(1u, cores);
  if (!room || wanted <= room->free) return wanted;
  if (room->free == 0)
    throw Error(Errc::invalid_argument, "--threads",
                fmt::format("the server has no connection to spare ({}); wait for other clients "
                            "to disconnect, or ask the DBA to raise max_connections",
                            room->detail));
  if (requested != 0)
    throw Error(Errc::invalid_argument, fmt::format("--threads {}", requested),
                fmt::format("the server accepts only {} more connection(s) now ({}); use "
                            "--threads {} or fewer, or ask the DBA to raise max_connections",
                            room->free, room->detail, room->free));
  notes.push_back(fmt::format("--threads: {} connection(s) (one per core) lowered to {}, what "
                              "the server accepts now ({})",
                              wanted, room->free, room->detail));
  return room->free;
}

unsigned fit_threads(Session& s, unsigned requested, std::vector<std::string>& notes) {
  return fit_threads(requested, std::thread::hardware_concurrency(), connection_room(s), notes);
}

}  // namespace omsbackup

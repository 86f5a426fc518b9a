// How many more connections the server accepts, so that --threads is checked against it
// before a dump or a restore opens its worker connections.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace omsbackup {

class Session;

struct ConnectionRoom {
  unsigned free = 0;   // connections that can still be opened
  std::string detail;  // where that comes from, e.g. "max_connections=151, 12 connected"
};

// max_connections minus the connections open now (the session's own included), and at most
// max_user_connections - 1 when that limit is set. nullopt when the server does not say
// (e.g. no max_connections variable).
std::optional<ConnectionRoom> connection_room(Session& session);

// The number of worker connections to open besides the one already open: `requested`, or
// `cores` when it is 0. An explicit request beyond the room is refused
// (Errc::invalid_argument naming --threads); the default is lowered to fit, with a note
// in `notes`. No room at all is refused either way. Without a known room, unchanged.
unsigned fit_threads(unsigned requested, unsigned cores, const std::optional<ConnectionRoom>& room,
                     std::vector<std::string>& notes);

// The same against the server behind `session`, with the machine's cores.
unsigned fit_threads(Session& session, unsigned requested, std::vector<std::string>& notes);

}  // namespace omsbackup

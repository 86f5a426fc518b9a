#include "scan/reader_session.h"

#include "omsbackup/error.h"
#include "sql/session.h"

namespace omsbackup {

namespace {

constexpr unsigned kUnknownSystemVariable = 1193;

// A setting that helps but that a given server may not have.
void try_set(Session& s, const char* sql, const char* doing) {
  try {
    s.execute(sql, doing);
  } catch (const Error& e) {
    if (e.server_errno() != kUnknownSystemVariable) throw;
  }
}

}  // namespace

void pin_reader_session(Session& s) {
  s.execute("SET SESSION character_set_results = binary", "pinning the result character set");
  s.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
            "setting REPEATABLE READ for the snapshot");
  try_set(s, "SET SESSION net_read_timeout = 3600, net_write_timeout = 3600",
          "raising the network timeouts");
  if (s.server().flavor == ServerFlavor::oceanbase) {
    // Microseconds: one day for a query and for the snapshot's transaction.
    try_set(s, "SET SESSION ob_query_timeout = 86400000000, ob_trx_timeout = 86400000000",
            "raising OceanBase's query and transaction timeouts");
  }
}

bool is_retryable_read_error(unsigned server_errno) {
  return server_errno == 1205 /* lock wait timeout */ || server_errno == 1213 /* deadlock */;
}

}  // namespace omsbackup

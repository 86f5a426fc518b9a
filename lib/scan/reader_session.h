// Settings every session that reads rows for the archive (or re-reads them for the
// proof after a restore) must have, so that the encoding is exact and long reads
// are not cut off.
#pragma once

namespace omsbackup {

class Session;

// character_set_results = binary (stored bytes, no conversion), REPEATABLE READ for
// snapshots, long net timeouts, and on OceanBase long ob_query_timeout/ob_trx_timeout.
void pin_reader_session(Session& session);

// True for server errors worth retrying a chunk for within the same snapshot
// (lock wait timeout, deadlock).
bool is_retryable_read_error(unsigned server_errno);

}  // namespace omsbackup

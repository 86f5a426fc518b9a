// The INSERT fallback of the loader: for servers where LOAD DATA LOCAL INFILE is disabled
// or unsupported. It reads the archive's row dialect and writes multi-row INSERTs whose
// values are built with append_insert_value() (codec/column_codec.h), so the loaded bytes
// are the same as the LOAD DATA path's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "catalog/catalog.h"

namespace omsbackup {

class Session;

// Reads one chunk's rows (the archive's row dialect, from `source`, which returns 0 at the
// end) and inserts them with multi-row `INSERT INTO db.t (data columns) VALUES (...),(...)`
// statements, each at most `max_statement_bytes` long (see server_max_statement_bytes()).
// Memory: one statement buffer, one row's VALUES tuple and the decoder's partial row.
// Returns the number of rows inserted.
// Throws Error(corrupt_archive) naming `label` for a row whose field count is not the
// number of data (non-generated) columns or for invalid row data, Error(server) naming
// `label` for a row whose INSERT alone would exceed `max_statement_bytes` (the message says
// to what max_allowed_packet must be raised), and the server's errors.
std::uint64_t insert_chunk(Session& s, const std::string& db, const TableDef& table,
                           const std::function<std::size_t(char*, std::size_t)>& source,
                           std::size_t max_statement_bytes, const std::string& label);

// The longest statement the server takes: @@max_allowed_packet minus a safety margin
// (statement_bytes_for_packet()).
std::size_t server_max_statement_bytes(Session& s);

// The statement budget for a given max_allowed_packet: the packet minus 1 KiB and 1%.
std::uint64_t statement_bytes_for_packet(std::uint64_t max_allowed_packet);
// The smallest max_allowed_packet whose budget holds a statement of `statement_bytes`,
// rounded up to whole MiB (the unit the error message advises in).
std::uint64_t packet_for_statement_bytes(std::uint64_t statement_bytes);

}  // namespace omsbackup

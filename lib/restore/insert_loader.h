// The INSERT fallback of the loader: for servers where LOAD DATA LOCAL INFILE is disabled
// or unsupported (or --load-method=insert). It reads the archive's row dialect and writes
// multi-row INSERTs whose values are built with append_insert_value()
// (codec/column_codec.h), so the loaded bytes are the same as the LOAD DATA path's; a row
// too long for one statement goes as a prepared INSERT with its values sent in pieces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "catalog/catalog.h"

namespace omsbackup {

class Session;

// What one INSERT may hold on a server, from its max_allowed_packet.
struct InsertLimits {
  std::size_t statement_bytes = 0;  // the longest statement (statement_bytes_for_packet())
  std::uint64_t value_bytes = 0;    // the longest single value: max_allowed_packet itself
};

// Reads one chunk's rows (the archive's row dialect, from `source`, which returns 0 at the
// end) and inserts them with multi-row `INSERT INTO db.t (data columns) VALUES (...),(...)`
// statements, each at most `limits.statement_bytes` long, whose values are written by
// append_insert_value() (binary string literals, codec/sql_literal.h). A row whose INSERT
// alone would be longer (a value near max_allowed_packet, or one made of bytes that must be
// escaped) is inserted on its own by a prepared INSERT whose string values are `?`
// placeholders sent in pieces (Session::execute_long_data()). Rows keep their order.
// Memory: the statement being built, the decoder's input piece and partial row, and one
// decoded row; a long row's values are sent from the decoded row, not copied.
// Messages number rows from rows_before + 1 (the rows of `label` before this piece).
// Returns the number of rows inserted (the server's affected rows, checked per statement).
// Throws Error(corrupt_archive) naming `label` for a row whose field count is not the
// number of data (non-generated) columns or for invalid row data, Error(server) naming
// `label` for a row holding a value longer than `limits.value_bytes`, which no statement
// can carry (the message names the row and column and says to what max_allowed_packet must
// be raised), and the server's errors.
std::uint64_t insert_chunk(Session& s, const std::string& db, const TableDef& table,
                           const std::function<std::size_t(char*, std::size_t)>& source,
                           const InsertLimits& limits, const std::string& label,
                           std::uint64_t rows_before = 0);

// The limits for a given max_allowed_packet, and those of the server `s` is connected to
// (its @@max_allowed_packet).
InsertLimits insert_limits_for_packet(std::uint64_t max_allowed_packet);
InsertLimits server_insert_limits(Session& s);

// The statement budget for a given max_allowed_packet: the packet minus 1 KiB and 1%.
std::uint64_t statement_bytes_for_packet(std::uint64_t max_allowed_packet);

}  // namespace omsbackup

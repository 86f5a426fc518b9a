// Reads a table's rows through a session and encodes them into the archive's row
// dialect, with the content digest computed on the way.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "catalog/catalog.h"
#include "codec/content_digest.h"

namespace omsbackup {

class Session;

// Called with encoded rows in pieces of about `flush_bytes`.
using EncodedSink = std::function<void(std::string_view encoded_rows)>;

struct ReadResult {
  ContentDigest digest;
  std::uint64_t raw_bytes = 0;
};

// Streams `SELECT <data columns> FROM db.table [WHERE where_sql]` unbuffered: memory
// holds one row plus one buffer of `flush_bytes`, whatever the table size.
ReadResult read_table(Session& session, const std::string& db, const TableDef& table,
                      const std::string& where_sql, const EncodedSink& sink,
                      std::size_t flush_bytes = 1 << 20);

}  // namespace omsbackup

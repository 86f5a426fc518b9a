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

// Receives whole encoded rows in pieces of about `flush_bytes`, with the digest of
// exactly the rows in the piece. May throw (e.g. to cancel).
using EncodedSink = std::function<void(std::string_view rows, const ContentDigest& piece)>;

struct ReadResult {
  ContentDigest digest;
  std::uint64_t raw_bytes = 0;
};

// Streams `SELECT <data columns> FROM db.table <tail>` unbuffered (`tail` is e.g.
// "WHERE ... ORDER BY ..."): memory holds one row plus one buffer of `flush_bytes`,
// whatever the table size. `label` names the work in errors ("rm.task chunk 3"); the
// digests are of `kind` (the archive's: a dump's is always the current format's).
ReadResult read_table(Session& session, const std::string& db, const TableDef& table,
                      const std::string& tail, const std::string& label, DigestKind kind,
                      const EncodedSink& sink, std::size_t flush_bytes = 1 << 20);

}  // namespace omsbackup

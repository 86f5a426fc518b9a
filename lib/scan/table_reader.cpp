#include "scan/table_reader.h"

#include <fmt/format.h>

#include "codec/column_codec.h"
#include "codec/row_encoder.h"
#include "sql/quote.h"
#include "sql/session.h"

namespace omsbackup {

ReadResult read_table(Session& session, const std::string& db, const TableDef& table,
                      const std::string& tail, const std::string& label, DigestKind kind,
                      const EncodedSink& sink, std::size_t flush_bytes) {
  std::string sql = fmt::format("SELECT {} FROM {}", select_list(table.columns),
                                quote_qualified(db, table.name));
  if (!tail.empty()) sql += " " + tail;
  RowStream rows = session.stream(sql, fmt::format("reading {}", label));
  RowEncoder enc(flush_bytes + (flush_bytes >> 2));
  ReadResult out{ContentDigest(kind)};
  ContentDigest piece(kind);
  const unsigned n = rows.field_count();
  auto flush = [&] {
    out.raw_bytes += enc.size();
    out.digest.merge(piece);
    sink(enc.buffer(), piece);
    enc.clear();
    piece = ContentDigest(kind);
  };
  while (rows.next()) {
    for (unsigned i = 0; i < n; ++i) {
      if (rows.is_null(i)) enc.null_field();
      else enc.field(rows.value(i));
    }
    enc.end_row();
    piece.add_row(enc.last_row());
    if (enc.size() >= flush_bytes) flush();
  }
  if (enc.size() != 0) flush();
  return out;
}

}  // namespace omsbackup

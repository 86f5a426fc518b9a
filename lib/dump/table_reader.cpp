#include "dump/table_reader.h"

#include <fmt/format.h>

#include "codec/column_codec.h"
#include "codec/row_encoder.h"
#include "sql/quote.h"
#include "sql/session.h"

namespace omsbackup {

ReadResult read_table(Session& session, const std::string& db, const TableDef& table,
                      const std::string& where_sql, const EncodedSink& sink,
                      std::size_t flush_bytes) {
  std::string sql = fmt::format("SELECT {} FROM {}", select_list(table.columns),
                                quote_qualified(db, table.name));
  if (!where_sql.empty()) sql += " WHERE " + where_sql;
  RowStream rows = session.stream(sql, fmt::format("reading {}.{}", db, table.name));
  RowEncoder enc(flush_bytes + (flush_bytes >> 2));
  ReadResult out;
  const unsigned n = rows.field_count();
  while (rows.next()) {
    for (unsigned i = 0; i < n; ++i) {
      if (rows.is_null(i)) enc.null_field();
      else enc.field(rows.value(i));
    }
    enc.end_row();
    out.digest.add_row(enc.last_row());
    if (enc.size() >= flush_bytes) {
      out.raw_bytes += enc.size();
      sink(enc.buffer());
      enc.clear();
    }
  }
  if (enc.size() != 0) {
    out.raw_bytes += enc.size();
    sink(enc.buffer());
  }
  return out;
}

}  // namespace omsbackup

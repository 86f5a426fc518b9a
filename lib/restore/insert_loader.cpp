#include "restore/insert_loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <optional>
#include <string_view>
#include <vector>

#include "codec/column_codec.h"
#include "codec/row.h"
#include "codec/row_decoder.h"
#include "omsbackup/error.h"
#include "sql/quote.h"
#include "sql/session.h"

namespace omsbackup {

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;
// The largest max_allowed_packet MySQL and MariaDB accept.
constexpr std::uint64_t kLargestPacket = 1024 * kMiB;
constexpr std::size_t kReadPiece = 64 * 1024;
// The pieces a long row's values are sent in (less when the server's packet is smaller).
constexpr std::size_t kLongDataPiece = 1024 * 1024;

std::string human_bytes(std::uint64_t n) {
  if (n < 1024) return fmt::format("{} bytes", n);
  if (n < kMiB) return fmt::format("{:.1f} KiB", static_cast<double>(n) / 1024.0);
  if (n < 1024 * kMiB) return fmt::format("{:.1f} MiB", static_cast<double>(n) / kMiB);
  return fmt::format("{:.1f} GiB", static_cast<double>(n) / (1024.0 * kMiB));
}

// A value no statement can carry: the server refuses a single value (even one sent as
// long data) longer than its max_allowed_packet.
[[noreturn]] void value_too_big(std::uint64_t row, const std::string& column,
                                const std::string& label, std::uint64_t size,
                                std::uint64_t limit) {
  std::string what = fmt::format(
      "row {} has a {} value in column {}, more than the server takes as one value (its "
      "max_allowed_packet is {})",
      row, human_bytes(size), quote_identifier(column), human_bytes(limit));
  std::uint64_t packet = (size + kMiB - 1) / kMiB * kMiB;
  if (packet > kLargestPacket) {
    throw Error(Errc::server, label,
                fmt::format("{}; that is beyond the largest max_allowed_packet a server accepts "
                            "(1G): use --load-method=load-data",
                            what));
  }
  throw Error(Errc::server, label,
              fmt::format("{}; raise max_allowed_packet on the server to at least {}M, or use "
                          "--load-method=load-data",
                          what, packet / kMiB));
}

}  // namespace

std::uint64_t statement_bytes_for_packet(std::uint64_t packet) {
  std::uint64_t margin = 1024 + packet / 100;
  return packet > margin ? packet - margin : packet / 2;
}

InsertLimits insert_limits_for_packet(std::uint64_t packet) {
  return InsertLimits{static_cast<std::size_t>(statement_bytes_for_packet(packet)), packet};
}

InsertLimits server_insert_limits(Session& s) {
  std::optional<std::string> v =
      s.scalar("SELECT @@max_allowed_packet", "reading the server's max_allowed_packet");
  std::uint64_t packet = 0;
  try {
    if (v) packet = std::stoull(*v);
  } catch (const std::exception&) {
    packet = 0;
  }
  if (packet == 0) {
    throw Error(Errc::server, s.endpoint(),
                fmt::format("the server reports max_allowed_packet as '{}'", v.value_or("NULL")));
  }
  return insert_limits_for_packet(packet);
}

std::uint64_t insert_chunk(Session& s, const std::string& db, const TableDef& table,
                           const std::function<std::size_t(char*, std::size_t)>& source,
                           const InsertLimits& limits, const std::string& label,
                           std::uint64_t rows_before) {
  const std::vector<const ColumnDef*> columns = data_columns(table.columns);
  std::vector<ValueKind> kinds;
  const std::string prefix = insert_prefix(db, table, &kinds);

  std::string stmt;  // the statement being built: prefix and whole tuples
  std::uint64_t first_row = 0, rows_in_stmt = 0, inserted = 0;
  auto flush = [&] {
    s.execute(stmt, fmt::format("inserting rows {}-{} of {}", rows_before + first_row,
                                rows_before + first_row + rows_in_stmt - 1, label));
    std::uint64_t affected = s.affected_rows();
    if (affected != rows_in_stmt) {
      throw Error(Errc::server, label,
                  fmt::format("the server inserted {} of rows {}-{}, not {}", affected,
                              rows_before + first_row, rows_before + first_row + rows_in_stmt - 1,
                              rows_in_stmt));
    }
    inserted += affected;
    stmt.clear();
    rows_in_stmt = 0;
  };

  RowDecoder dec(label);
  Row row;
  // A row too long for one statement: its string values go as placeholders, sent in
  // pieces straight from `row`.
  std::vector<std::string_view> values;
  const std::size_t piece = std::min<std::size_t>(kLongDataPiece, limits.statement_bytes);
  auto insert_long_row = [&](std::uint64_t n) {
    stmt = prefix;
    stmt += '(';
    values.clear();
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (i != 0) stmt += ',';
      if (append_insert_placeholder(stmt, kinds[i], row.is_null(i), row.value(i))) {
        if (row.value(i).size() > limits.value_bytes) {
          value_too_big(n, columns[i]->name, label, row.value(i).size(), limits.value_bytes);
        }
        values.push_back(row.value(i));
      }
    }
    stmt += ')';
    std::uint64_t affected =
        s.execute_long_data(stmt, values, piece,
                            fmt::format("inserting row {} of {} (its values in pieces)", n, label));
    if (affected != 1) {
      throw Error(Errc::server, label,
                  fmt::format("the server inserted {} rows for row {}, not 1", affected, n));
    }
    ++inserted;
    stmt.clear();
  };

  std::vector<char> buf(kReadPiece);
  while (std::size_t n = source(buf.data(), buf.size())) {
    dec.feed(std::string_view(buf.data(), n));
    while (dec.next_row(row)) {
      if (row.size() != columns.size()) {
        throw Error(Errc::corrupt_archive, label,
                    fmt::format("row {} has {} fields, but the table has {} data columns",
                                rows_before + dec.rows(), row.size(), columns.size()));
      }
      // The row's "(v1,v2,...)", measured before it is built: a big value is escaped
      // straight into the statement, never into a copy of its own.
      std::size_t tuple = 2 + (columns.empty() ? 0 : columns.size() - 1);
      for (std::size_t i = 0; i < columns.size(); ++i)
        tuple += insert_value_size(kinds[i], row.is_null(i), row.value(i));
      if (prefix.size() + tuple > limits.statement_bytes) {
        if (rows_in_stmt != 0) flush();
        insert_long_row(rows_before + dec.rows());
        continue;
      }
      if (rows_in_stmt != 0 && stmt.size() + 1 + tuple > limits.statement_bytes) flush();
      if (rows_in_stmt == 0) {
        stmt = prefix;
        first_row = dec.rows();
      } else {
        stmt += ',';
      }
      stmt += '(';
      for (std::size_t i = 0; i < columns.size(); ++i) {
        if (i != 0) stmt += ',';
        append_insert_value(stmt, kinds[i], row.is_null(i), row.value(i));
      }
      stmt += ')';
      ++rows_in_stmt;
    }
  }
  dec.finish();
  if (rows_in_stmt != 0) flush();
  return inserted;
}

}  // namespace omsbackup

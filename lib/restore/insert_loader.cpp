#include "restore/insert_loader.h"

#include <fmt/format.h>

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

std::string human_bytes(std::uint64_t n) {
  if (n < 1024) return fmt::format("{} bytes", n);
  if (n < kMiB) return fmt::format("{:.1f} KiB", static_cast<double>(n) / 1024.0);
  if (n < 1024 * kMiB) return fmt::format("{:.1f} MiB", static_cast<double>(n) / kMiB);
  return fmt::format("{:.1f} GiB", static_cast<double>(n) / (1024.0 * kMiB));
}

[[noreturn]] void row_too_big(std::uint64_t row, const std::string& label,
                              std::uint64_t needed, std::size_t limit) {
  std::uint64_t packet = packet_for_statement_bytes(needed);
  std::string what = fmt::format(
      "row {} needs a {} INSERT statement, more than the {} allowed for one statement", row,
      human_bytes(needed), human_bytes(limit));
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

std::uint64_t packet_for_statement_bytes(std::uint64_t statement_bytes) {
  // statement_bytes_for_packet() grows with the packet: round up to a MiB, then step up.
  std::uint64_t packet = (statement_bytes + 1024) / 99 * 100;
  packet = (packet + kMiB - 1) / kMiB * kMiB;
  if (packet == 0) packet = kMiB;
  while (statement_bytes_for_packet(packet) < statement_bytes) packet += kMiB;
  return packet;
}

std::size_t server_max_statement_bytes(Session& s) {
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
  return static_cast<std::size_t>(statement_bytes_for_packet(packet));
}

std::uint64_t insert_chunk(Session& s, const std::string& db, const TableDef& table,
                           const std::function<std::size_t(char*, std::size_t)>& source,
                           std::size_t max_statement_bytes, const std::string& label) {
  const std::vector<const ColumnDef*> columns = data_columns(table.columns);
  std::vector<ValueKind> kinds;
  kinds.reserve(columns.size());
  std::string prefix = fmt::format("INSERT INTO {} (", quote_qualified(db, table.name));
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i != 0) prefix += ", ";
    prefix += quote_identifier(columns[i]->name);
    kinds.push_back(value_kind_for(*columns[i]));
  }
  prefix += ") VALUES ";

  std::string stmt;     // the statement being built: prefix and whole tuples
  std::string tuple;    // one row's "(v1,v2,...)"
  std::uint64_t first_row = 0, rows_in_stmt = 0, inserted = 0;
  auto flush = [&] {
    s.execute(stmt, fmt::format("inserting rows {}-{} of {}", first_row,
                                first_row + rows_in_stmt - 1, label));
    std::uint64_t affected = s.affected_rows();
    if (affected != rows_in_stmt) {
      throw Error(Errc::server, label,
                  fmt::format("the server inserted {} of rows {}-{}, not {}", affected, first_row,
                              first_row + rows_in_stmt - 1, rows_in_stmt));
    }
    inserted += affected;
    stmt.clear();
    rows_in_stmt = 0;
  };

  RowDecoder dec(label);
  Row row;
  std::vector<char> buf(kReadPiece);
  while (std::size_t n = source(buf.data(), buf.size())) {
    dec.feed(std::string_view(buf.data(), n));
    while (dec.next_row(row)) {
      if (row.size() != columns.size()) {
        throw Error(Errc::corrupt_archive, label,
                    fmt::format("row {} has {} fields, but the table has {} data columns",
                                dec.rows(), row.size(), columns.size()));
      }
      tuple.clear();
      tuple += '(';
      for (std::size_t i = 0; i < columns.size(); ++i) {
        if (i != 0) tuple += ',';
        append_insert_value(tuple, kinds[i], row.is_null(i), row.value(i));
      }
      tuple += ')';
      if (prefix.size() + tuple.size() > max_statement_bytes) {
        row_too_big(dec.rows(), label, prefix.size() + tuple.size(), max_statement_bytes);
      }
      if (rows_in_stmt != 0 && stmt.size() + 1 + tuple.size() > max_statement_bytes) flush();
      if (rows_in_stmt == 0) {
        stmt = prefix;
        first_row = dec.rows();
      } else {
        stmt += ',';
      }
      stmt += tuple;
      ++rows_in_stmt;
    }
  }
  dec.finish();
  if (rows_in_stmt != 0) flush();
  return inserted;
}

}  // namespace omsbackup

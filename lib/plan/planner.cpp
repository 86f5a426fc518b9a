// The chunk planner. Correctness rests on the predicates alone: boundaries are key values
// written as literals that compare exactly as the index orders them, the first chunk is
// open below and the last open above, so the chunks are disjoint and cover every row
// whatever the estimates say. The estimates only decide how many chunks there are.
#include "plan/planner.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "omsbackup/error.h"
#include "plan/key_sql.h"
#include "sql/quote.h"
#include "sql/session.h"

namespace omsbackup {

namespace {

// Never more chunks than this from the estimates (64 TiB at the default chunk size).
constexpr std::uint64_t kMaxChunks = std::uint64_t{1} << 20;
// How often a range that turned out to hold empty stretches is split again.
constexpr int kMaxRefineDepth = 8;
constexpr unsigned kUnknownSystemVariable = 1193;

std::uint64_t to_u64(const std::optional<std::string>& v) {
  if (!v) return 0;
  std::uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || ptr != v->data() + v->size()) return 0;
  return n;
}

std::uint64_t saturating_mul(std::uint64_t a, std::uint64_t b) {
  if (a != 0 && b > UINT64_MAX / a) return UINT64_MAX;
  return a * b;
}

struct Estimates {
  std::uint64_t rows = 0;
  std::uint64_t avg_row = 0;  // bytes per row, at least 1
  std::uint64_t bytes = 0;
};

struct Planning {
  Session& s;
  std::string object;  // db.table, for messages
  std::string from;    // `db`.`table`
  std::vector<std::string> cols;  // quoted key columns
  std::string order_by;
};

Estimates read_estimates(Session& s, const std::string& db, const std::string& table,
                         const std::string& object) {
  // MySQL 8 caches these statistics for a day by default; ask for fresh ones.
  if (s.server().flavor == ServerFlavor::mysql && s.server().major >= 8) {
    try {
      s.execute("SET SESSION information_schema_stats_expiry = 0",
                "asking for fresh table statistics");
    } catch (const Error& e) {
      if (e.server_errno() != kUnknownSystemVariable) throw;
    }
  }
  ResultSet r = s.query(
      fmt::format("SELECT TABLE_ROWS, AVG_ROW_LENGTH, DATA_LENGTH FROM information_schema.TABLES "
                  "WHERE TABLE_SCHEMA = {} AND TABLE_NAME = {}",
                  quote_string(db), quote_string(table)),
      fmt::format("reading the size estimates of {}", object));
  if (r.rows.empty()) throw Error(Errc::invalid_argument, object, "no such table on the server");
  Estimates e;
  e.rows = to_u64(r.rows[0][0]);
  std::uint64_t avg = to_u64(r.rows[0][1]);
  std::uint64_t data = to_u64(r.rows[0][2]);
  if (avg == 0 && e.rows > 0) avg = data / e.rows;
  e.avg_row = std::max<std::uint64_t>(avg, 1);
  e.bytes = e.rows > 0 ? saturating_mul(e.rows, e.avg_row) : data;
  return e;
}

ChunkSpec whole_table(const Estimates& e, const std::string& order_by) {
  ChunkSpec c;
  c.order_by = order_by;
  c.estimated_rows = e.rows;
  c.estimated_bytes = e.bytes;
  return c;
}

// ---- single integer key -------------------------------------------------------------

std::optional<Int128> int_scalar(Planning& p, const std::string& sql, const char* what) {
  std::optional<std::string> v = p.s.scalar(sql, fmt::format("{} of {}", what, p.object));
  if (!v) return std::nullopt;
  std::optional<Int128> n = parse_int128(*v);
  if (!n) {
    throw Error(Errc::server, p.object,
                fmt::format("the key {} returned '{}', which is not an integer", what, *v));
  }
  return n;
}

// The smallest key in [from, to].
std::optional<Int128> first_key(Planning& p, Int128 from, Int128 to) {
  const std::string& k = p.cols[0];
  return int_scalar(p,
                    fmt::format("SELECT MIN({0}) FROM {1} WHERE {0} >= {2} AND {0} <= {3}", k,
                                p.from, int128_text(from), int128_text(to)),
                    "probing the chunk key");
}

// The largest key in [from, to].
std::optional<Int128> last_key(Planning& p, Int128 from, Int128 to) {
  const std::string& k = p.cols[0];
  return int_scalar(p,
                    fmt::format("SELECT MAX({0}) FROM {1} WHERE {0} >= {2} AND {0} <= {3}", k,
                                p.from, int128_text(from), int128_text(to)),
                    "probing the chunk key");
}

// Boundaries (existing keys, ascending, all > lo) that split the keys in [lo, hi] into at
// most `budget` parts; lo and hi are existing keys. The range is split evenly by value,
// each boundary is moved up to the first key at or after it (one index probe), so empty
// stretches vanish instead of becoming empty chunks; the budget they leave is given to
// the remaining parts in proportion to the width of the keys they really hold, and those
// parts are split again.
std::vector<Int128> split_keys(Planning& p, Int128 lo, Int128 hi, std::uint64_t budget,
                               int depth) {
  std::vector<Int128> out;
  if (budget <= 1 || lo >= hi) return out;
  const std::vector<Int128> even = split_int_range(lo, hi, budget);
  std::vector<Int128> starts{lo};
  for (Int128 b : even) {
    if (b <= starts.back()) continue;  // inside a part whose first key is already past b
    std::optional<Int128> next = first_key(p, b, hi);
    if (!next) break;  // rows deleted meanwhile: no keys left in [b, hi]
    if (*next > starts.back()) starts.push_back(*next);
  }
  if (starts.size() == even.size() + 1 || depth >= kMaxRefineDepth) {
    out.assign(starts.begin() + 1, starts.end());
    return out;
  }
  const std::uint64_t leftover = budget - starts.size();
  std::vector<Int128> lasts(starts.size());
  long double total = 0;
  for (std::size_t j = 0; j < starts.size(); ++j) {
    Int128 end = j + 1 < starts.size() ? starts[j + 1] - 1 : hi;
    lasts[j] = last_key(p, starts[j], end).value_or(starts[j]);
    total += static_cast<long double>(lasts[j] - starts[j]);
  }
  for (std::size_t j = 0; j < starts.size(); ++j) {
    if (j > 0) out.push_back(starts[j]);
    std::uint64_t extra = 0;
    if (total > 0) {
      long double share = static_cast<long double>(leftover) *
                          static_cast<long double>(lasts[j] - starts[j]) / total;
      extra = static_cast<std::uint64_t>(share);
    }
    std::vector<Int128> inner = split_keys(p, starts[j], lasts[j], 1 + extra, depth + 1);
    out.insert(out.end(), inner.begin(), inner.end());
  }
  return out;
}

void plan_integer(Planning& p, TablePlan& plan, const Estimates& e, std::uint64_t rows_per_chunk) {
  const std::string& k = p.cols[0];
  ResultSet mm = p.s.query(fmt::format("SELECT MIN({0}), MAX({0}) FROM {1}", k, p.from),
                           fmt::format("reading the key range of {}", p.object));
  if (mm.rows.empty() || !mm.rows[0][0] || !mm.rows[0][1]) {
    plan.chunks.push_back(whole_table(e, p.order_by));  // empty table
    return;
  }
  std::optional<Int128> lo = parse_int128(*mm.rows[0][0]), hi = parse_int128(*mm.rows[0][1]);
  if (!lo || !hi || *hi < *lo) {
    throw Error(Errc::server, p.object,
                fmt::format("unexpected key range '{}'..'{}'", *mm.rows[0][0], *mm.rows[0][1]));
  }
  std::uint64_t budget = e.rows / rows_per_chunk + (e.rows % rows_per_chunk != 0 ? 1 : 0);
  budget = std::clamp<std::uint64_t>(budget, 1, kMaxChunks);
  std::vector<Int128> bounds = split_keys(p, *lo, *hi, budget, 0);
  if (bounds.empty()) {
    plan.chunks.push_back(whole_table(e, p.order_by));
    return;
  }
  const std::size_t n = bounds.size() + 1;
  const std::uint64_t rows_each = (e.rows + n - 1) / n;
  for (std::size_t i = 0; i < n; ++i) {
    ChunkSpec c;
    std::vector<std::string> lower, upper;
    if (i > 0) lower.push_back(int128_text(bounds[i - 1]));
    if (i + 1 < n) upper.push_back(int128_text(bounds[i]));
    c.where = range_predicate(p.cols, i > 0 ? &lower : nullptr, i + 1 < n ? &upper : nullptr);
    c.order_by = p.order_by;
    c.lower = i > 0 ? lower[0] : "";
    c.upper = i + 1 < n ? upper[0] : "";
    c.estimated_rows = rows_each;
    c.estimated_bytes = saturating_mul(rows_each, e.avg_row);
    plan.chunks.push_back(std::move(c));
  }
}

// ---- any other key: keyset walk -------------------------------------------------------

struct Boundary {
  std::vector<std::string> values;    // raw bytes / server text, per part
  std::vector<std::string> literals;  // SQL literals, per part
};

void plan_keyset(Planning& p, const ChunkKey& key, TablePlan& plan, const Estimates& e,
                 std::uint64_t rows_per_chunk) {
  std::string select;
  for (std::size_t i = 0; i < key.parts.size(); ++i) {
    if (i > 0) select += ", ";
    const std::string& t = key.parts[i].data_type;
    select += is_text_type(t) || is_binary_type(t) ? "HEX(" + p.cols[i] + ")" : p.cols[i];
  }
  std::vector<Boundary> bounds;
  for (;;) {
    // The first boundary is the row after the first chunk's rows; each next one is the
    // row after the rows_per_chunk rows that start at the previous boundary.
    std::string sql =
        bounds.empty()
            ? fmt::format("SELECT {} FROM {} {} LIMIT {}, 1", select, p.from, p.order_by,
                          rows_per_chunk)
            : fmt::format("SELECT {} FROM {} WHERE {} {} LIMIT {}, 1", select, p.from,
                          tuple_above(p.cols, bounds.back().literals), p.order_by,
                          rows_per_chunk - 1);
    ResultSet r = p.s.query(sql, fmt::format("finding chunk boundary {} of {}", bounds.size() + 1,
                                             p.object));
    if (r.rows.empty()) break;
    Boundary b;
    for (std::size_t i = 0; i < key.parts.size(); ++i) {
      const KeyPart& part = key.parts[i];
      const std::optional<std::string>& v = r.rows[0].at(i);
      if (!v) {
        throw Error(Errc::server, p.object,
                    fmt::format("key column {} of index {} returned NULL", part.column, key.index));
      }
      std::optional<std::string> value =
          is_text_type(part.data_type) || is_binary_type(part.data_type) ? hex_decode(*v) : *v;
      std::optional<std::string> lit = value ? key_literal(part, *value) : std::nullopt;
      if (!lit) {
        throw Error(Errc::unsupported, p.object,
                    fmt::format("cannot write the value '{}' of key column {} ({}) as an SQL "
                                "literal",
                                *v, part.column, part.data_type));
      }
      b.values.push_back(std::move(*value));
      b.literals.push_back(std::move(*lit));
    }
    if (!bounds.empty() && b.values == bounds.back().values) {
      throw Error(Errc::internal, p.object,
                  fmt::format("the walk over index {} did not advance past {}", key.index,
                              bound_text(key.parts, b.values)));
    }
    bounds.push_back(std::move(b));
  }
  if (bounds.empty()) {
    plan.chunks.push_back(whole_table(e, p.order_by));
    return;
  }
  const std::size_t n = bounds.size() + 1;
  const std::uint64_t walked = saturating_mul(rows_per_chunk, n - 1);
  for (std::size_t i = 0; i < n; ++i) {
    ChunkSpec c;
    const Boundary* lower = i > 0 ? &bounds[i - 1] : nullptr;
    const Boundary* upper = i + 1 < n ? &bounds[i] : nullptr;
    c.where = range_predicate(p.cols, lower ? &lower->literals : nullptr,
                              upper ? &upper->literals : nullptr);
    c.order_by = p.order_by;
    c.lower = lower ? bound_text(key.parts, lower->values) : "";
    c.upper = upper ? bound_text(key.parts, upper->values) : "";
    // Every chunk but the last holds rows_per_chunk rows as planned.
    c.estimated_rows =
        upper ? rows_per_chunk : (e.rows > walked ? e.rows - walked : rows_per_chunk);
    c.estimated_bytes = saturating_mul(c.estimated_rows, e.avg_row);
    plan.chunks.push_back(std::move(c));
  }
  if (plan.estimated_rows < walked) {
    plan.estimated_rows = walked;
    plan.estimated_bytes = saturating_mul(walked, e.avg_row);
  }
}

}  // namespace

TablePlan plan_table(Session& s, const std::string& db, const TableDef& table,
                     const PlanOptions& o) {
  const std::string object = fmt::format("{}.{}", db, table.name);
  if (o.chunk_bytes == 0) throw Error(Errc::invalid_argument, object, "chunk size must not be 0");
  Estimates e = read_estimates(s, db, table.name, object);
  TablePlan plan;
  plan.estimated_rows = e.rows;
  plan.estimated_bytes = e.bytes;
  plan.key = choose_chunk_key(s, db, table.name);
  if (!plan.key) {
    plan.split_by_size = true;
    plan.chunks.push_back(whole_table(e, ""));
    return plan;
  }
  Planning p{s, object, quote_qualified(db, table.name), {}, "ORDER BY "};
  for (std::size_t i = 0; i < plan.key->parts.size(); ++i) {
    p.cols.push_back(quote_identifier(plan.key->parts[i].column));
    p.order_by += (i > 0 ? ", " : "") + p.cols.back();
  }
  std::uint64_t rows_per_chunk = std::max<std::uint64_t>(o.chunk_bytes / e.avg_row, 1);
  // Bounded, however large the table: make chunks bigger rather than too many.
  if (e.rows / rows_per_chunk >= kMaxChunks) rows_per_chunk = e.rows / kMaxChunks + 1;
  if (plan.key->single_integer()) {
    plan_integer(p, plan, e, rows_per_chunk);
  } else {
    plan_keyset(p, *plan.key, plan, e, rows_per_chunk);
  }
  return plan;
}

}  // namespace omsbackup

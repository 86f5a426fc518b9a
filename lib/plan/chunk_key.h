// Which index a table is split by: the primary key, else the narrowest unique index whose
// columns are all NOT NULL, as long as SQL can compare its values exactly the way the
// index orders them.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace omsbackup {

class Session;

struct KeyPart {
  std::string column;
  std::string data_type;  // information_schema DATA_TYPE, lower case
  std::string charset;    // CHARACTER_SET_NAME of a CHAR/VARCHAR column, else empty
  std::string collation;  // COLLATION_NAME of a CHAR/VARCHAR column, else empty
  bool is_unsigned = false;
};

struct ChunkKey {
  std::string index;           // "PRIMARY" or the unique index name
  std::vector<KeyPart> parts;  // in index order
  // One integer column (tinyint..bigint, signed or unsigned).
  bool single_integer() const;
};

// PRIMARY KEY, else the UNIQUE index all of whose columns are NOT NULL (fewest columns,
// then name), usable only if every column's type can be compared safely in SQL the way the
// index orders it: integers, DECIMAL, DATE/DATETIME/TIMESTAMP/TIME/YEAR, CHAR/VARCHAR (with
// their collation), BINARY/VARBINARY. ENUM, SET, FLOAT, DOUBLE, BIT, JSON, BLOB/TEXT,
// spatial or prefix-indexed (SUB_PART not null) columns, functional key parts and HASH
// indexes make an index unusable. nullopt: no usable key.
// Throws Error (server) naming db.table when the catalog cannot be read.
std::optional<ChunkKey> choose_chunk_key(Session& s, const std::string& db,
                                         const std::string& table);

}  // namespace omsbackup

// The type torture corpora of types_test.cpp, each a database at the edges of its types
// (defined there; also loaded by to_sql_test.cpp).
#pragma once

#include <string>

#include "sql/session.h"

namespace omsbackup::testing {

void make_numbers(Session& s);               // types_num: every integer, DECIMAL, FLOAT, DOUBLE, BIT
void make_strings(Session& s);               // types_str: every string and binary type, ENUM, SET
void make_temporal_and_others(Session& s);   // types_misc: temporal, JSON, spatial, INET, UUID
void make_schema_features(Session& s);       // types_schema: generated, invisible, checks, keys
extern const std::string kOddDb;             // the database make_odd_identifiers() creates
void make_odd_identifiers(Session& s);
void make_keyed_tables(Session& s);          // types_keys

}  // namespace omsbackup::testing

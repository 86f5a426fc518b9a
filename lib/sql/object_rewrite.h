// Rewriting saved object definitions for restore: the database part of qualified names
// for --rename, and the FOLLOWS/PRECEDES clause a trigger is created without (restore
// creates triggers in their firing order instead). Text in, text out: no server.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace omsbackup {

// Where a CREATE TRIGGER statement's FOLLOWS/PRECEDES clause is: [begin, end) of the
// clause with the trigger name it names; nullopt when it has none. `sql_mode` tells how
// to read quotes (ANSI_QUOTES, NO_BACKSLASH_ESCAPES).
std::optional<std::pair<std::size_t, std::size_t>> trigger_order_clause(
    std::string_view create_sql, std::string_view sql_mode = {});

// `sql` with the database part of every qualified name that is `from` written as `to`
// (quoted with backticks): an identifier equal to `from`, quoted or not, followed by '.'
// and a name (`from`.`t`, `from`.`t`.`col`, from.t), and not itself after a '.' (in
// `db`.`from`.`col` it is a table; unquoted NEW and OLD are a trigger's rows). Strings,
// comments and every other byte are kept as they are. `sql_mode` tells how to read quotes
// (ANSI_QUOTES, NO_BACKSLASH_ESCAPES). A name in a string that is run as SQL (PREPARE,
// EXECUTE IMMEDIATE) is not seen. With `keep_unquoted`, a name written without quotes is
// replaced without quotes when `to` is letters, digits and '_' only (the statement's text
// then changes by the name alone: --from-sql maps names to its scratch copies and back).
std::string rename_database_references(std::string_view sql, std::string_view from,
                                       std::string_view to, std::string_view sql_mode = {},
                                       bool keep_unquoted = false);

}  // namespace omsbackup

// The account database's schema, as an ordered list of migrations: the one place the tables are
// defined. The SQL is the common subset of SQLite and PostgreSQL (TEXT columns, hex-encoded
// secrets, timestamps written by the application as ISO 8601 UTC, a partial unique index) so a
// PostgreSQL backend can apply the same list.
#pragma once

#include <span>
#include <string_view>

namespace bodyshape::storage {

struct Migration {
  int version;           // 1, 2, 3 ... in order; recorded in schema_version once applied
  std::string_view sql;  // one or more statements separated by ';'
};

// Created before anything else; one row per applied migration.
inline constexpr std::string_view kSchemaVersionTable =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    "  version INTEGER PRIMARY KEY,"
    "  applied_at TEXT NOT NULL)";

std::span<const Migration> account_migrations();

}  // namespace bodyshape::storage

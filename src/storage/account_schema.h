// The account database's schema, as an ordered list of migrations: the one place the tables are
// defined. The SQL is the common subset of SQLite and PostgreSQL (TEXT columns, hex-encoded
// secrets, timestamps written by the application as ISO 8601 UTC, a partial unique index) so a
// PostgreSQL backend can apply the same list.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"

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

// What a backend lends apply_migrations(): its SQL, run inside one transaction that the backend
// opened holding a lock that serialises concurrent openers (so each migration applies once).
class MigrationTarget {
 public:
  virtual ~MigrationTarget() = default;
  // One or more statements separated by ';' that return no rows.
  virtual Status exec(std::string_view sql) = 0;
  // SELECT COALESCE(MAX(version), 0) FROM schema_version.
  virtual Result<int64_t> current_version() = 0;
  // INSERT INTO schema_version (version, applied_at).
  virtual Status record(int version, const std::string& applied_at) = 0;
};

// Creates schema_version if missing, then applies and records each migration newer than the
// recorded version, in order. kUnavailable when the database's schema is newer than this program's
// (an older binary must not write to it), or from the target.
Status apply_migrations(MigrationTarget& target);

// The UTC calendar day of `when` as account_usage stores it: "2024-05-01".
std::string utc_day(std::chrono::system_clock::time_point when);

// The current time as the schema stores timestamps: ISO 8601 UTC, e.g. "2024-05-01T12:00:00Z".
std::string now_iso8601_utc();

}  // namespace bodyshape::storage

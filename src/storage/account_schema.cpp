#include "storage/account_schema.h"

#include <array>
#include <chrono>
#include <ctime>

namespace bodyshape::storage {
namespace {

// Never edit an applied migration; append a new one.
constexpr std::array kMigrations = {
    Migration{1,
              // An account row is never deleted: revoking stamps revoked_at, and the same e-mail
              // may be created again, so only active rows must have unique e-mails.
              "CREATE TABLE accounts ("
              "  email TEXT NOT NULL,"          // trimmed, lowercased
              "  salt TEXT NOT NULL,"           // 16 random bytes, hex
              "  user_key_hash TEXT NOT NULL,"  // hex HMAC-SHA256(pepper, salt || UserKey)
              "  api_key_hash TEXT NOT NULL,"   // hex HMAC-SHA256(pepper, salt || APIKey)
              "  created_at TEXT NOT NULL,"     // ISO 8601 UTC
              "  revoked_at TEXT"               // NULL while active
              ");"
              "CREATE UNIQUE INDEX accounts_active_email ON accounts (email)"
              "  WHERE revoked_at IS NULL"},
    Migration{2,
              // Counters that replicas sharing the database share (counter_store.h). DOUBLE
              // PRECISION: Unix seconds need more than float4's 24-bit mantissa.
              "CREATE TABLE rate_buckets ("
              "  bucket_key TEXT PRIMARY KEY,"           // "ip:ADDRESS" or "account:EMAIL"
              "  tokens DOUBLE PRECISION NOT NULL,"
              "  updated_s DOUBLE PRECISION NOT NULL,"   // Unix seconds
              "  full_at_s DOUBLE PRECISION NOT NULL"    // full again: the row may be deleted
              ");"
              "CREATE INDEX rate_buckets_full_at ON rate_buckets (full_at_s);"
              "CREATE TABLE account_usage ("
              "  email TEXT NOT NULL,"                   // normalised
              "  day TEXT NOT NULL,"                     // UTC, YYYY-MM-DD
              "  requests BIGINT NOT NULL,"
              "  PRIMARY KEY (email, day)"
              ")"},
};

std::string utc_text(std::chrono::system_clock::time_point when, const char* format) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, format, &utc);
  return text;
}

}  // namespace

std::span<const Migration> account_migrations() {
  return kMigrations;
}

Status apply_migrations(MigrationTarget& target) {
  const auto migrations = account_migrations();
  const int latest = migrations.empty() ? 0 : migrations.back().version;
  if (Status created = target.exec(kSchemaVersionTable); !created) return created;
  Result<int64_t> current = target.current_version();
  if (!current) return current.error();
  if (*current > latest) {
    return make_error(ErrorCode::kUnavailable,
                      "account database schema version " + std::to_string(*current) +
                          " is newer than this program's " + std::to_string(latest));
  }
  for (const Migration& migration : migrations) {
    if (migration.version <= *current) continue;
    if (Status applied = target.exec(migration.sql); !applied) return applied;
    if (Status recorded = target.record(migration.version, now_iso8601_utc()); !recorded) {
      return recorded;
    }
  }
  return Ok{};
}

std::string utc_day(std::chrono::system_clock::time_point when) {
  return utc_text(when, "%Y-%m-%d");
}

std::string now_iso8601_utc() {
  return utc_text(std::chrono::system_clock::now(), "%Y-%m-%dT%H:%M:%SZ");
}

}  // namespace bodyshape::storage

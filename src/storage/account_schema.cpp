#include "storage/account_schema.h"

#include <array>

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
};

}  // namespace

std::span<const Migration> account_migrations() {
  return kMigrations;
}

}  // namespace bodyshape::storage

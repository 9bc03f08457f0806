// Accounts and their API keys. Usage:
//
//   Result<std::string> pepper = storage::load_or_create_pepper("var/secret/pepper");
//   auto store = storage::AccountStore::open_sqlite("var/accounts.db", *pepper);
//   // or AccountStore::open_postgres("postgresql://bodyshape@db:5432/bodyshape", *pepper)
//   Result<IssuedKeys> keys = (*store)->create("Ann@Example.com");  // shown to the user once
//   Status ok = (*store)->authenticate("ann@example.com", keys->user_key, keys->api_key);
//   (*store)->revoke("ann@example.com");  // authenticate now fails
//
// Keys are 32 bytes from getrandom(2), hex-encoded: 64 chars of [0-9a-f]. The database keeps only
// a per-account 16-byte random salt and HMAC-SHA256(key = pepper, salt || key) for the UserKey and
// the APIKey separately. A fast keyed hash suffices because the keys are 256-bit random, not
// human-chosen: a slow password hash protects low-entropy secrets from guessing, and 2^256
// guesses are out of reach at any hash speed; the pepper (kept outside the database) additionally
// makes a stolen database alone useless for checking guesses. Replicas sharing one database must
// share the pepper too.
//
// Thread safety: every method may be called from any thread at once. Each store holds one
// database connection under a mutex (authenticate() holds it only for one indexed lookup; hashing
// happens outside it). SQLite: other processes (the `accounts` CLI beside a running server) use
// their own connections; WAL mode lets them read while one writes, and busy_timeout makes a writer
// wait. PostgreSQL: a lost connection answers kUnavailable and the next call connects again.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "storage/counter_store.h"
#include "storage/pepper.h"

namespace bodyshape::storage {

class AccountBackend;  // account_store_backend.h

struct IssuedKeys {
  std::string email;     // normalised
  std::string user_key;  // 64 hex chars
  std::string api_key;   // 64 hex chars
};

struct AccountSummary {
  std::string email;
  std::string created_at;  // ISO 8601 UTC, e.g. "2024-05-01T12:00:00Z"
  bool revoked;
};

struct SqliteOptions {
  // How long a statement waits for another connection's lock before answering kUnavailable.
  int busy_timeout_ms = 5000;
};

struct PostgresOptions {
  // How long connecting may take before answering kUnavailable (libpq's connect_timeout; the URL's
  // own connect_timeout parameter wins).
  int connect_timeout_s = 5;
  // Connections kept at most (opened as needed): how many queries may run at once.
  int sessions = 4;
};

// Trims ASCII whitespace and lowercases; then requires exactly one '@' with text on both sides,
// no whitespace or control characters, and at most 254 characters (RFC 5321's path limit).
// kInvalidArgument otherwise.
Result<std::string> normalize_email(std::string_view email);

class AccountStore {
 public:
  // Opens or creates the SQLite database at db_path (WAL, synchronous=NORMAL, busy_timeout) and
  // applies pending migrations (account_schema.h). The directory must exist. kUnavailable when the
  // file cannot be opened/created or is not a database; kInvalidArgument when the pepper is
  // shorter than kMinPepperChars.
  static Result<std::unique_ptr<AccountStore>> open_sqlite(const std::string& db_path,
                                                           std::string pepper,
                                                           SqliteOptions options = {});
  // Connects to PostgreSQL at a libpq URL (postgresql://user[:password]@host[:port]/db[?...]) and
  // applies pending migrations from the same list, under an advisory lock so that replicas
  // starting at once apply each exactly once. kUnavailable when the server cannot be reached or
  // refuses (the message names the URL without its password); kInvalidArgument for a short pepper.
  static Result<std::unique_ptr<AccountStore>> open_postgres(const std::string& url,
                                                             std::string pepper,
                                                             PostgresOptions options = {});
  ~AccountStore();
  AccountStore(const AccountStore&) = delete;
  AccountStore& operator=(const AccountStore&) = delete;

  // Issues fresh keys for a new account. kInvalidArgument for a malformed e-mail or one that
  // already has an active account; kUnavailable for a database problem.
  Result<IssuedKeys> create(std::string_view email);
  // Every account ever created (revoked ones too), ordered by e-mail then creation time.
  Result<std::vector<AccountSummary>> list();
  // Revokes the active account: its keys stop working at once; the e-mail may be created again.
  // kNotFound when there is no active account for it; kInvalidArgument for a malformed e-mail.
  Status revoke(std::string_view email);
  // Ok, or kUnauthenticated with the message "authentication failed" whatever the reason
  // (unknown or malformed e-mail, revoked, wrong UserKey, wrong APIKey), taking the same work in
  // each case; kUnavailable when the database cannot answer.
  Status authenticate(std::string_view email, std::string_view user_key, std::string_view api_key);
  // Ok when the database answers a query (for /readyz).
  Status ping();
  // The rate-limit and usage counters in the same database (counter_store.h); thread-safe.
  CounterStore& counters();

 private:
  struct Impl;
  explicit AccountStore(std::unique_ptr<Impl> impl);
  // Checks the pepper, then opens the database with `open_backend`.
  static Result<std::unique_ptr<AccountStore>> open_with(
      std::string pepper,
      const std::function<Result<std::unique_ptr<AccountBackend>>()>& open_backend);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bodyshape::storage

// The database half of AccountStore: rows of the accounts table in SQLite
// (account_store_sqlite.cpp) or PostgreSQL (account_store_postgres.cpp). AccountStore
// (account_store.cpp) checks e-mails, makes keys and hashes them; a backend only stores and finds
// rows, so both backends share one implementation of everything secret. Internal to storage/.
// Each backend also keeps the counters' rows (counter_store.h); AccountStore::counters() adds
// what both share (keys cut to kMaxCounterKeyBytes, the cleanup of full buckets).
//
// Every method may be called from any thread at once. Database failures are kUnavailable.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "storage/account_store.h"
#include "storage/counter_store.h"

namespace bodyshape::storage {

struct AccountRow {
  std::string email;  // normalised
  std::string salt;   // hex
  std::string user_key_hash;
  std::string api_key_hash;
  std::string created_at;  // ISO 8601 UTC
};

// How often the buckets that are full again are deleted (every this many takes).
inline constexpr int kTakesBetweenBucketCleanups = 1024;

struct StoredKeys {
  std::string salt;
  std::string user_key_hash;
  std::string api_key_hash;
};

class AccountBackend {
 public:
  virtual ~AccountBackend() = default;
  // false: an active account with this e-mail already exists (nothing inserted).
  virtual Result<bool> insert(const AccountRow& row) = 0;
  // Every row, ordered by e-mail then creation time (byte order, whatever the collation).
  virtual Result<std::vector<AccountSummary>> list() = 0;
  // Stamps revoked_at on the active row; false when there is none.
  virtual Result<bool> revoke(const std::string& email, const std::string& revoked_at) = 0;
  // The active row's salt and hashes, or nullopt when the e-mail has no active account.
  virtual Result<std::optional<StoredKeys>> find_active(const std::string& email) = 0;
  // Ok when the database answers a query.
  virtual Status ping() = 0;

  // The counters, in the same database (CounterStore's meaning; `key` and `email` arrive cut to
  // kMaxCounterKeyBytes). A take is atomic across processes.
  virtual Result<TokenTake> take_token(const std::string& key, const TokenBucketLimit& limit,
                                       double now_unix_s) = 0;
  // Deletes the buckets full again at `now_unix_s` (a full bucket is the same as none).
  virtual Status delete_full_buckets(double now_unix_s) = 0;
  virtual Status add_requests(const std::string& email, std::string_view utc_day,
                              int64_t requests) = 0;
  virtual Result<std::vector<DailyUsage>> usage() = 0;
};

// Both apply pending migrations (account_schema.h) before returning.
Result<std::unique_ptr<AccountBackend>> open_sqlite_backend(const std::string& db_path,
                                                            const SqliteOptions& options);
Result<std::unique_ptr<AccountBackend>> open_postgres_backend(const std::string& url,
                                                              const PostgresOptions& options);

}  // namespace bodyshape::storage

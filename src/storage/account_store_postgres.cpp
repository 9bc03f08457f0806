// The PostgreSQL backend of AccountStore (libpqxx): one connection under a mutex, prepared
// statements, and a reconnect on the call after the connection was lost.
#include <array>
#include <mutex>
#include <utility>

#include <pqxx/connection>
#include <pqxx/except>
#include <pqxx/nontransaction>
#include <pqxx/result>
#include <pqxx/transaction>

#include "storage/account_schema.h"
#include "storage/account_store_backend.h"

namespace bodyshape::storage {
namespace {

struct PreparedSql {
  const char* name;
  const char* sql;
};

// ORDER BY in byte order ("C"), as SQLite sorts, whatever the database's collation.
constexpr std::array kStatements = {
    PreparedSql{"insert",
                "INSERT INTO accounts (email, salt, user_key_hash, api_key_hash, created_at)"
                " VALUES ($1, $2, $3, $4, $5)"},
    PreparedSql{"list",
                "SELECT email, created_at, revoked_at IS NOT NULL FROM accounts"
                " ORDER BY email COLLATE \"C\", created_at COLLATE \"C\""},
    PreparedSql{"revoke",
                "UPDATE accounts SET revoked_at = $2 WHERE email = $1 AND revoked_at IS NULL"},
    PreparedSql{"find_active",
                "SELECT salt, user_key_hash, api_key_hash FROM accounts"
                " WHERE email = $1 AND revoked_at IS NULL"},
    PreparedSql{"ping", "SELECT COUNT(*) FROM schema_version"},
    // A fresh key gets the caller's full bucket; an existing row is locked until the transaction
    // ends (the no-op update), and RETURNING gives its latest committed state either way.
    PreparedSql{"lock_bucket",
                "INSERT INTO rate_buckets AS bucket (bucket_key, tokens, updated_s, full_at_s)"
                " VALUES ($1, $2, $3, $3) ON CONFLICT (bucket_key)"
                " DO UPDATE SET bucket_key = bucket.bucket_key RETURNING tokens, updated_s"},
    PreparedSql{"store_bucket",
                "UPDATE rate_buckets SET tokens = $2, updated_s = $3, full_at_s = $4"
                " WHERE bucket_key = $1"},
    PreparedSql{"delete_full_buckets", "DELETE FROM rate_buckets WHERE full_at_s <= $1"},
    PreparedSql{"add_requests",
                "INSERT INTO account_usage (email, day, requests) VALUES ($1, $2, $3)"
                " ON CONFLICT (email, day)"
                " DO UPDATE SET requests = account_usage.requests + excluded.requests"},
    PreparedSql{"usage",
                "SELECT email, day, requests FROM account_usage"
                " ORDER BY day COLLATE \"C\", email COLLATE \"C\""},
};

// Any 64-bit number unique to this program: serialises migrations between processes.
constexpr int64_t kMigrationLockId = 0x626f647973686170;  // "bodyshap"

// The URL as it may appear in messages and logs: without the password (user:password@host) and
// without the query, which may also carry one (?password=...).
std::string redacted(const std::string& url) {
  std::string shown = url.substr(0, url.find('?'));
  const std::size_t authority = shown.find("://");
  if (authority == std::string::npos) return "the PostgreSQL database";
  const std::size_t at = shown.find('@', authority + 3);
  if (at == std::string::npos) return shown;
  const std::size_t colon = shown.find(':', authority + 3);
  if (colon != std::string::npos && colon < at) shown.replace(colon + 1, at - colon - 1, "***");
  return shown;
}

// libpq's connect_timeout, unless the URL sets its own.
std::string with_connect_timeout(const std::string& url, int connect_timeout_s) {
  if (url.find("connect_timeout=") != std::string::npos) return url;
  return url + (url.find('?') == std::string::npos ? '?' : '&') +
         "connect_timeout=" + std::to_string(connect_timeout_s);
}

Error unavailable(const std::string& shown_url, const std::exception& failure) {
  std::string message = failure.what();
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return make_error(ErrorCode::kUnavailable, shown_url + ": " + message);
}

// Runs inside a transaction that holds kMigrationLockId; libpqxx's exceptions go to the caller.
class PostgresMigrationTarget : public MigrationTarget {
 public:
  explicit PostgresMigrationTarget(pqxx::work& transaction) : transaction_(transaction) {}

  Status exec(std::string_view sql) override {
    transaction_.exec(std::string(sql));
    return Ok{};
  }

  Result<int64_t> current_version() override {
    return transaction_.exec1("SELECT COALESCE(MAX(version), 0) FROM schema_version")[0]
        .as<int64_t>();
  }

  Status record(int version, const std::string& applied_at) override {
    transaction_.exec_params0("INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)",
                              version, applied_at);
    return Ok{};
  }

 private:
  pqxx::work& transaction_;
};

std::unique_ptr<pqxx::connection> connect(const std::string& connection_url) {
  auto connection = std::make_unique<pqxx::connection>(connection_url);
  for (const PreparedSql& statement : kStatements) {
    connection->prepare(statement.name, statement.sql);
  }
  return connection;
}

class PostgresBackend : public AccountBackend {
 public:
  PostgresBackend(std::string connection_url, std::string shown_url,
                  std::unique_ptr<pqxx::connection> connection)
      : connection_url_(std::move(connection_url)),
        shown_url_(std::move(shown_url)),
        connection_(std::move(connection)) {}

  Result<bool> insert(const AccountRow& row) override {
    return with_connection<bool>([&](pqxx::connection& connection) -> Result<bool> {
      pqxx::nontransaction statement(connection);
      try {
        statement.exec_prepared0("insert", row.email, row.salt, row.user_key_hash, row.api_key_hash,
                                 row.created_at);
      } catch (const pqxx::unique_violation&) {
        return false;  // accounts_active_email: an active account has this e-mail
      }
      return true;
    });
  }

  Result<std::vector<AccountSummary>> list() override {
    return with_connection<std::vector<AccountSummary>>([&](pqxx::connection& connection)
                                                            -> Result<std::vector<AccountSummary>> {
      pqxx::nontransaction statement(connection);
      const pqxx::result rows = statement.exec_prepared("list");
      std::vector<AccountSummary> accounts;
      accounts.reserve(rows.size());
      for (const pqxx::row& row : rows) {
        accounts.push_back({row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<bool>()});
      }
      return accounts;
    });
  }

  Result<bool> revoke(const std::string& email, const std::string& revoked_at) override {
    return with_connection<bool>([&](pqxx::connection& connection) -> Result<bool> {
      pqxx::nontransaction statement(connection);
      return statement.exec_prepared("revoke", email, revoked_at).affected_rows() != 0;
    });
  }

  Result<std::optional<StoredKeys>> find_active(const std::string& email) override {
    return with_connection<std::optional<StoredKeys>>(
        [&](pqxx::connection& connection) -> Result<std::optional<StoredKeys>> {
          pqxx::nontransaction statement(connection);
          const pqxx::result rows = statement.exec_prepared("find_active", email);
          if (rows.empty()) return std::optional<StoredKeys>();
          return std::optional<StoredKeys>(StoredKeys{rows[0][0].as<std::string>(),
                                                      rows[0][1].as<std::string>(),
                                                      rows[0][2].as<std::string>()});
        });
  }

  Status ping() override {
    return with_connection<Ok>([&](pqxx::connection& connection) -> Status {
      pqxx::nontransaction statement(connection);
      statement.exec_prepared1("ping");
      return Ok{};
    });
  }

  Result<TokenTake> take_token(const std::string& key, const TokenBucketLimit& limit,
                               double now_unix_s) override {
    return with_connection<TokenTake>([&](pqxx::connection& connection) -> Result<TokenTake> {
      pqxx::work transaction(connection);
      const pqxx::row row = transaction.exec_prepared1("lock_bucket", key, limit.burst, now_unix_s);
      const TokenTake taken = bodyshape::take_token(
          TokenBucketState{row[0].as<double>(), row[1].as<double>()}, limit, now_unix_s);
      transaction.exec_prepared0("store_bucket", key, taken.after.tokens, taken.after.updated_s,
                                 taken.full_at_s);
      transaction.commit();
      return taken;
    });
  }

  Status delete_full_buckets(double now_unix_s) override {
    return with_connection<Ok>([&](pqxx::connection& connection) -> Status {
      pqxx::nontransaction statement(connection);
      statement.exec_prepared0("delete_full_buckets", now_unix_s);
      return Ok{};
    });
  }

  Status add_requests(const std::string& email, std::string_view utc_day,
                      int64_t requests) override {
    return with_connection<Ok>([&](pqxx::connection& connection) -> Status {
      pqxx::nontransaction statement(connection);
      statement.exec_prepared0("add_requests", email, std::string(utc_day), requests);
      return Ok{};
    });
  }

  Result<std::vector<DailyUsage>> usage() override {
    return with_connection<std::vector<DailyUsage>>(
        [&](pqxx::connection& connection) -> Result<std::vector<DailyUsage>> {
          pqxx::nontransaction statement(connection);
          const pqxx::result rows = statement.exec_prepared("usage");
          std::vector<DailyUsage> usage;
          usage.reserve(rows.size());
          for (const pqxx::row& row : rows) {
            usage.push_back(
                {row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<int64_t>()});
          }
          return usage;
        });
  }

 private:
  // Runs `query` on the connection, connecting first if the last one was lost. Every libpqxx
  // failure becomes kUnavailable; a connection that is no longer open is dropped, so the next
  // call connects afresh (libpq does not reconnect by itself).
  template <class T, class Query>
  Result<T> with_connection(Query&& query) {
    const std::lock_guard lock(mutex_);
    try {
      if (connection_ == nullptr) connection_ = connect(connection_url_);
      return query(*connection_);
    } catch (const pqxx::broken_connection& failure) {
      connection_.reset();
      return unavailable(shown_url_, failure);
    } catch (const std::exception& failure) {
      if (connection_ != nullptr && !connection_->is_open()) connection_.reset();
      return unavailable(shown_url_, failure);
    }
  }

  const std::string connection_url_;  // may hold a password: never in messages
  const std::string shown_url_;
  std::mutex mutex_;  // guards connection_
  std::unique_ptr<pqxx::connection> connection_;  // null after a loss, until the next call
};

}  // namespace

Result<std::unique_ptr<AccountBackend>> open_postgres_backend(const std::string& url,
                                                              const PostgresOptions& options) {
  const std::string connection_url = with_connect_timeout(url, options.connect_timeout_s);
  const std::string shown_url = redacted(url);
  try {
    std::unique_ptr<pqxx::connection> connection = connect(connection_url);
    pqxx::work transaction(*connection);
    transaction.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLockId) + ")");
    PostgresMigrationTarget target(transaction);
    if (Status migrated = apply_migrations(target); !migrated) {
      return make_error(migrated.error().code, shown_url + ": " + migrated.error().message);
    }
    transaction.commit();
    return std::unique_ptr<AccountBackend>(
        new PostgresBackend(connection_url, shown_url, std::move(connection)));
  } catch (const std::exception& failure) {
    return unavailable(shown_url, failure);
  }
}

}  // namespace bodyshape::storage

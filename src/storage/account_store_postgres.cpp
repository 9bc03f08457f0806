// The PostgreSQL backend of AccountStore (libpqxx): a pool of sessions (one query at a time on
// each), prepared statements, and a reconnect inside the call that finds a session lost.
#include <algorithm>
#include <array>
#include <atomic>
#include <deque>
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

// A pool of `sessions` connections, opened as they are first needed: requests in flight at once
// (the service's HTTP threads) each get a session instead of queueing behind one.
class PostgresBackend : public AccountBackend {
 public:
  PostgresBackend(std::string connection_url, std::string shown_url,
                  std::unique_ptr<pqxx::connection> first, int sessions)
      : connection_url_(std::move(connection_url)),
        shown_url_(std::move(shown_url)),
        sessions_(static_cast<size_t>(std::max(1, sessions))) {
    sessions_.front().connection = std::move(first);
  }

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
  struct Session {
    std::mutex mutex;                                // held while a query runs on it
    std::unique_ptr<pqxx::connection> connection;  // null until first used, and after a loss
  };

  // A free session if there is one (round robin from a moving start), else the next one's turn.
  std::unique_lock<std::mutex> acquire(Session*& session) {
    const size_t count = sessions_.size();
    const size_t start = next_session_.fetch_add(1, std::memory_order_relaxed) % count;
    for (size_t i = 0; i < count; ++i) {
      Session& candidate = sessions_[(start + i) % count];
      std::unique_lock lock(candidate.mutex, std::try_to_lock);
      if (lock.owns_lock()) {
        session = &candidate;
        return lock;
      }
    }
    session = &sessions_[start];
    return std::unique_lock(session->mutex);
  }

  // Runs `query` on a session, connecting first where it has none. A session that was open and
  // is found lost (a database restart, a failover, an idle timeout) is connected again and the
  // query runs once more, so the client sees nothing; a failure on a fresh connection is the
  // database's answer. Every libpqxx failure becomes kUnavailable; a connection that is no
  // longer open is dropped (libpq does not reconnect by itself).
  template <class T, class Query>
  Result<T> with_connection(Query&& query) {
    Session* session = nullptr;
    const std::unique_lock lock = acquire(session);
    std::unique_ptr<pqxx::connection>& connection = session->connection;
    for (bool retry = connection != nullptr;; retry = false) {
      try {
        if (connection == nullptr) connection = connect(connection_url_);
        return query(*connection);
      } catch (const pqxx::broken_connection& failure) {
        connection.reset();
        if (!retry) return unavailable(shown_url_, failure);
      } catch (const std::exception& failure) {
        if (connection != nullptr && !connection->is_open()) connection.reset();
        return unavailable(shown_url_, failure);
      }
    }
  }

  const std::string connection_url_;  // may hold a password: never in messages
  const std::string shown_url_;
  std::deque<Session> sessions_;  // fixed size; a deque because a Session cannot move
  std::atomic<size_t> next_session_{0};
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
    return std::unique_ptr<AccountBackend>(new PostgresBackend(
        connection_url, shown_url, std::move(connection), options.sessions));
  } catch (const std::exception& failure) {
    return unavailable(shown_url, failure);
  }
}

}  // namespace bodyshape::storage

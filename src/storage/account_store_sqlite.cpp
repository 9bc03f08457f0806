// The SQLite backend of AccountStore: one connection, prepared statements, a mutex.
#include <mutex>
#include <optional>
#include <vector>

#include "storage/account_schema.h"
#include "storage/account_store_backend.h"
#include "storage/sqlite_db.h"

namespace bodyshape::storage {
namespace {

constexpr std::string_view kInsertSql =
    "INSERT INTO accounts (email, salt, user_key_hash, api_key_hash, created_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr std::string_view kListSql =
    "SELECT email, created_at, revoked_at IS NOT NULL FROM accounts ORDER BY email, created_at";
constexpr std::string_view kRevokeSql =
    "UPDATE accounts SET revoked_at = ?2 WHERE email = ?1 AND revoked_at IS NULL";
constexpr std::string_view kFindActiveSql =
    "SELECT salt, user_key_hash, api_key_hash FROM accounts"
    " WHERE email = ?1 AND revoked_at IS NULL";
constexpr std::string_view kPingSql = "SELECT COUNT(*) FROM schema_version";
constexpr std::string_view kSelectBucketSql =
    "SELECT tokens, updated_s FROM rate_buckets WHERE bucket_key = ?1";
constexpr std::string_view kStoreBucketSql =
    "INSERT INTO rate_buckets (bucket_key, tokens, updated_s, full_at_s) VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT (bucket_key) DO UPDATE SET tokens = excluded.tokens,"
    " updated_s = excluded.updated_s, full_at_s = excluded.full_at_s";
constexpr std::string_view kDeleteFullBucketsSql = "DELETE FROM rate_buckets WHERE full_at_s <= ?1";
constexpr std::string_view kAddRequestsSql =
    "INSERT INTO account_usage (email, day, requests) VALUES (?1, ?2, ?3)"
    " ON CONFLICT (email, day) DO UPDATE SET requests = account_usage.requests + excluded.requests";
constexpr std::string_view kUsageSql =
    "SELECT email, day, requests FROM account_usage ORDER BY day, email";

struct CounterStatements {
  sqlite::Statement select_bucket;
  sqlite::Statement store_bucket;
  sqlite::Statement delete_full_buckets;
  sqlite::Statement add_requests;
  sqlite::Statement usage;
};

Result<CounterStatements> prepare_counter_statements(sqlite::Connection& db) {
  std::vector<sqlite::Statement> prepared;
  for (const std::string_view sql :
       {kSelectBucketSql, kStoreBucketSql, kDeleteFullBucketsSql, kAddRequestsSql, kUsageSql}) {
    Result<sqlite::Statement> statement = db.prepare(sql);
    if (!statement) return statement.error();
    prepared.push_back(std::move(statement).value());
  }
  return CounterStatements{std::move(prepared[0]), std::move(prepared[1]), std::move(prepared[2]),
                           std::move(prepared[3]), std::move(prepared[4])};
}

class SqliteMigrationTarget : public MigrationTarget {
 public:
  explicit SqliteMigrationTarget(sqlite::Connection& db) : db_(db) {}

  Status exec(std::string_view sql) override { return db_.exec(std::string(sql)); }

  Result<int64_t> current_version() override {
    Result<sqlite::Statement> query =
        db_.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version");
    if (!query) return query.error();
    Result<bool> row = query->step();
    if (!row) return row.error();
    return query->column_int(0);
  }

  Status record(int version, const std::string& applied_at) override {
    Result<sqlite::Statement> insert =
        db_.prepare("INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)");
    if (!insert) return insert.error();
    if (Status bound = insert->bind_text(1, std::to_string(version)); !bound) return bound;
    if (Status bound = insert->bind_text(2, applied_at); !bound) return bound;
    if (Result<bool> done = insert->step(); !done) return done.error();
    return Ok{};
  }

 private:
  sqlite::Connection& db_;
};

Status migrate(sqlite::Connection& db) {
  // IMMEDIATE takes the write lock first, so two processes opening a new database at once apply
  // each migration exactly once (the second waits, then finds them applied).
  if (Status begun = db.exec("BEGIN IMMEDIATE"); !begun) return begun;
  SqliteMigrationTarget target(db);
  Status migrated = apply_migrations(target);
  if (!migrated) {
    (void)db.exec("ROLLBACK");
    return migrated;
  }
  return db.exec("COMMIT");
}

Status configure(sqlite::Connection& db) {
  Result<sqlite::Statement> wal = db.prepare("PRAGMA journal_mode=WAL");
  if (!wal) return wal.error();
  Result<bool> row = wal->step();
  if (!row) return row.error();
  const std::string mode = *row ? wal->column_text(0) : "";
  if (mode != "wal" && mode != "memory") {
    return make_error(ErrorCode::kUnavailable,
                      "the account database cannot use WAL mode (journal mode: " + mode + ")");
  }
  // NORMAL is durable across process crashes in WAL mode; only a power loss may drop the last
  // commits, which for account creation means re-issuing keys.
  return db.exec("PRAGMA synchronous=NORMAL");
}

// Every row a (reset-on-exit) query steps through, each made by make_row(statement).
template <typename Row, typename MakeRow>
Result<std::vector<Row>> collect_rows(sqlite::Statement& statement, MakeRow make_row) {
  const sqlite::ResetOnExit reset(statement);
  std::vector<Row> rows;
  while (true) {
    Result<bool> row = statement.step();
    if (!row) return row.error();
    if (!*row) break;
    rows.push_back(make_row(statement));
  }
  return rows;
}

class SqliteBackend : public AccountBackend {
 public:
  SqliteBackend(sqlite::Connection db, sqlite::Statement insert, sqlite::Statement list,
                sqlite::Statement revoke, sqlite::Statement find_active, sqlite::Statement ping,
                CounterStatements counters)
      : db_(std::move(db)),
        insert_(std::move(insert)),
        list_(std::move(list)),
        revoke_(std::move(revoke)),
        find_active_(std::move(find_active)),
        ping_(std::move(ping)),
        counters_(std::move(counters)) {}

  Result<bool> insert(const AccountRow& row) override {
    const std::lock_guard lock(mutex_);
    const sqlite::ResetOnExit reset(insert_);
    for (const auto& [index, text] : {std::pair<int, std::string_view>{1, row.email},
                                      {2, row.salt},
                                      {3, row.user_key_hash},
                                      {4, row.api_key_hash},
                                      {5, row.created_at}}) {
      if (Status bound = insert_.bind_text(index, text); !bound) return bound.error();
    }
    int code = SQLITE_OK;
    if (Result<bool> done = insert_.step(&code); !done) {
      if ((code & 0xff) == SQLITE_CONSTRAINT) return false;
      return done.error();
    }
    return true;
  }

  Result<std::vector<AccountSummary>> list() override {
    const std::lock_guard lock(mutex_);
    return collect_rows<AccountSummary>(list_, [](sqlite::Statement& row) {
      return AccountSummary{row.column_text(0), row.column_text(1), row.column_int(2) != 0};
    });
  }

  Result<bool> revoke(const std::string& email, const std::string& revoked_at) override {
    const std::lock_guard lock(mutex_);
    const sqlite::ResetOnExit reset(revoke_);
    if (Status bound = revoke_.bind_text(1, email); !bound) return bound.error();
    if (Status bound = revoke_.bind_text(2, revoked_at); !bound) return bound.error();
    if (Result<bool> done = revoke_.step(); !done) return done.error();
    return db_.changes() != 0;
  }

  Result<std::optional<StoredKeys>> find_active(const std::string& email) override {
    const std::lock_guard lock(mutex_);
    const sqlite::ResetOnExit reset(find_active_);
    if (Status bound = find_active_.bind_text(1, email); !bound) return bound.error();
    Result<bool> row = find_active_.step();
    if (!row) return row.error();
    if (!*row) return std::optional<StoredKeys>();
    return std::optional<StoredKeys>(StoredKeys{
        find_active_.column_text(0), find_active_.column_text(1), find_active_.column_text(2)});
  }

  Status ping() override {
    const std::lock_guard lock(mutex_);
    const sqlite::ResetOnExit reset(ping_);
    if (Result<bool> row = ping_.step(); !row) return row.error();
    return Ok{};
  }

  // BEGIN IMMEDIATE takes the database's write lock before reading the bucket, so no other
  // process's take can interleave between the read and the write.
  Result<TokenTake> take_token(const std::string& key, const TokenBucketLimit& limit,
                               double now_unix_s) override {
    const std::lock_guard lock(mutex_);
    if (Status begun = db_.exec("BEGIN IMMEDIATE"); !begun) return begun.error();
    Result<TokenTake> take = take_in_transaction(key, limit, now_unix_s);
    if (!take) {
      (void)db_.exec("ROLLBACK");
      return take;
    }
    if (Status committed = db_.exec("COMMIT"); !committed) {
      (void)db_.exec("ROLLBACK");
      return committed.error();
    }
    return take;
  }

  Status delete_full_buckets(double now_unix_s) override {
    const std::lock_guard lock(mutex_);
    sqlite::Statement& remove = counters_.delete_full_buckets;
    const sqlite::ResetOnExit reset(remove);
    if (Status bound = remove.bind_double(1, now_unix_s); !bound) return bound;
    if (Result<bool> done = remove.step(); !done) return done.error();
    return Ok{};
  }

  Status add_requests(const std::string& email, std::string_view utc_day,
                      int64_t requests) override {
    const std::lock_guard lock(mutex_);
    sqlite::Statement& add = counters_.add_requests;
    const sqlite::ResetOnExit reset(add);
    for (const Status& bound :
         {add.bind_text(1, email), add.bind_text(2, utc_day), add.bind_int(3, requests)}) {
      if (!bound) return bound;
    }
    if (Result<bool> done = add.step(); !done) return done.error();
    return Ok{};
  }

  Result<std::vector<DailyUsage>> usage() override {
    const std::lock_guard lock(mutex_);
    return collect_rows<DailyUsage>(counters_.usage, [](sqlite::Statement& row) {
      return DailyUsage{row.column_text(0), row.column_text(1), row.column_int(2)};
    });
  }

 private:
  Result<TokenTake> take_in_transaction(const std::string& bucket_key,
                                        const TokenBucketLimit& limit, double now_unix_s) {
    std::optional<TokenBucketState> before;
    {
      sqlite::Statement& select = counters_.select_bucket;
      const sqlite::ResetOnExit reset(select);
      if (Status bound = select.bind_text(1, bucket_key); !bound) return bound.error();
      Result<bool> row = select.step();
      if (!row) return row.error();
      if (*row) before = TokenBucketState{select.column_double(0), select.column_double(1)};
    }
    const TokenTake take = bodyshape::take_token(before, limit, now_unix_s);
    sqlite::Statement& store = counters_.store_bucket;
    const sqlite::ResetOnExit reset(store);
    for (const Status& bound :
         {store.bind_text(1, bucket_key), store.bind_double(2, take.after.tokens),
          store.bind_double(3, take.after.updated_s), store.bind_double(4, take.full_at_s)}) {
      if (!bound) return bound.error();
    }
    if (Result<bool> done = store.step(); !done) return done.error();
    return take;
  }

  sqlite::Connection db_;
  sqlite::Statement insert_;
  sqlite::Statement list_;
  sqlite::Statement revoke_;
  sqlite::Statement find_active_;
  sqlite::Statement ping_;
  CounterStatements counters_;
  std::mutex mutex_;  // guards db_ and every statement
};

}  // namespace

Result<std::unique_ptr<AccountBackend>> open_sqlite_backend(const std::string& db_path,
                                                            const SqliteOptions& options) {
  Result<sqlite::Connection> db = sqlite::Connection::open(db_path, options.busy_timeout_ms);
  if (!db) return db.error();
  if (Status configured = configure(*db); !configured) {
    return make_error(configured.error().code, db_path + ": " + configured.error().message);
  }
  if (Status migrated = migrate(*db); !migrated) {
    return make_error(migrated.error().code, db_path + ": " + migrated.error().message);
  }
  Result<sqlite::Statement> insert = db->prepare(kInsertSql);
  if (!insert) return insert.error();
  Result<sqlite::Statement> list = db->prepare(kListSql);
  if (!list) return list.error();
  Result<sqlite::Statement> revoke = db->prepare(kRevokeSql);
  if (!revoke) return revoke.error();
  Result<sqlite::Statement> find_active = db->prepare(kFindActiveSql);
  if (!find_active) return find_active.error();
  Result<sqlite::Statement> ping = db->prepare(kPingSql);
  if (!ping) return ping.error();
  Result<CounterStatements> counters = prepare_counter_statements(*db);
  if (!counters) return counters.error();
  return std::unique_ptr<AccountBackend>(new SqliteBackend(
      std::move(*db), std::move(*insert), std::move(*list), std::move(*revoke),
      std::move(*find_active), std::move(*ping), std::move(*counters)));
}

}  // namespace bodyshape::storage

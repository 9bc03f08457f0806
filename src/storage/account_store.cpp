#include "storage/account_store.h"

#include <chrono>
#include <ctime>
#include <mutex>

#include "storage/account_schema.h"
#include "storage/secrets.h"
#include "storage/sqlite_db.h"

namespace bodyshape::storage {
namespace {

constexpr std::size_t kKeyBytes = 32;  // 256 bits, over the 128 required
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kMaxEmailChars = 254;
constexpr const char* kAuthenticationFailed = "authentication failed";

// Hashed in place of a missing account's, so an unknown e-mail costs the same two HMACs and two
// comparisons as a known one and response time does not reveal which e-mails exist.
constexpr std::string_view kDummySalt = "00000000000000000000000000000000";
constexpr std::string_view kDummyHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

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

std::string now_iso8601_utc() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

Status apply_migrations(sqlite::Connection& db) {
  const auto migrations = account_migrations();
  const int latest = migrations.empty() ? 0 : migrations.back().version;
  // IMMEDIATE takes the write lock first, so two processes opening a new database at once apply
  // each migration exactly once (the second waits, then finds them applied).
  if (Status begun = db.exec("BEGIN IMMEDIATE"); !begun) return begun;
  auto migrate = [&]() -> Status {
    if (Status created = db.exec(std::string(kSchemaVersionTable)); !created) return created;
    Result<sqlite::Statement> current_query =
        db.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version");
    if (!current_query) return current_query.error();
    Result<bool> row = current_query->step();
    if (!row) return row.error();
    const int64_t current = current_query->column_int(0);
    if (current > latest) {
      return make_error(ErrorCode::kUnavailable,
                        "account database schema version " + std::to_string(current) +
                            " is newer than this program's " + std::to_string(latest));
    }
    Result<sqlite::Statement> record =
        db.prepare("INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)");
    if (!record) return record.error();
    for (const Migration& migration : migrations) {
      if (migration.version <= current) continue;
      if (Status applied = db.exec(std::string(migration.sql)); !applied) return applied;
      const sqlite::ResetOnExit reset(*record);
      if (Status bound = record->bind_text(1, std::to_string(migration.version)); !bound) {
        return bound;
      }
      if (Status bound = record->bind_text(2, now_iso8601_utc()); !bound) return bound;
      if (Result<bool> done = record->step(); !done) return done.error();
    }
    return Ok{};
  };
  Status migrated = migrate();
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

}  // namespace

Result<std::string> normalize_email(std::string_view email) {
  while (!email.empty() && is_space(email.front())) email.remove_prefix(1);
  while (!email.empty() && is_space(email.back())) email.remove_suffix(1);
  std::string normalized;
  normalized.reserve(email.size());
  for (const char c : email) {
    normalized.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  const std::size_t at = normalized.find('@');
  const bool one_at = at != std::string::npos && normalized.find('@', at + 1) == std::string::npos;
  bool printable = true;
  for (const char c : normalized) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) printable = false;
  }
  if (normalized.empty() || normalized.size() > kMaxEmailChars || !one_at || at == 0 ||
      at + 1 == normalized.size() || !printable) {
    return make_error(ErrorCode::kInvalidArgument,
                      "malformed e-mail address (want name@domain, no spaces, at most 254 chars)");
  }
  return normalized;
}

struct AccountStore::Impl {
  std::string pepper;
  sqlite::Connection db;
  sqlite::Statement insert;
  sqlite::Statement list;
  sqlite::Statement revoke;
  sqlite::Statement find_active;
  sqlite::Statement ping;
  std::mutex mutex{};  // guards db and every statement
};

AccountStore::AccountStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AccountStore::~AccountStore() = default;

Result<std::unique_ptr<AccountStore>> AccountStore::open_sqlite(const std::string& db_path,
                                                                std::string pepper,
                                                                SqliteOptions options) {
  if (pepper.size() < kMinPepperChars) {
    return make_error(
        ErrorCode::kInvalidArgument,
        "the pepper must be at least " + std::to_string(kMinPepperChars) + " characters");
  }
  Result<sqlite::Connection> db = sqlite::Connection::open(db_path, options.busy_timeout_ms);
  if (!db) return db.error();
  if (Status configured = configure(*db); !configured) {
    return make_error(configured.error().code, db_path + ": " + configured.error().message);
  }
  if (Status migrated = apply_migrations(*db); !migrated) {
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
  auto impl = std::unique_ptr<Impl>(new Impl{std::move(pepper), std::move(*db), std::move(*insert),
                                             std::move(*list), std::move(*revoke),
                                             std::move(*find_active), std::move(*ping)});
  return std::unique_ptr<AccountStore>(new AccountStore(std::move(impl)));
}

Result<IssuedKeys> AccountStore::create(std::string_view email) {
  Result<std::string> normalized = normalize_email(email);
  if (!normalized) return normalized.error();
  Result<std::string> user_key = random_hex(kKeyBytes);
  if (!user_key) return user_key.error();
  Result<std::string> api_key = random_hex(kKeyBytes);
  if (!api_key) return api_key.error();
  Result<std::string> salt = random_hex(kSaltBytes);
  if (!salt) return salt.error();
  const std::string user_key_hash = hmac_sha256_hex(impl_->pepper, *salt, *user_key);
  const std::string api_key_hash = hmac_sha256_hex(impl_->pepper, *salt, *api_key);

  const std::lock_guard lock(impl_->mutex);
  sqlite::Statement& insert = impl_->insert;
  const sqlite::ResetOnExit reset(insert);
  for (const auto& [index, text] : {std::pair<int, std::string_view>{1, *normalized},
                                    {2, *salt},
                                    {3, user_key_hash},
                                    {4, api_key_hash}}) {
    if (Status bound = insert.bind_text(index, text); !bound) return bound.error();
  }
  if (Status bound = insert.bind_text(5, now_iso8601_utc()); !bound) return bound.error();
  int code = SQLITE_OK;
  if (Result<bool> done = insert.step(&code); !done) {
    if ((code & 0xff) == SQLITE_CONSTRAINT) {
      return make_error(ErrorCode::kInvalidArgument,
                        "an active account already exists for " + *normalized);
    }
    return done.error();
  }
  return IssuedKeys{*normalized, std::move(*user_key), std::move(*api_key)};
}

Result<std::vector<AccountSummary>> AccountStore::list() {
  const std::lock_guard lock(impl_->mutex);
  sqlite::Statement& list = impl_->list;
  const sqlite::ResetOnExit reset(list);
  std::vector<AccountSummary> accounts;
  while (true) {
    Result<bool> row = list.step();
    if (!row) return row.error();
    if (!*row) break;
    accounts.push_back({list.column_text(0), list.column_text(1), list.column_int(2) != 0});
  }
  return accounts;
}

Status AccountStore::revoke(std::string_view email) {
  Result<std::string> normalized = normalize_email(email);
  if (!normalized) return normalized.error();
  const std::lock_guard lock(impl_->mutex);
  sqlite::Statement& revoke = impl_->revoke;
  const sqlite::ResetOnExit reset(revoke);
  if (Status bound = revoke.bind_text(1, *normalized); !bound) return bound;
  if (Status bound = revoke.bind_text(2, now_iso8601_utc()); !bound) return bound;
  if (Result<bool> done = revoke.step(); !done) return done.error();
  if (impl_->db.changes() == 0) {
    return make_error(ErrorCode::kNotFound, "no active account for " + *normalized);
  }
  return Ok{};
}

Status AccountStore::authenticate(std::string_view email, std::string_view user_key,
                                  std::string_view api_key) {
  std::string salt(kDummySalt);
  std::string user_key_hash(kDummyHash);
  std::string api_key_hash(kDummyHash);
  bool found = false;
  if (Result<std::string> normalized = normalize_email(email)) {
    const std::lock_guard lock(impl_->mutex);
    sqlite::Statement& find = impl_->find_active;
    const sqlite::ResetOnExit reset(find);
    if (Status bound = find.bind_text(1, *normalized); !bound) return bound;
    Result<bool> row = find.step();
    if (!row) return row.error();
    if (*row) {
      found = true;
      salt = find.column_text(0);
      user_key_hash = find.column_text(1);
      api_key_hash = find.column_text(2);
    }
  }
  // Both keys are always hashed and compared, so the time does not tell which one was wrong.
  const bool user_key_matches =
      constant_time_equal(hmac_sha256_hex(impl_->pepper, salt, user_key), user_key_hash);
  const bool api_key_matches =
      constant_time_equal(hmac_sha256_hex(impl_->pepper, salt, api_key), api_key_hash);
  if (found && user_key_matches && api_key_matches) return Ok{};
  return make_error(ErrorCode::kUnauthenticated, kAuthenticationFailed);
}

Status AccountStore::ping() {
  const std::lock_guard lock(impl_->mutex);
  sqlite::Statement& ping = impl_->ping;
  const sqlite::ResetOnExit reset(ping);
  if (Result<bool> row = ping.step(); !row) return row.error();
  return Ok{};
}

}  // namespace bodyshape::storage

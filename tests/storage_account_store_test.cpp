// The account store: key issuance, hashing at rest, authentication failures that all look alike,
// revocation, the pepper file, and database failures that answer errors instead of crashing.
// Behaviour that does not depend on the database runs against both backends (AccountStoreTest,
// instantiated as Sqlite/... and Postgres/...); PostgreSQL's cases skip when it is not installed.
#include "storage/account_store.h"
#include "storage/account_schema.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "support/database.h"
#include "support/postgres.h"
#include "support/server_process.h"
#include "support/testdata.h"

namespace bodyshape::storage {
namespace {

using testing::TempDir;

const std::string kPepper(64, 'p');

void expect_authentication_failed(const Status& status, const std::string& why) {
  ASSERT_FALSE(status) << why;
  EXPECT_EQ(status.error().code, ErrorCode::kUnauthenticated) << why;
  EXPECT_EQ(status.error().message, "authentication failed") << why;
}

void expect_unavailable(const Status& status, const std::string& why) {
  ASSERT_FALSE(status) << why;
  EXPECT_EQ(status.error().code, ErrorCode::kUnavailable) << why << ": " << status.error().message;
}

enum class Backend { kSqlite, kPostgres };

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

// A fresh database of one backend (a file in a temporary directory, or a new database on this
// process's PostgreSQL server), a store opened on it, and SQL behind the store's back.
class AccountDatabaseTest : public ::testing::Test {
 protected:
  virtual Backend backend() const = 0;

  void SetUp() override {
    if (backend() == Backend::kPostgres) {
      std::string why_not;
      postgres_ = testing::shared_postgres(&why_not);
      if (postgres_ == nullptr) GTEST_SKIP() << why_not;
    }
    location_ = fresh_location();
    store_ = open_store();
    ASSERT_NE(store_, nullptr);
  }

  // A path or URL where no database has been opened yet.
  std::string fresh_location() {
    if (backend() == Backend::kPostgres) return postgres_->create_database();
    return dir_.path() + "/accounts" + std::to_string(++locations_) + ".db";
  }

  Result<std::unique_ptr<AccountStore>> open(const std::string& location,
                                             const std::string& pepper = kPepper) {
    return backend() == Backend::kPostgres ? AccountStore::open_postgres(location, pepper)
                                           : AccountStore::open_sqlite(location, pepper);
  }

  std::unique_ptr<AccountStore> open_store(const std::string& pepper = kPepper) {
    auto store = open(location_, pepper);
    if (!store) ADD_FAILURE() << store.error().message;
    return store ? std::move(store).value() : nullptr;
  }

  // Runs SQL on its own connection, as another process would.
  void run_sql(const std::string& sql) { testing::run_sql_on(location_, sql); }
  int64_t query_int(const std::string& sql) { return testing::query_int_on(location_, sql); }

  TempDir dir_;
  testing::PostgresServer* postgres_ = nullptr;
  int locations_ = 0;
  std::string location_;  // the SQLite file or the PostgreSQL URL
  std::unique_ptr<AccountStore> store_;
};

class AccountStoreTest : public AccountDatabaseTest, public ::testing::WithParamInterface<Backend> {
 protected:
  Backend backend() const override { return GetParam(); }
};

INSTANTIATE_TEST_SUITE_P(Backends, AccountStoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backend_name);

class SqliteAccountStoreTest : public AccountDatabaseTest {
 protected:
  Backend backend() const override { return Backend::kSqlite; }
  std::string db_path() const { return location_; }
};

class PostgresAccountStoreTest : public AccountDatabaseTest {
 protected:
  Backend backend() const override { return Backend::kPostgres; }
};

TEST_P(AccountStoreTest, CreateListAuthenticateRevokeRoundTrip) {
  Result<IssuedKeys> keys = store_->create("ann@example.com");
  ASSERT_TRUE(keys) << keys.error().message;
  EXPECT_EQ(keys->email, "ann@example.com");
  EXPECT_TRUE(store_->authenticate("ann@example.com", keys->user_key, keys->api_key));

  Result<std::vector<AccountSummary>> listed = store_->list();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].email, "ann@example.com");
  EXPECT_FALSE((*listed)[0].revoked);
  EXPECT_TRUE(
      std::regex_match((*listed)[0].created_at, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
      << (*listed)[0].created_at;

  ASSERT_TRUE(store_->revoke("ann@example.com"));
  expect_authentication_failed(
      store_->authenticate("ann@example.com", keys->user_key, keys->api_key), "revoked");
  listed = store_->list();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_TRUE((*listed)[0].revoked);
}

TEST_P(AccountStoreTest, EveryFailureHasTheSameCodeAndMessage) {
  Result<IssuedKeys> ann = store_->create("ann@example.com");
  Result<IssuedKeys> bob = store_->create("bob@example.com");
  ASSERT_TRUE(ann && bob);
  const std::string email = ann->email;
  expect_authentication_failed(store_->authenticate(email, "x" + ann->user_key, ann->api_key),
                               "wrong user key");
  expect_authentication_failed(store_->authenticate(email, ann->user_key, ann->api_key + "0"),
                               "wrong api key");
  expect_authentication_failed(store_->authenticate(email, ann->api_key, ann->user_key),
                               "keys swapped");
  expect_authentication_failed(store_->authenticate(email, bob->user_key, bob->api_key),
                               "another account's keys");
  expect_authentication_failed(store_->authenticate(email, "", ""), "empty keys");
  expect_authentication_failed(store_->authenticate("zed@example.com", ann->user_key, ann->api_key),
                               "unknown e-mail");
  expect_authentication_failed(store_->authenticate("not an email", ann->user_key, ann->api_key),
                               "malformed e-mail");
  ASSERT_TRUE(store_->revoke(email));
  expect_authentication_failed(store_->authenticate(email, ann->user_key, ann->api_key), "revoked");
  EXPECT_TRUE(store_->authenticate(bob->email, bob->user_key, bob->api_key));
}

TEST_P(AccountStoreTest, EmailIsTrimmedAndLowercased) {
  Result<IssuedKeys> keys = store_->create("  Ann@Example.COM \n");
  ASSERT_TRUE(keys) << keys.error().message;
  EXPECT_EQ(keys->email, "ann@example.com");
  EXPECT_TRUE(store_->authenticate(" ANN@example.com", keys->user_key, keys->api_key));
  EXPECT_TRUE(store_->revoke("ANN@EXAMPLE.COM"));
}

TEST_P(AccountStoreTest, MalformedEmailsAreRefused) {
  const std::string too_long = std::string(250, 'a') + "@b.cd";  // 255 chars
  for (const std::string& email :
       {std::string(""), std::string("   "), std::string("no-at-sign"), std::string("a@@b"),
        std::string("a@b@c"), std::string("a b@c.d"), std::string("a@b\tc"), std::string("@b.c"),
        std::string("a@"), std::string("a\x01@b.c"), too_long}) {
    Result<IssuedKeys> keys = store_->create(email);
    ASSERT_FALSE(keys) << email;
    EXPECT_EQ(keys.error().code, ErrorCode::kInvalidArgument) << email;
  }
  EXPECT_TRUE(store_->create(std::string(249, 'a') + "@b.cd"));  // exactly 254
  Result<std::vector<AccountSummary>> listed = store_->list();
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->size(), 1u);
}

TEST_P(AccountStoreTest, DuplicateActiveEmailIsRefusedButRevokedOneMayReturn) {
  Result<IssuedKeys> first = store_->create("ann@example.com");
  ASSERT_TRUE(first);
  Result<IssuedKeys> duplicate = store_->create("ANN@example.com");
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().code, ErrorCode::kInvalidArgument);

  ASSERT_TRUE(store_->revoke("ann@example.com"));
  Result<IssuedKeys> again = store_->create("ann@example.com");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(store_->authenticate("ann@example.com", again->user_key, again->api_key));
  expect_authentication_failed(
      store_->authenticate("ann@example.com", first->user_key, first->api_key), "old keys");
  Result<std::vector<AccountSummary>> listed = store_->list();
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->size(), 2u);
}

TEST_P(AccountStoreTest, RevokeOfUnknownOrRevokedAccountIsNotFound) {
  Status unknown = store_->revoke("zed@example.com");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(store_->create("ann@example.com"));
  ASSERT_TRUE(store_->revoke("ann@example.com"));
  Status twice = store_->revoke("ann@example.com");
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::kNotFound);
  Status malformed = store_->revoke("nobody");
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error().code, ErrorCode::kInvalidArgument);
}

TEST_P(AccountStoreTest, KeysAreLongUrlSafeAndDistinct) {
  std::vector<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    Result<IssuedKeys> keys = store_->create("user" + std::to_string(i) + "@example.com");
    ASSERT_TRUE(keys);
    for (const std::string& key : {keys->user_key, keys->api_key}) {
      EXPECT_GE(key.size(), 43u);
      EXPECT_TRUE(std::regex_match(key, std::regex("[0-9a-f]{64}"))) << key;
      for (const std::string& other : seen) EXPECT_NE(key, other);
      seen.push_back(key);
    }
  }
}

std::string read_all_files_of(const std::string& db_path) {
  std::string everything;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    const std::string path = db_path + suffix;
    if (!std::filesystem::exists(path)) continue;
    const std::vector<uint8_t> bytes = testing::read_bytes(path);
    everything.append(bytes.begin(), bytes.end());
  }
  return everything;
}

TEST_F(SqliteAccountStoreTest, DatabaseFilesHoldNoPlaintextKey) {
  std::vector<IssuedKeys> issued;
  for (const char* email : {"ann@example.com", "bob@example.com"}) {
    Result<IssuedKeys> keys = store_->create(email);
    ASSERT_TRUE(keys);
    issued.push_back(*keys);
  }
  ASSERT_TRUE(std::filesystem::exists(db_path() + "-wal"));  // WAL mode is on
  const std::string while_open = read_all_files_of(db_path());
  store_.reset();  // the last close checkpoints the WAL into the main file
  const std::string after_close = read_all_files_of(db_path());
  ASSERT_FALSE(while_open.empty());
  ASSERT_FALSE(after_close.empty());
  for (const IssuedKeys& keys : issued) {
    for (const std::string& key : {keys.user_key, keys.api_key}) {
      EXPECT_EQ(while_open.find(key), std::string::npos);
      EXPECT_EQ(after_close.find(key), std::string::npos);
      EXPECT_EQ(while_open.find(key.substr(0, 16)), std::string::npos);  // not even a prefix
    }
  }
  EXPECT_NE(after_close.find("ann@example.com"), std::string::npos);  // the search itself works
}

TEST_P(AccountStoreTest, ReopenedWithSamePepperAuthenticatesWithAnotherDoesNot) {
  Result<IssuedKeys> keys = store_->create("ann@example.com");
  ASSERT_TRUE(keys);
  store_.reset();

  std::unique_ptr<AccountStore> same = open_store(kPepper);
  ASSERT_NE(same, nullptr);
  EXPECT_TRUE(same->authenticate("ann@example.com", keys->user_key, keys->api_key));
  same.reset();

  std::unique_ptr<AccountStore> other = open_store(std::string(64, 'q'));
  ASSERT_NE(other, nullptr);
  expect_authentication_failed(
      other->authenticate("ann@example.com", keys->user_key, keys->api_key), "different pepper");
}

TEST_P(AccountStoreTest, ConcurrentAuthenticateFromEightThreads) {
  std::vector<IssuedKeys> accounts;
  for (int i = 0; i < 8; ++i) {
    Result<IssuedKeys> keys = store_->create("user" + std::to_string(i) + "@example.com");
    ASSERT_TRUE(keys);
    accounts.push_back(*keys);
  }
  constexpr int kRounds = 200;
  std::atomic<int> accepted{0};
  std::atomic<int> refused{0};
  std::atomic<int> unexpected{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      const IssuedKeys& mine = accounts[static_cast<std::size_t>(t)];
      for (int round = 0; round < kRounds; ++round) {
        const bool honest = round % 2 == 0;
        const Status status = store_->authenticate(
            mine.email, mine.user_key, honest ? mine.api_key : std::string_view(mine.user_key));
        if (status) {
          ++accepted;
        } else if (status.error().code == ErrorCode::kUnauthenticated) {
          ++refused;
        } else {
          ++unexpected;
        }
        if (round % 50 == 0 && !store_->ping()) ++unexpected;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(accepted.load(), 8 * kRounds / 2);
  EXPECT_EQ(refused.load(), 8 * kRounds / 2);
  EXPECT_EQ(unexpected.load(), 0);
}

TEST_P(AccountStoreTest, PingAnswersWhileTheDatabaseIsThere) {
  EXPECT_TRUE(store_->ping());
}

TEST_F(SqliteAccountStoreTest, WriteLockHeldElsewhereIsUnavailableNotACrash) {
  Result<IssuedKeys> keys = store_->create("ann@example.com");
  ASSERT_TRUE(keys);
  auto opened = AccountStore::open_sqlite(db_path(), kPepper, SqliteOptions{.busy_timeout_ms = 50});
  ASSERT_TRUE(opened) << opened.error().message;
  std::unique_ptr<AccountStore> impatient = std::move(opened).value();

  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(db_path().c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  Result<IssuedKeys> blocked = impatient->create("bob@example.com");
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().code, ErrorCode::kUnavailable);
  Status revoke_blocked = impatient->revoke("ann@example.com");
  ASSERT_FALSE(revoke_blocked);
  EXPECT_EQ(revoke_blocked.error().code, ErrorCode::kUnavailable);
  // WAL: readers go on while another connection writes.
  EXPECT_TRUE(impatient->authenticate("ann@example.com", keys->user_key, keys->api_key));
  ASSERT_EQ(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  EXPECT_TRUE(impatient->create("bob@example.com"));
}

TEST_P(AccountStoreTest, BrokenDatabaseIsUnavailableNotUnauthenticated) {
  Result<IssuedKeys> keys = store_->create("ann@example.com");
  ASSERT_TRUE(keys);
  run_sql("DROP TABLE accounts; DROP TABLE schema_version;");
  expect_unavailable(store_->authenticate("ann@example.com", keys->user_key, keys->api_key),
                     "authenticate");
  expect_unavailable(store_->ping(), "ping");
  Result<std::vector<AccountSummary>> listed = store_->list();
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().code, ErrorCode::kUnavailable);
  Result<IssuedKeys> created = store_->create("bob@example.com");
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, ErrorCode::kUnavailable);
}

TEST_P(AccountStoreTest, SchemaVersionIsRecordedAndANewerSchemaIsRefused) {
  store_.reset();
  const int64_t migrations = static_cast<int64_t>(account_migrations().size());
  EXPECT_EQ(query_int("SELECT MAX(version) FROM schema_version"),
            account_migrations().back().version);

  // Reopening applies nothing twice.
  ASSERT_NE(open_store(), nullptr);
  EXPECT_EQ(query_int("SELECT COUNT(*) FROM schema_version"), migrations);
  run_sql("INSERT INTO schema_version VALUES (999, '2099-01-01T00:00:00Z')");
  auto newer = open(location_);
  ASSERT_FALSE(newer);
  EXPECT_EQ(newer.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(newer.error().message.find("999"), std::string::npos) << newer.error().message;
}

TEST_P(AccountStoreTest, StoresOpeningOneNewDatabaseAtOnceAllSucceed) {
  const std::string location = fresh_location();
  std::atomic<int> opened{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto store = open(location);
      if (store) {
        ++opened;
      } else {
        ADD_FAILURE() << store.error().message;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(opened.load(), 4);
}

TEST_P(AccountStoreTest, ListIsInByteOrderThenCreationTime) {
  for (const char* email : {"ab@example.com", "a_b@example.com", "Zed@example.com",
                            "a.b@example.com", "a-b@example.com"}) {
    ASSERT_TRUE(store_->create(email));
  }
  ASSERT_TRUE(store_->revoke("ab@example.com"));
  ASSERT_TRUE(store_->create("ab@example.com"));
  Result<std::vector<AccountSummary>> listed = store_->list();
  ASSERT_TRUE(listed);
  std::vector<std::string> emails;
  for (const AccountSummary& account : *listed) emails.push_back(account.email);
  EXPECT_EQ(emails,
            (std::vector<std::string>{"a-b@example.com", "a.b@example.com", "a_b@example.com",
                                      "ab@example.com", "ab@example.com", "zed@example.com"}));
  EXPECT_EQ((*listed)[3].revoked + (*listed)[4].revoked, 1);
}

// A session the database ends (a restart, a failover) is connected again inside the call that
// finds it lost: the caller sees no failure, and the prepared statements are back.
TEST_F(PostgresAccountStoreTest, LostSessionIsReconnectedWithinTheCall) {
  Result<IssuedKeys> keys = store_->create("ann@example.com");
  ASSERT_TRUE(keys);
  postgres_->terminate_connections(location_);
  EXPECT_TRUE(store_->authenticate("ann@example.com", keys->user_key, keys->api_key));

  postgres_->terminate_connections(location_);
  EXPECT_TRUE(store_->ping());
  EXPECT_TRUE(store_->create("bob@example.com"));
  EXPECT_TRUE(store_->revoke("ann@example.com"));
}

// Calls at once run on sessions of their own, up to PostgresOptions::sessions, instead of
// queueing behind one connection.
TEST_F(PostgresAccountStoreTest, CallsAtOnceUseSeveralSessions) {
  Result<IssuedKeys> keys = store_->create("ann@example.com");
  ASSERT_TRUE(keys);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        if (!store_->authenticate("ann@example.com", keys->user_key, keys->api_key)) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  const int64_t sessions = testing::query_int_on(
      location_,
      "SELECT count(*) FROM pg_stat_activity"
      " WHERE datname = current_database() AND pid <> pg_backend_pid()");
  EXPECT_GE(sessions, 2);
  EXPECT_LE(sessions, PostgresOptions{}.sessions);
}

TEST_F(PostgresAccountStoreTest, UnreachableServerIsUnavailableAndTheMessageHidesThePassword) {
  const std::string url = "postgresql://bodyshape:s3cret-word@127.0.0.1:" +
                          std::to_string(testing::free_loopback_port()) + "/accounts";
  auto store = AccountStore::open_postgres(url, kPepper, PostgresOptions{.connect_timeout_s = 2});
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(store.error().message.find("127.0.0.1"), std::string::npos) << store.error().message;
  EXPECT_EQ(store.error().message.find("s3cret-word"), std::string::npos) << store.error().message;

  auto no_database = AccountStore::open_postgres(location_ + "_missing", kPepper);
  ASSERT_FALSE(no_database);
  EXPECT_EQ(no_database.error().code, ErrorCode::kUnavailable);
}

TEST(AccountStoreOpen, UnusablePathsAreErrorsNotCrashes) {
  TempDir dir;
  auto missing_dir = AccountStore::open_sqlite(dir.path() + "/no/such/dir/accounts.db", kPepper);
  ASSERT_FALSE(missing_dir);
  EXPECT_EQ(missing_dir.error().code, ErrorCode::kUnavailable);

  const std::string file = dir.path() + "/plain-file";
  std::ofstream(file) << "x";
  auto under_file = AccountStore::open_sqlite(file + "/accounts.db", kPepper);
  ASSERT_FALSE(under_file);
  EXPECT_EQ(under_file.error().code, ErrorCode::kUnavailable);

  const std::string not_a_db = dir.path() + "/not-a.db";
  std::ofstream(not_a_db) << std::string(4096, 'z');
  auto garbage = AccountStore::open_sqlite(not_a_db, kPepper);
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().code, ErrorCode::kUnavailable);

  // Root ignores directory permissions, but not procfs's refusal to create files.
  const std::string read_only = dir.path() + "/read-only";
  ASSERT_EQ(mkdir(read_only.c_str(), 0500), 0);
  auto unwritable = AccountStore::open_sqlite(
      (geteuid() == 0 ? std::string("/proc") : read_only) + "/accounts.db", kPepper);
  ASSERT_FALSE(unwritable);
  EXPECT_EQ(unwritable.error().code, ErrorCode::kUnavailable);
}

TEST(AccountStoreOpen, ShortPepperIsRefused) {
  TempDir dir;
  auto store = AccountStore::open_sqlite(dir.path() + "/accounts.db", "short");
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kInvalidArgument);
  // Checked before connecting: no server is needed.
  auto postgres = AccountStore::open_postgres("postgresql://nobody@127.0.0.1:1/none", "short");
  ASSERT_FALSE(postgres);
  EXPECT_EQ(postgres.error().code, ErrorCode::kInvalidArgument);
}

TEST(Pepper, CreatedWithMode0600AndReused) {
  TempDir dir;
  const std::string path = dir.path() + "/pepper";
  Result<std::string> first = load_or_create_pepper(path);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(std::regex_match(*first, std::regex("[0-9a-f]{64}"))) << *first;
  struct stat info {};
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);

  Result<std::string> second = load_or_create_pepper(path);
  ASSERT_TRUE(second);
  EXPECT_EQ(*second, *first);
  // No temporary file is left beside it.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            1);

  TempDir other_dir;
  Result<std::string> other = load_or_create_pepper(other_dir.path() + "/pepper");
  ASSERT_TRUE(other);
  EXPECT_NE(*other, *first);
}

TEST(Pepper, ConcurrentCreatorsAgree) {
  TempDir dir;
  const std::string path = dir.path() + "/pepper";
  std::vector<std::string> seen(8);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    threads.emplace_back([&, i] {
      Result<std::string> pepper = load_or_create_pepper(path);
      if (pepper) seen[i] = *pepper;
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const std::string& pepper : seen) EXPECT_EQ(pepper, seen[0]);
  EXPECT_FALSE(seen[0].empty());
}

TEST(Pepper, OperatorWrittenFileIsTrimmedAndShortOneRefused) {
  TempDir dir;
  const std::string path = dir.path() + "/pepper";
  const std::string secret(40, 's');
  std::ofstream(path) << "  " << secret << "\n\n";
  Result<std::string> read = load_or_create_pepper(path);
  ASSERT_TRUE(read);
  EXPECT_EQ(*read, secret);

  std::ofstream(path, std::ios::trunc) << "tooshort\n";
  Result<std::string> too_short = load_or_create_pepper(path);
  ASSERT_FALSE(too_short);
  EXPECT_EQ(too_short.error().code, ErrorCode::kInvalidArgument);
}

TEST(Pepper, MissingDirectoryIsAnError) {
  TempDir dir;
  Result<std::string> pepper = load_or_create_pepper(dir.path() + "/no/such/dir/pepper");
  ASSERT_FALSE(pepper);
  EXPECT_EQ(pepper.error().code, ErrorCode::kUnavailable);
}

TEST(NormalizeEmail, TrimsLowercasesAndKeepsTheRest) {
  Result<std::string> email = normalize_email("\t First.Last+tag@Sub.Example.ORG  ");
  ASSERT_TRUE(email);
  EXPECT_EQ(*email, "first.last+tag@sub.example.org");
}

}  // namespace
}  // namespace bodyshape::storage

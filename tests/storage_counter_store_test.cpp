// The counters in the account database (storage/counter_store.h), one suite run against both
// backends (Sqlite/..., Postgres/...; PostgreSQL's cases skip when it is not installed): token
// buckets on an injected clock that agree with common/token_bucket.h, takes that stay exact when
// two stores (two replicas) and many threads share one database, cleanup of full buckets, daily
// usage, and database failures that answer kUnavailable.
#include "storage/counter_store.h"

#include <gtest/gtest.h>
#include <atomic>
#include <cmath>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "storage/account_schema.h"
#include "storage/account_store.h"
#include "storage/account_store_backend.h"
#include "support/database.h"
#include "support/postgres.h"
#include "support/server_process.h"

namespace bodyshape::storage {
namespace {

using testing::TempDir;

const std::string kPepper(64, 'c');
constexpr double kStart = 1.7e9;  // Unix seconds, late 2023: real magnitudes test the precision

enum class Backend { kSqlite, kPostgres };

class CounterStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kPostgres) {
      std::string why_not;
      postgres_ = testing::shared_postgres(&why_not);
      if (postgres_ == nullptr) GTEST_SKIP() << why_not;
      location_ = postgres_->create_database();
    } else {
      location_ = dir_.path() + "/accounts.db";
    }
    store_ = open_store();
    ASSERT_NE(store_, nullptr);
  }

  // Another store on the same database: what a second replica holds.
  std::unique_ptr<AccountStore> open_store() {
    auto store = GetParam() == Backend::kPostgres ? AccountStore::open_postgres(location_, kPepper)
                                                  : AccountStore::open_sqlite(location_, kPepper);
    if (!store) ADD_FAILURE() << store.error().message;
    return store ? std::move(store).value() : nullptr;
  }

  CounterStore& counters() { return store_->counters(); }

  // SQL on its own connection, as another process would run it.
  int64_t query_int(const std::string& sql) { return testing::query_int_on(location_, sql); }
  void run_sql(const std::string& sql) { testing::run_sql_on(location_, sql); }

  bool allowed(std::string_view key, const TokenBucketLimit& limit, double now_s) {
    Result<TokenTake> take = counters().take_token(key, limit, now_s);
    if (!take) ADD_FAILURE() << take.error().message;
    return take && take->allowed;
  }

  TempDir dir_;
  testing::PostgresServer* postgres_ = nullptr;
  std::string location_;
  std::unique_ptr<AccountStore> store_;
};

INSTANTIATE_TEST_SUITE_P(Backends, CounterStoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) {
                           return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
                         });

TEST_P(CounterStoreTest, FreshKeyHasAFullBucketThenWaitsForRefill) {
  const TokenBucketLimit limit{.per_minute = 6, .burst = 3};  // a token every 10 s
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(allowed("ip:a", limit, kStart)) << i;
  Result<TokenTake> refused = counters().take_token("ip:a", limit, kStart + 4);
  ASSERT_TRUE(refused) << refused.error().message;
  EXPECT_FALSE(refused->allowed);
  EXPECT_NEAR(refused->retry_after_s, 6, 1e-6);
  EXPECT_TRUE(allowed("ip:a", limit, kStart + 10));
  EXPECT_FALSE(allowed("ip:a", limit, kStart + 10));
  EXPECT_TRUE(allowed("ip:b", limit, kStart + 10)) << "keys have their own buckets";
}

// The database's buckets are the pure arithmetic's, to float precision, on an awkward schedule.
TEST_P(CounterStoreTest, AgreesWithTheArithmeticOnARandomSchedule) {
  const TokenBucketLimit limit{.per_minute = 37, .burst = 4};
  std::mt19937 random(7);
  std::uniform_real_distribution<double> gap_s(0, 3);
  std::optional<TokenBucketState> expected;
  double now_s = kStart;
  for (int i = 0; i < 120; ++i) {
    now_s += gap_s(random) * (i % 7 == 0 ? 0 : 1);  // some takes at the same instant
    const TokenTake want = take_token(expected, limit, now_s);
    expected = want.after;
    Result<TokenTake> got = counters().take_token("account:ann@example.com", limit, now_s);
    ASSERT_TRUE(got) << got.error().message;
    ASSERT_EQ(got->allowed, want.allowed) << "take " << i;
    EXPECT_NEAR(got->after.tokens, want.after.tokens, 1e-9) << "take " << i;
    EXPECT_NEAR(got->retry_after_s, want.retry_after_s, 1e-6) << "take " << i;
  }
}

// Two stores are two replicas: 4 threads each take at once; exactly the burst gets through.
TEST_P(CounterStoreTest, TwoStoresAndEightThreadsAdmitExactlyTheBurst) {
  std::unique_ptr<AccountStore> other = open_store();
  ASSERT_NE(other, nullptr);
  const TokenBucketLimit limit{.per_minute = 0.001, .burst = 50};  // no refill during the test
  std::atomic<int> admitted{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    CounterStore& counters = (t % 2 == 0 ? store_ : other)->counters();
    threads.emplace_back([&counters, &admitted, &failed, &limit] {
      for (int i = 0; i < 20; ++i) {
        Result<TokenTake> take = counters.take_token("ip:shared", limit, kStart);
        if (!take) {
          ++failed;
        } else if (take->allowed) {
          ++admitted;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(admitted.load(), 50);
}

TEST_P(CounterStoreTest, AClockBehindTheStoredOneRefillsNothing) {
  std::unique_ptr<AccountStore> other = open_store();
  ASSERT_NE(other, nullptr);
  const TokenBucketLimit limit{.per_minute = 60, .burst = 1};
  EXPECT_TRUE(allowed("ip:a", limit, kStart + 5));
  // The second replica's clock is 5 s behind: the bucket is still empty for it.
  Result<TokenTake> behind = other->counters().take_token("ip:a", limit, kStart);
  ASSERT_TRUE(behind);
  EXPECT_FALSE(behind->allowed);
  EXPECT_TRUE(allowed("ip:a", limit, kStart + 6));
}

TEST_P(CounterStoreTest, BucketsFullAgainAreDeletedNowAndThen) {
  const TokenBucketLimit limit{.per_minute = 60, .burst = 2};  // full again 1 s after one take
  // Fewer keys than kTakesBetweenBucketCleanups, then enough late takes to pass it: the cleanup
  // runs once in between, when every early bucket is full again.
  constexpr int kEarly = storage::kTakesBetweenBucketCleanups - 24;
  for (int i = 0; i < kEarly; ++i) ASSERT_TRUE(allowed("ip:" + std::to_string(i), limit, kStart));
  EXPECT_EQ(query_int("SELECT COUNT(*) FROM rate_buckets"), kEarly);
  for (int i = 0; i < 100; ++i) (void)allowed("ip:late", limit, kStart + 10);
  EXPECT_EQ(query_int("SELECT COUNT(*) FROM rate_buckets"), 1);
}

TEST_P(CounterStoreTest, OverlongKeyIsCutNotRefused) {
  const std::string forged(5000, 'x');  // a forged X-Forwarded-For item
  const TokenBucketLimit limit{.per_minute = 1, .burst = 1};
  EXPECT_TRUE(allowed("ip:" + forged, limit, kStart));
  EXPECT_FALSE(allowed("ip:" + forged + "y", limit, kStart))
      << "same first " << storage::kMaxCounterKeyBytes << " bytes";
}

// Additions to one (account, day) sum, from one store or two (two replicas); 2^40 checks the
// count is 64-bit all the way.
TEST_P(CounterStoreTest, UsageAddsRequestsPerAccountPerDay) {
  ASSERT_TRUE(counters().add_requests("bob@example.com", "2024-05-02", 3));
  ASSERT_TRUE(counters().add_requests("bob@example.com", "2024-05-02", 1));
  ASSERT_TRUE(counters().add_requests("ann@example.com", "2024-05-02", 7));
  ASSERT_TRUE(counters().add_requests("bob@example.com", "2024-05-01", 1LL << 40));
  std::unique_ptr<AccountStore> other = open_store();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other->counters().add_requests("bob@example.com", "2024-05-02", 5));

  Result<std::vector<DailyUsage>> usage = counters().usage();
  ASSERT_TRUE(usage) << usage.error().message;
  ASSERT_EQ(usage->size(), 3u);
  EXPECT_EQ((*usage)[0].day, "2024-05-01");
  EXPECT_EQ((*usage)[0].email, "bob@example.com");
  EXPECT_EQ((*usage)[0].requests, 1LL << 40);
  EXPECT_EQ((*usage)[1].email, "ann@example.com");
  EXPECT_EQ((*usage)[1].requests, 7);
  EXPECT_EQ((*usage)[2].email, "bob@example.com");
  EXPECT_EQ((*usage)[2].day, "2024-05-02");
  EXPECT_EQ((*usage)[2].requests, 9);
}

TEST_P(CounterStoreTest, BrokenDatabaseIsUnavailable) {
  run_sql("DROP TABLE rate_buckets; DROP TABLE account_usage;");
  Result<TokenTake> take = counters().take_token("ip:a", {.per_minute = 60, .burst = 1}, kStart);
  ASSERT_FALSE(take);
  EXPECT_EQ(take.error().code, ErrorCode::kUnavailable);
  const Status counted = counters().add_requests("ann@example.com", "2024-05-01", 1);
  ASSERT_FALSE(counted);
  EXPECT_EQ(counted.error().code, ErrorCode::kUnavailable);
  Result<std::vector<DailyUsage>> usage = counters().usage();
  ASSERT_FALSE(usage);
  EXPECT_EQ(usage.error().code, ErrorCode::kUnavailable);
  // The store still works for what the tables it has can answer.
  EXPECT_TRUE(store_->ping());
}

TEST(UtcDay, IsTheCalendarDayInUtc) {
  using std::chrono::system_clock;
  EXPECT_EQ(utc_day(system_clock::from_time_t(0)), "1970-01-01");
  EXPECT_EQ(utc_day(system_clock::from_time_t(1714607999)), "2024-05-01");  // 23:59:59Z
  EXPECT_EQ(utc_day(system_clock::from_time_t(1714608000)), "2024-05-02");
}

}  // namespace
}  // namespace bodyshape::storage

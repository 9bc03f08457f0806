// UsageCounter (server/usage_counter.h) on a stand-in CounterStore that records every write: counts
// merged into one write per (account, day), failed writes kept and retried without counting twice,
// the final write on stop() and destruction, the periodic flush, and counts from many threads
// while flushes run.
#include "server/usage_counter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace bodyshape::server {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kNeverOnItsOwn = std::chrono::hours(1);

// Records add_requests(); answers kUnavailable while `down`, or on the write numbered
// `fail_write` (0-based, counting all attempts).
class RecordingCounters : public storage::CounterStore {
 public:
  using Write = std::tuple<std::string, std::string, int64_t>;  // e-mail, day, requests

  Result<TokenTake> take_token(std::string_view, const TokenBucketLimit&, double) override {
    return make_error(ErrorCode::kInternal, "not used");
  }
  Status add_requests(std::string_view email, std::string_view utc_day, int64_t requests) override {
    const std::lock_guard lock(mutex_);
    if (down || attempts_++ == fail_write) {
      return make_error(ErrorCode::kUnavailable, "connection refused");
    }
    writes_.emplace_back(std::string(email), std::string(utc_day), requests);
    return Ok{};
  }
  Result<std::vector<storage::DailyUsage>> usage() override {
    return make_error(ErrorCode::kInternal, "not used");
  }

  std::vector<Write> writes() const {
    const std::lock_guard lock(mutex_);
    return writes_;
  }
  int64_t total(const std::string& email, const std::string& day) const {
    int64_t sum = 0;
    for (const auto& [written_email, written_day, requests] : writes()) {
      if (written_email == email && written_day == day) sum += requests;
    }
    return sum;
  }

  std::atomic<bool> down{false};
  int fail_write = -1;

 private:
  mutable std::mutex mutex_;
  int attempts_ = 0;
  std::vector<Write> writes_;
};

void count_times(UsageCounter& usage, const std::string& email, const std::string& day, int n) {
  for (int i = 0; i < n; ++i) usage.count(email, day);
}

TEST(UsageCounter, CountsAreMergedIntoOneWritePerAccountAndDay) {
  RecordingCounters store;
  UsageCounter usage(store, kNeverOnItsOwn);
  count_times(usage, "ann@example.com", "2024-05-01", 3);
  count_times(usage, "bob@example.com", "2024-05-01", 1);
  count_times(usage, "ann@example.com", "2024-05-02", 2);  // a request after midnight UTC
  EXPECT_TRUE(store.writes().empty()) << "counting alone writes nothing";
  EXPECT_EQ(usage.pending_rows(), 3u);

  ASSERT_TRUE(usage.flush());
  using Write = RecordingCounters::Write;
  EXPECT_EQ(store.writes(), (std::vector<Write>{{"ann@example.com", "2024-05-01", 3},
                                                {"ann@example.com", "2024-05-02", 2},
                                                {"bob@example.com", "2024-05-01", 1}}));
  EXPECT_EQ(usage.pending_rows(), 0u);
  ASSERT_TRUE(usage.flush());
  EXPECT_EQ(store.writes().size(), 3u) << "nothing new, nothing written";
}

TEST(UsageCounter, AFailedFlushKeepsTheCountsForTheNextOne) {
  RecordingCounters store;
  UsageCounter usage(store, kNeverOnItsOwn);
  count_times(usage, "ann@example.com", "2024-05-01", 2);
  store.down = true;
  const Status failed = usage.flush();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(usage.pending_rows(), 1u);

  count_times(usage, "ann@example.com", "2024-05-01", 1);  // counted while the database is down
  store.down = false;
  ASSERT_TRUE(usage.flush());
  EXPECT_EQ(store.writes(),
            (std::vector<RecordingCounters::Write>{{"ann@example.com", "2024-05-01", 3}}));
}

// The rows written before the failure are not written again; the failed one and the rest are.
TEST(UsageCounter, AFlushThatFailsHalfwayWritesEachCountOnce) {
  RecordingCounters store;
  store.fail_write = 1;
  UsageCounter usage(store, kNeverOnItsOwn);
  count_times(usage, "ann@example.com", "2024-05-01", 4);
  count_times(usage, "bob@example.com", "2024-05-01", 5);
  count_times(usage, "cid@example.com", "2024-05-01", 6);
  ASSERT_FALSE(usage.flush());
  EXPECT_EQ(store.writes().size(), 1u);
  EXPECT_EQ(usage.pending_rows(), 2u);

  ASSERT_TRUE(usage.flush());
  EXPECT_EQ(store.total("ann@example.com", "2024-05-01"), 4);
  EXPECT_EQ(store.total("bob@example.com", "2024-05-01"), 5);
  EXPECT_EQ(store.total("cid@example.com", "2024-05-01"), 6);
  EXPECT_EQ(store.writes().size(), 3u);
}

TEST(UsageCounter, StopWritesWhatIsPendingAndSoDoesTheDestructor) {
  RecordingCounters store;
  {
    UsageCounter usage(store, kNeverOnItsOwn);
    count_times(usage, "ann@example.com", "2024-05-01", 2);
    const auto stop_started = std::chrono::steady_clock::now();
    usage.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - stop_started, std::chrono::seconds(5))
        << "stop() wakes the flushing thread instead of waiting out its interval";
    EXPECT_EQ(store.total("ann@example.com", "2024-05-01"), 2);

    count_times(usage, "ann@example.com", "2024-05-01", 1);  // a late count after stop()
    EXPECT_EQ(store.total("ann@example.com", "2024-05-01"), 2);
  }
  EXPECT_EQ(store.total("ann@example.com", "2024-05-01"), 3);

  {
    UsageCounter usage(store, kNeverOnItsOwn);
    count_times(usage, "bob@example.com", "2024-05-01", 7);
  }
  EXPECT_EQ(store.total("bob@example.com", "2024-05-01"), 7) << "destroyed without stop()";
}

TEST(UsageCounter, FlushesOnItsOwnEveryInterval) {
  RecordingCounters store;
  UsageCounter usage(store, milliseconds(20));
  count_times(usage, "ann@example.com", "2024-05-01", 2);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (store.writes().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_EQ(store.total("ann@example.com", "2024-05-01"), 2);

  // A database that is down for a few intervals: retried until it answers, nothing lost.
  store.down = true;
  count_times(usage, "bob@example.com", "2024-05-01", 3);
  std::this_thread::sleep_for(milliseconds(100));
  store.down = false;
  while (store.total("bob@example.com", "2024-05-01") == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_EQ(store.total("bob@example.com", "2024-05-01"), 3);
}

// Four request threads count while the flushing thread writes every millisecond (how often they
// interleave is the scheduler's): every count lands exactly once.
TEST(UsageCounter, CountsFromManyThreadsDuringFlushesAreEachWrittenOnce) {
  RecordingCounters store;
  constexpr int kThreads = 4, kCountsEach = 5000;
  {
    UsageCounter usage(store, milliseconds(1));
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&usage, t] {
        for (int i = 0; i < kCountsEach; ++i) {
          usage.count(t % 2 == 0 ? "ann@example.com" : "bob@example.com", "2024-05-01");
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
  }
  EXPECT_EQ(store.total("ann@example.com", "2024-05-01"), kThreads / 2 * kCountsEach);
  EXPECT_EQ(store.total("bob@example.com", "2024-05-01"), kThreads / 2 * kCountsEach);
}

}  // namespace
}  // namespace bodyshape::server

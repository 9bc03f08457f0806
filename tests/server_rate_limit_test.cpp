// Token buckets and the auth-failure lockout on an injected clock: exact refusals, Retry-After
// values, refill, independence of keys and the bound on remembered keys.
#include "server/rate_limit.h"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace bodyshape::server {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const Clock::time_point kStart = Clock::time_point() + std::chrono::hours(1);

TEST(TokenBucketLimiter, ZeroPerMinuteIsOff) {
  TokenBucketLimiter limiter({.per_minute = 0, .burst = 1});
  EXPECT_FALSE(limiter.enabled());
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(limiter.admit("10.0.0.1", kStart).allowed);
  EXPECT_EQ(limiter.tracked_keys(), 0u);
}

TEST(TokenBucketLimiter, BurstThenRefusesWithRetryAfterOfOneToken) {
  TokenBucketLimiter limiter({.per_minute = 6, .burst = 3});  // a token every 10 s
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.admit("a", kStart).allowed) << i;
  const Admission refused = limiter.admit("a", kStart);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_s, 10);
  EXPECT_EQ(limiter.admit("a", kStart + seconds(4)).retry_after_s, 6);
  EXPECT_TRUE(limiter.admit("a", kStart + seconds(10)).allowed);
  EXPECT_FALSE(limiter.admit("a", kStart + seconds(10)).allowed);
}

TEST(TokenBucketLimiter, RetryAfterIsAtLeastOneSecond) {
  TokenBucketLimiter limiter({.per_minute = 6000, .burst = 1});  // a token every 10 ms
  EXPECT_TRUE(limiter.admit("a", kStart).allowed);
  const Admission refused = limiter.admit("a", kStart);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_s, 1);
  EXPECT_TRUE(limiter.admit("a", kStart + milliseconds(10)).allowed);
}

TEST(TokenBucketLimiter, RefillNeverExceedsBurst) {
  TokenBucketLimiter limiter({.per_minute = 60, .burst = 2});
  EXPECT_TRUE(limiter.admit("a", kStart).allowed);
  const Clock::time_point later = kStart + std::chrono::hours(5);
  EXPECT_TRUE(limiter.admit("a", later).allowed);
  EXPECT_TRUE(limiter.admit("a", later).allowed);
  EXPECT_FALSE(limiter.admit("a", later).allowed);
}

TEST(TokenBucketLimiter, KeysHaveTheirOwnBuckets) {
  TokenBucketLimiter limiter({.per_minute = 1, .burst = 1});
  EXPECT_TRUE(limiter.admit("10.0.0.1", kStart).allowed);
  EXPECT_FALSE(limiter.admit("10.0.0.1", kStart).allowed);
  EXPECT_TRUE(limiter.admit("10.0.0.2", kStart).allowed);
}

TEST(TokenBucketLimiter, RemembersAtMostMaxKeys) {
  TokenBucketLimiter limiter({.per_minute = 1, .burst = 1}, /*max_keys=*/100);
  EXPECT_TRUE(limiter.admit("busy", kStart).allowed);
  for (int i = 0; i < 1000; ++i) {
    limiter.admit("spray-" + std::to_string(i), kStart + seconds(1) + milliseconds(i));
    ASSERT_LE(limiter.tracked_keys(), 100u);
  }
  // Full (refilled) buckets go first, then the longest idle: new clients are still served.
  EXPECT_TRUE(limiter.admit("fresh", kStart + seconds(2)).allowed);
}

TEST(AuthFailureLockout, LocksAfterNFailuresWithinTheWindow) {
  AuthFailureLockout lockout({.failures = 3, .window = seconds(60), .lockout = seconds(120)});
  lockout.record_failure("ip", kStart);
  lockout.record_failure("ip", kStart + seconds(1));
  EXPECT_TRUE(lockout.check("ip", kStart + seconds(2)).allowed);
  lockout.record_failure("ip", kStart + seconds(2));
  const Admission locked = lockout.check("ip", kStart + seconds(2));
  EXPECT_FALSE(locked.allowed);
  EXPECT_EQ(locked.retry_after_s, 120);
  EXPECT_TRUE(lockout.check("other-ip", kStart + seconds(2)).allowed);
  EXPECT_FALSE(lockout.check("ip", kStart + seconds(121)).allowed);
  EXPECT_TRUE(lockout.check("ip", kStart + seconds(122)).allowed);
}

TEST(AuthFailureLockout, FailuresOutsideTheWindowDoNotAddUp) {
  AuthFailureLockout lockout({.failures = 3, .window = seconds(60), .lockout = seconds(120)});
  lockout.record_failure("ip", kStart);
  lockout.record_failure("ip", kStart + seconds(30));
  lockout.record_failure("ip", kStart + seconds(61));  // a new window starts here
  lockout.record_failure("ip", kStart + seconds(62));
  EXPECT_TRUE(lockout.check("ip", kStart + seconds(62)).allowed);
}

TEST(AuthFailureLockout, ZeroFailuresIsOffAndTheTableIsBounded) {
  AuthFailureLockout off({.failures = 0});
  for (int i = 0; i < 100; ++i) off.record_failure("ip", kStart);
  EXPECT_TRUE(off.check("ip", kStart).allowed);

  AuthFailureLockout bounded({.failures = 5, .max_keys = 50});
  for (int i = 0; i < 500; ++i) {
    bounded.record_failure("ip-" + std::to_string(i), kStart + milliseconds(i));
    ASSERT_LE(bounded.tracked_keys(), 50u);
  }
}

// A stand-in for the database's counters (a real one is tested in storage_counter_store_test):
// the arithmetic of common/token_bucket.h on a map, or kUnavailable while `down`.
class FakeCounters : public storage::CounterStore {
 public:
  Result<TokenTake> take_token(std::string_view key, const TokenBucketLimit& limit,
                               double now_unix_s) override {
    keys_seen.emplace_back(key);
    if (during_take) std::exchange(during_take, nullptr)();
    if (down) return make_error(ErrorCode::kUnavailable, "connection refused");
    const auto found = buckets_.find(std::string(key));
    std::optional<TokenBucketState> before;
    if (found != buckets_.end()) before = found->second;
    const TokenTake take = bodyshape::take_token(before, limit, now_unix_s);
    buckets_[std::string(key)] = take.after;
    return take;
  }
  Status add_requests(std::string_view, std::string_view, int64_t) override { return Ok{}; }
  Result<std::vector<storage::DailyUsage>> usage() override {
    return std::vector<storage::DailyUsage>{};
  }

  bool down = false;
  std::vector<std::string> keys_seen;
  std::function<void()> during_take;  // runs once, inside the next take (another request then)

 private:
  std::map<std::string, TokenBucketState> buckets_;
};

TEST(SharedLimiter, TakesFromTheStoreUnderItsPrefixWithWholeSecondRetryAfter) {
  FakeCounters counters;
  double now_s = 1.7e9;
  SharedLimiter limiter(counters, "ip:", {.per_minute = 6, .burst = 2}, [&] { return now_s; });
  EXPECT_TRUE(limiter.admit("10.0.0.1").allowed);
  EXPECT_TRUE(limiter.admit("10.0.0.1").allowed);
  now_s += 2.5;
  const Admission refused = limiter.admit("10.0.0.1");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_s, 8);  // 7.5 s rounded up
  EXPECT_EQ(counters.keys_seen.back(), "ip:10.0.0.1");
  EXPECT_FALSE(limiter.degraded());
}

// Fails open to this process's buckets: the limit still holds (per replica) while the database is
// down, and the shared buckets answer again once it is back.
TEST(SharedLimiter, DatabaseDownFallsBackToInProcessBucketsThenRecovers) {
  FakeCounters counters;
  double now_s = 1.7e9;
  SharedLimiter limiter(counters, "account:", {.per_minute = 0.01, .burst = 3},
                        [&] { return now_s; });
  counters.down = true;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.admit("ann@example.com").allowed) << i;
  EXPECT_TRUE(limiter.degraded());
  EXPECT_FALSE(limiter.admit("ann@example.com").allowed) << "the fallback keeps the limit";
  EXPECT_EQ(counters.keys_seen.size(), 1u) << "not asked again within the retry delay";
  counters.down = false;
  EXPECT_FALSE(limiter.admit("ann@example.com").allowed) << "still the fallback's answer";
  now_s += SharedLimiter::kRetryDatabaseAfterS;
  EXPECT_TRUE(limiter.admit("ann@example.com").allowed) << "the shared bucket is still full";
  EXPECT_FALSE(limiter.degraded());
  EXPECT_EQ(counters.keys_seen.size(), 2u);
}

// Once the retry delay is over, one request asks the database again; requests arriving while it
// waits (for an unreachable server, up to libpq's connect_timeout) keep to the fallback instead of
// queueing behind it.
TEST(SharedLimiter, OneRequestRetriesTheDatabaseTheOthersKeepToTheFallback) {
  FakeCounters counters;
  double now_s = 1.7e9;
  SharedLimiter limiter(counters, "ip:", {.per_minute = 600, .burst = 100}, [&] { return now_s; });
  counters.down = true;
  EXPECT_TRUE(limiter.admit("a").allowed);
  ASSERT_EQ(counters.keys_seen.size(), 1u);
  now_s += SharedLimiter::kRetryDatabaseAfterS;
  counters.during_take = [&] {
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.admit("b").allowed);
  };
  EXPECT_TRUE(limiter.admit("a").allowed);
  EXPECT_EQ(counters.keys_seen.size(), 2u) << "only the first request after the delay asked";
  EXPECT_TRUE(limiter.degraded());
}

TEST(SharedLimiter, ZeroPerMinuteIsOffAndTouchesNoStore) {
  FakeCounters counters;
  SharedLimiter limiter(counters, "ip:", {.per_minute = 0, .burst = 1});
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(limiter.admit("a").allowed);
  EXPECT_TRUE(counters.keys_seen.empty());
}

TEST(RateLimitedReply, EachRouteGetsItsOwnShapeWithRetryAfter) {
  const api::Reply future =
      rate_limited_reply(RouteShape::kFutureShape, {.allowed = false, .retry_after_s = 7}, "why");
  EXPECT_EQ(future.status, 429);
  EXPECT_EQ(future.retry_after, "7");
  const auto future_body = nlohmann::json::parse(future.body);
  EXPECT_EQ(future_body["state"], false);
  EXPECT_EQ(future_body["message"], "rate limit exceeded");
  EXPECT_EQ(future_body["detail"], "why");

  const api::Reply segmentation =
      rate_limited_reply(RouteShape::kSegmentation, {.allowed = false, .retry_after_s = 0}, "why");
  EXPECT_EQ(segmentation.status, 429);
  EXPECT_EQ(segmentation.retry_after, "1");
  const auto segmentation_body = nlohmann::json::parse(segmentation.body);
  EXPECT_EQ(segmentation_body["state"], -1);
  EXPECT_EQ(segmentation_body["message"], "rate limit exceeded");
  EXPECT_EQ(segmentation_body["data"]["code"], "rate_limited");
}

}  // namespace
}  // namespace bodyshape::server

// The token-bucket arithmetic on its own: a fresh key's full bucket, refill capped at the burst,
// the wait for one token, the time a bucket is full again, and a clock that steps backwards.
#include "common/token_bucket.h"

#include <gtest/gtest.h>

namespace bodyshape {
namespace {

constexpr TokenBucketLimit kSixPerMinute{.per_minute = 6, .burst = 3};  // a token every 10 s

TEST(TakeToken, UnknownKeyStartsFullAndSpendsOneToken) {
  const TokenTake take = take_token(std::nullopt, kSixPerMinute, 1000);
  EXPECT_TRUE(take.allowed);
  EXPECT_DOUBLE_EQ(take.after.tokens, 2);
  EXPECT_DOUBLE_EQ(take.after.updated_s, 1000);
  EXPECT_DOUBLE_EQ(take.full_at_s, 1010);  // one token short: 10 s to refill
}

TEST(TakeToken, EmptyBucketRefusesWithTheWaitForOneToken) {
  const TokenTake take = take_token(TokenBucketState{0.25, 1000}, kSixPerMinute, 1000);
  EXPECT_FALSE(take.allowed);
  EXPECT_DOUBLE_EQ(take.retry_after_s, 7.5);
  EXPECT_DOUBLE_EQ(take.after.tokens, 0.25);
  EXPECT_DOUBLE_EQ(take.full_at_s, 1027.5);
}

TEST(TakeToken, RefillIsCappedAtTheBurst) {
  const TokenTake take = take_token(TokenBucketState{0, 0}, kSixPerMinute, 1e6);
  EXPECT_TRUE(take.allowed);
  EXPECT_DOUBLE_EQ(take.after.tokens, 2);
}

TEST(TakeToken, ClockBehindTheStoredTimeRefillsNothingAndKeepsTheTime) {
  // Another replica's clock, 5 s behind the one that stored the bucket.
  const TokenTake take = take_token(TokenBucketState{1.5, 1000}, kSixPerMinute, 995);
  EXPECT_TRUE(take.allowed);
  EXPECT_DOUBLE_EQ(take.after.tokens, 0.5);
  EXPECT_DOUBLE_EQ(take.after.updated_s, 1000);
}

}  // namespace
}  // namespace bodyshape

// The token-bucket arithmetic, pure and clock-injected: one implementation shared by the
// in-process limiter (server/rate_limit.h) and the database-backed one (storage/counter_store.h),
// so a limit means the same thing whichever holds the buckets.
//
//   TokenBucketLimit limit{.per_minute = 60, .burst = 10};
//   TokenTake take = take_token(std::nullopt, limit, now_s);   // a key never seen: full bucket
//   if (take.allowed) ... store take.after for the next call ...
//   else -> 429 with Retry-After = ceil(take.retry_after_s)
//
// Times are seconds on any one clock (steady seconds in-process, Unix seconds in the database).
// A clock that goes backwards (another replica's, slightly behind) refills nothing and never moves
// `updated_s` back, so skew between replicas lets at most skew x rate extra tokens through.
#pragma once

#include <optional>

namespace bodyshape {

struct TokenBucketLimit {
  double per_minute = 0;  // sustained rate, > 0 (the limiters read 0 as no limit)
  double burst = 1;       // requests allowed at once after an idle spell (bucket size, >= 1)
};

struct TokenBucketState {
  double tokens = 0;     // 0 .. burst
  double updated_s = 0;  // when `tokens` was last brought up to date
};

struct TokenTake {
  bool allowed = false;
  double retry_after_s = 0;  // when refused: seconds until one token is back (> 0)
  TokenBucketState after;    // the bucket to store
  double full_at_s = 0;      // when `after` is full again: from then on it equals a fresh bucket
};

// `before` = nullopt: a key with no stored bucket, i.e. a full one.
TokenTake take_token(const std::optional<TokenBucketState>& before, const TokenBucketLimit& limit,
                     double now_s);

}  // namespace bodyshape

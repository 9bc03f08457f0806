#include "common/token_bucket.h"

#include <algorithm>

namespace bodyshape {

TokenTake take_token(const std::optional<TokenBucketState>& before, const TokenBucketLimit& limit,
                     double now_s) {
  const double per_second = limit.per_minute / 60.0;
  TokenBucketState bucket = before.value_or(TokenBucketState{limit.burst, now_s});
  if (now_s > bucket.updated_s) {
    bucket.tokens = std::min(limit.burst, bucket.tokens + (now_s - bucket.updated_s) * per_second);
    bucket.updated_s = now_s;
  }
  TokenTake take;
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    take.allowed = true;
  } else {
    take.retry_after_s = (1.0 - bucket.tokens) / per_second;
  }
  take.after = bucket;
  take.full_at_s = bucket.updated_s + (limit.burst - bucket.tokens) / per_second;
  return take;
}

}  // namespace bodyshape

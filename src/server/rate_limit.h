// Abuse limits at the HTTP edge, pure and clock-injected so tests need no sleeping:
//
//   TokenBucketLimiter per_ip({.per_minute = 300, .burst = 100});
//   Admission a = per_ip.admit(request.remote_addr, Clock::now());
//   if (!a.allowed) -> 429 {"state": false, "message": "rate limit exceeded"}, Retry-After
//
//   AuthFailureLockout lockout({.failures = 10, .window = 10min, .lockout = 10min});
//   if (Admission a = lockout.check(ip, now); !a.allowed) -> 429 as above
//   ... after a 401: lockout.record_failure(ip, now);
//
// Each keeps a bounded table (max_keys): entries that carry no state any more (a full bucket, no
// recent failure) are dropped first, then the longest-idle ones, so spraying keys costs memory
// only up to the bound. SECURITY.md lists the defaults and why.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "api/reply.h"
#include "common/token_bucket.h"

namespace bodyshape::server {

using Clock = std::chrono::steady_clock;

struct Admission {
  bool allowed = true;
  int retry_after_s = 0;  // when refused: whole seconds until a request would be let in (>= 1)
};

struct TokenBucketOptions {
  double per_minute = 0;  // sustained rate; 0 = no limit
  double burst = 1;       // requests allowed at once after an idle spell (bucket size, >= 1)
  size_t max_keys = 100'000;
};

// One token bucket per key (an IP address, an account's e-mail). Thread-safe.
class TokenBucketLimiter {
 public:
  explicit TokenBucketLimiter(TokenBucketOptions options) : options_(options) {}
  bool enabled() const { return options_.per_minute > 0; }
  // Takes a token when one is there.
  Admission admit(std::string_view key, Clock::time_point now);
  size_t tracked_keys() const;

 private:
  struct Bucket {
    TokenBucketState state;  // updated_s: seconds of Clock's epoch
    double full_at_s;        // from then on the bucket is the same as never seen
  };
  TokenBucketLimit limit() const { return {options_.per_minute, options_.burst}; }
  void make_room(double now_s);

  const TokenBucketOptions options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

struct LockoutOptions {
  int failures = 0;  // authentication failures within `window` that lock the key out; 0 = never
  std::chrono::seconds window{600};
  std::chrono::seconds lockout{600};
  size_t max_keys = 100'000;
};

// Locks a key (an IP address) out for a while after repeated authentication failures. Thread-safe.
class AuthFailureLockout {
 public:
  explicit AuthFailureLockout(LockoutOptions options) : options_(options) {}
  bool enabled() const { return options_.failures > 0; }
  Admission check(std::string_view key, Clock::time_point now) const;
  void record_failure(std::string_view key, Clock::time_point now);
  size_t tracked_keys() const;

 private:
  struct Record {
    int failures = 0;
    Clock::time_point window_start;
    Clock::time_point locked_until;
  };
  bool stale(const Record& record, Clock::time_point now) const;
  void make_room(Clock::time_point now);

  const LockoutOptions options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Record> records_;
};

// The 429 answer in each endpoint's own shape: future-shape {"state": false, "message":
// "rate limit exceeded", "detail": why}; segmentation-v2 {"state": -1, "message": "rate limit
// exceeded", "errors": why, "data": {"code": "rate_limited", "detail": why}}. Retry-After set.
enum class RouteShape { kFutureShape, kSegmentation };
api::Reply rate_limited_reply(RouteShape shape, const Admission& refused, std::string_view why);

}  // namespace bodyshape::server

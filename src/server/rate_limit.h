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
// Where the buckets live (RequestLimiter): this process (InProcessLimiter) or the account database
// that replicas share (SharedLimiter, chosen when the database is PostgreSQL; service.cpp):
//
//   SharedLimiter per_ip(account_store.counters(), "ip:", {.per_minute = 600, .burst = 300});
//   Admission a = per_ip.admit(address);  // the same bucket on every replica
//
// Each in-process table is bounded (max_keys): entries that carry no state any more (a full bucket, no
// recent failure) are dropped first, then the longest-idle ones, so spraying keys costs memory
// only up to the bound. SECURITY.md lists the defaults and why.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "api/reply.h"
#include "common/token_bucket.h"
#include "storage/counter_store.h"

namespace bodyshape::server {

using Clock = std::chrono::steady_clock;

struct Admission {
  bool allowed = true;
  int retry_after_s = 0;  // when refused: whole seconds until a request would be let in (>= 1)
};

// One token bucket per key (an IP address, an account's e-mail), at most `max_keys` of them (the
// fullest are dropped first). A limit of per_minute 0 lets everything through. Thread-safe.
class TokenBucketLimiter {
 public:
  static constexpr size_t kDefaultMaxKeys = 100'000;
  explicit TokenBucketLimiter(TokenBucketLimit limit, size_t max_keys = kDefaultMaxKeys)
      : limit_(limit), max_keys_(max_keys) {}
  bool enabled() const { return limit_.per_minute > 0; }
  // Takes a token when one is there.
  Admission admit(std::string_view key, Clock::time_point now);
  size_t tracked_keys() const;

 private:
  struct Bucket {
    TokenBucketState state;  // updated_s: seconds of Clock's epoch
    double full_at_s;        // from then on the bucket is the same as never seen
  };
  void make_room(double now_s);

  const TokenBucketLimit limit_;
  const size_t max_keys_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

// A rate limit whose clock and buckets are its own business.
class RequestLimiter {
 public:
  virtual ~RequestLimiter() = default;
  virtual Admission admit(std::string_view key) = 0;
};

// Buckets in this process, on the steady clock.
class InProcessLimiter : public RequestLimiter {
 public:
  explicit InProcessLimiter(TokenBucketLimit limit) : buckets_(limit) {}
  Admission admit(std::string_view key) override { return buckets_.admit(key, Clock::now()); }

 private:
  TokenBucketLimiter buckets_;
};

// Buckets in the database (storage/counter_store.h) under key_prefix + key, shared by every
// replica on it, on the wall clock (Unix seconds). When the database cannot answer it fails open
// to this process's own buckets (the same limit, counted per replica), logging the change once
// each way: an outage of the database must not refuse requests that need no database
// (segmentation-v2 without keys), nor lift the limit altogether. After a failure the database is
// asked again only kRetryDatabaseAfterS later, so an unreachable one (libpq waits up to its
// connect_timeout) slows one request in that time, not every request.
class SharedLimiter : public RequestLimiter {
 public:
  SharedLimiter(storage::CounterStore& counters, std::string key_prefix,
                TokenBucketLimit limit,
                std::function<double()> unix_now = storage::unix_seconds_now)
      : counters_(counters),
        key_prefix_(std::move(key_prefix)),
        limit_(limit),
        unix_now_(std::move(unix_now)),
        fallback_(limit) {}
  bool enabled() const { return limit_.per_minute > 0; }
  Admission admit(std::string_view key) override;
  // true while the last take failed and the in-process buckets answer.
  bool degraded() const { return degraded_.load(); }
  static constexpr double kRetryDatabaseAfterS = 5;

 private:
  storage::CounterStore& counters_;
  const std::string key_prefix_;
  const TokenBucketLimit limit_;
  const std::function<double()> unix_now_;
  TokenBucketLimiter fallback_;
  std::atomic<bool> degraded_{false};
  std::atomic<double> next_database_try_s_{0};  // unix_now_ seconds; 0 = ask now
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

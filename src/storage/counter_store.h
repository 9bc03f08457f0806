// Counters kept in the account database, so that replicas sharing it share them: token buckets
// for rate limits (one row per key, e.g. "ip:203.0.113.7" or "account:ann@example.com") and
// requests per account per UTC day for the operator (`bodyshape accounts usage`).
//
//   storage::CounterStore& counters = account_store->counters();
//   Result<TokenTake> take = counters.take_token("ip:203.0.113.7", {.per_minute = 600,
//                                                .burst = 300}, unix_seconds_now());
//   if (take && !take->allowed) -> 429
//   counters.add_requests("ann@example.com", utc_day(std::chrono::system_clock::now()), 12);
//
// A take is atomic across processes: SQLite runs it in a BEGIN IMMEDIATE transaction (the
// database's write lock), PostgreSQL as INSERT ... ON CONFLICT DO UPDATE ... RETURNING (which
// locks the row) then UPDATE, in one transaction. The arithmetic is common/token_bucket.h, on the
// time the caller passes (Unix seconds of the replica's clock: replicas need NTP; skew lets at
// most skew x rate extra tokens through). Buckets that are full again are deleted now and then
// (a full bucket is the same as none). Requests are added in batches (the service's one write per
// account and day every few seconds), not one by one. Database failures are kUnavailable, never
// exceptions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/token_bucket.h"

namespace bodyshape::storage {

struct DailyUsage {
  std::string email;  // normalised
  std::string day;    // UTC, "2024-05-01"
  int64_t requests;
};

// Keys longer than this are cut (no address or e-mail is: IPv6 text is <= 45, e-mails <= 254),
// so a forged header cannot make a key PostgreSQL's index refuses.
inline constexpr std::size_t kMaxCounterKeyBytes = 300;

class CounterStore {
 public:
  virtual ~CounterStore() = default;
  // Takes a token from the bucket under `key` (a fresh key has a full bucket) at `now_unix_s`.
  virtual Result<TokenTake> take_token(std::string_view key, const TokenBucketLimit& limit,
                                       double now_unix_s) = 0;
  // Adds `requests` to the account's count for `utc_day`, in one statement.
  virtual Status add_requests(std::string_view email, std::string_view utc_day,
                              int64_t requests) = 0;
  // Every account's count per day, ordered by day then e-mail (byte order).
  virtual Result<std::vector<DailyUsage>> usage() = 0;
};

// Unix seconds now, as take_token() wants them.
double unix_seconds_now();

}  // namespace bodyshape::storage

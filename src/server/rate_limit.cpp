#include "server/rate_limit.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/log.h"

namespace bodyshape::server {
namespace {

int whole_seconds_at_least_one(double seconds) {
  return std::max(1, static_cast<int>(std::ceil(seconds)));
}

// Drops the longest-idle half of a table that is still full after dropping stale entries.
template <class Map, class LastSeen>
void drop_oldest_half(Map& map, LastSeen last_seen) {
  std::vector<decltype(last_seen(map.begin()->second))> times;
  times.reserve(map.size());
  for (const auto& [key, value] : map) times.push_back(last_seen(value));
  auto middle = times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2);
  std::nth_element(times.begin(), middle, times.end());
  const auto cutoff = *middle;
  std::erase_if(map, [&](const auto& entry) { return last_seen(entry.second) < cutoff; });
}

}  // namespace

void TokenBucketLimiter::make_room(double now_s) {
  std::erase_if(buckets_, [&](const auto& entry) { return entry.second.full_at_s <= now_s; });
  if (buckets_.size() >= max_keys_) {
    drop_oldest_half(buckets_, [](const Bucket& bucket) { return bucket.state.updated_s; });
  }
}

Admission TokenBucketLimiter::admit(std::string_view key, Clock::time_point now) {
  if (!enabled()) return {};
  const double now_s = std::chrono::duration<double>(now.time_since_epoch()).count();
  std::lock_guard lock(mutex_);
  const auto found = buckets_.find(std::string(key));
  const bool seen = found != buckets_.end();
  if (!seen && buckets_.size() >= max_keys_) make_room(now_s);
  const TokenTake take = take_token(seen ? std::optional(found->second.state) : std::nullopt,
                                    limit_, now_s);
  if (seen) {
    found->second = Bucket{take.after, take.full_at_s};
  } else {
    buckets_.emplace(std::string(key), Bucket{take.after, take.full_at_s});
  }
  if (take.allowed) return {};
  return {.allowed = false, .retry_after_s = whole_seconds_at_least_one(take.retry_after_s)};
}

Admission SharedLimiter::admit(std::string_view key) {
  if (!enabled()) return {};
  const double now_s = unix_now_();
  if (degraded_.load()) {
    // One request asks the database again once the wait is over; the others keep counting here
    // instead of queueing behind it on a database that may still not answer.
    double next_try_s = next_database_try_s_.load();
    if (now_s < next_try_s ||
        !next_database_try_s_.compare_exchange_strong(next_try_s, now_s + kRetryDatabaseAfterS)) {
      return fallback_.admit(key, Clock::now());
    }
  }
  const std::string bucket_key = key_prefix_ + std::string(key);
  Result<TokenTake> take =
      counters_.take_token(bucket_key, limit_, now_s);
  if (!take) {
    next_database_try_s_ = now_s + kRetryDatabaseAfterS;
    if (!degraded_.exchange(true)) {
      log::warn("shared rate limit unavailable: counting in this process until the database "
                "answers",
                {{"limit", key_prefix_}, {"error", take.error().message}});
    }
    return fallback_.admit(key, Clock::now());
  }
  if (degraded_.exchange(false)) log::info("shared rate limit back", {{"limit", key_prefix_}});
  if (take->allowed) return {};
  return {.allowed = false, .retry_after_s = whole_seconds_at_least_one(take->retry_after_s)};
}

size_t TokenBucketLimiter::tracked_keys() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

bool AuthFailureLockout::stale(const Record& record, Clock::time_point now) const {
  return now >= record.locked_until && now - record.window_start >= options_.window;
}

void AuthFailureLockout::make_room(Clock::time_point now) {
  std::erase_if(records_, [&](const auto& entry) { return stale(entry.second, now); });
  if (records_.size() >= options_.max_keys) {
    drop_oldest_half(records_, [](const Record& record) {
      return std::max(record.window_start, record.locked_until);
    });
  }
}

Admission AuthFailureLockout::check(std::string_view key, Clock::time_point now) const {
  if (!enabled()) return {};
  std::lock_guard lock(mutex_);
  const auto found = records_.find(std::string(key));
  if (found == records_.end() || now >= found->second.locked_until) return {};
  const double wait_s = std::chrono::duration<double>(found->second.locked_until - now).count();
  return {.allowed = false, .retry_after_s = whole_seconds_at_least_one(wait_s)};
}

void AuthFailureLockout::record_failure(std::string_view key, Clock::time_point now) {
  if (!enabled()) return;
  std::lock_guard lock(mutex_);
  auto found = records_.find(std::string(key));
  if (found == records_.end()) {
    if (records_.size() >= options_.max_keys) make_room(now);
    found = records_
                .emplace(std::string(key),
                         Record{.failures = 0, .window_start = now, .locked_until = {}})
                .first;
  }
  Record& record = found->second;
  if (now - record.window_start >= options_.window) {
    record.failures = 0;
    record.window_start = now;
  }
  if (++record.failures >= options_.failures) {
    record.locked_until = now + options_.lockout;
    record.failures = 0;
    record.window_start = now;
  }
}

size_t AuthFailureLockout::tracked_keys() const {
  std::lock_guard lock(mutex_);
  return records_.size();
}

api::Reply rate_limited_reply(RouteShape shape, const Admission& refused, std::string_view why) {
  constexpr const char* kMessage = "rate limit exceeded";
  nlohmann::json body;
  if (shape == RouteShape::kFutureShape) {
    body = {{"state", false}, {"message", kMessage}, {"detail", why}};
  } else {
    body = {{"state", -1},
            {"message", kMessage},
            {"errors", why},
            {"data", {{"code", "rate_limited"}, {"detail", why}}}};
  }
  return {.status = 429,
          .body = body.dump(),
          .retry_after = std::to_string(std::max(1, refused.retry_after_s))};
}

}  // namespace bodyshape::server

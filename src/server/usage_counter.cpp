#include "server/usage_counter.h"

#include "common/log.h"

namespace bodyshape::server {

UsageCounter::UsageCounter(storage::CounterStore& store, std::chrono::milliseconds flush_interval)
    : store_(store), flusher_([this, flush_interval] { flush_every(flush_interval); }) {}

UsageCounter::~UsageCounter() {
  stop();
}

void UsageCounter::count(std::string_view email, std::string_view utc_day) {
  AccountDay key{std::string(email), std::string(utc_day)};  // allocated outside the lock
  const std::lock_guard lock(mutex_);
  ++pending_[std::move(key)];
}

Status UsageCounter::flush() {
  std::map<AccountDay, int64_t> batch;
  {
    const std::lock_guard lock(mutex_);
    batch.swap(pending_);  // requests keep counting while the database is written
  }
  Status written = Ok{};
  auto unwritten = batch.begin();
  for (; unwritten != batch.end(); ++unwritten) {
    const auto& [account_day, requests] = *unwritten;
    written = store_.add_requests(account_day.first, account_day.second, requests);
    if (!written) break;
  }
  if (written) return written;
  size_t rows_kept = 0;
  {
    const std::lock_guard lock(mutex_);
    for (; unwritten != batch.end(); ++unwritten) pending_[unwritten->first] += unwritten->second;
    rows_kept = pending_.size();
  }
  log::warn("cannot write usage counts; kept for the next flush",
            {{"error", written.error().message}, {"pending_rows", std::to_string(rows_kept)}});
  return written;
}

void UsageCounter::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_requested_.notify_all();
  if (flusher_.joinable()) flusher_.join();
  (void)flush();  // a failure is logged; the counts stay for a later flush() or the destructor
}

size_t UsageCounter::pending_rows() const {
  const std::lock_guard lock(mutex_);
  return pending_.size();
}

void UsageCounter::flush_every(std::chrono::milliseconds interval) {
  std::unique_lock lock(mutex_);
  while (!stop_requested_.wait_for(lock, interval, [this] { return stopping_; })) {
    lock.unlock();
    (void)flush();  // a failure is logged and retried next time
    lock.lock();
  }
}

}  // namespace bodyshape::server

// Requests per account per UTC day for `bodyshape accounts usage`, counted in memory on the
// request path and written to the account database in batches, so that no request waits for a
// database write (SQLite's lock, which authentication also takes; PostgreSQL's sessions):
//
//   UsageCounter usage(account_store.counters(), std::chrono::seconds(2));
//   usage.count("ann@example.com", storage::utc_day(std::chrono::system_clock::now()));
//   ... every 2 s its own thread writes one add_requests() per (account, day) counted since ...
//   usage.stop();  // after the last request: the final write
//
// A write that fails keeps its counts (and adds what is counted meanwhile) for the next flush and
// logs one warning; nothing throws. What is lost: the counts of the last interval when the process
// dies without stop() (SIGKILL, a crash); a graceful stop writes everything.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "common/result.h"
#include "storage/counter_store.h"

namespace bodyshape::server {

class UsageCounter {
 public:
  // Starts the thread that flushes every `flush_interval`.
  UsageCounter(storage::CounterStore& store, std::chrono::milliseconds flush_interval);
  ~UsageCounter();  // stop()
  UsageCounter(const UsageCounter&) = delete;
  UsageCounter& operator=(const UsageCounter&) = delete;

  // One request of `email` (normalised) on `utc_day`; memory only. Thread-safe.
  void count(std::string_view email, std::string_view utc_day);

  // Writes the pending counts, one add_requests() per (account, day). The first failure ends the
  // flush: it and the unwritten rest stay pending, it is logged once and returned.
  Status flush();

  // Ends the periodic flushes, then flushes once more. Counts after it wait for flush() or the
  // destructor. Call it from one thread.
  void stop();

  // (account, day) pairs counted and not yet written.
  size_t pending_rows() const;

 private:
  using AccountDay = std::pair<std::string, std::string>;  // e-mail, UTC day

  void flush_every(std::chrono::milliseconds interval);

  storage::CounterStore& store_;
  mutable std::mutex mutex_;  // guards pending_ and stopping_
  std::map<AccountDay, int64_t> pending_;
  bool stopping_ = false;
  std::condition_variable stop_requested_;
  std::thread flusher_;  // last: starts once everything it reads exists
};

}  // namespace bodyshape::server

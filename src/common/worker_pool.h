// A fixed set of workers (each owns its model runtimes) lent to requests one at a time, with a
// bounded number of requests allowed to wait. A full queue answers at once (kResourceExhausted,
// "server busy"); a wait longer than the deadline gives kDeadlineExceeded.
//
//   WorkerPool<Estimator> pool(std::move(estimators), /*max_waiting=*/16);
//   auto lease = pool.acquire(std::chrono::seconds(10));
//   if (!lease) return lease.error();
//   (*lease)->estimate(image);          // returned to the pool when the lease goes away
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "common/result.h"

namespace bodyshape {

template <class Worker>
class WorkerPool {
 public:
  class Lease {
   public:
    Lease(WorkerPool* pool, std::unique_ptr<Worker> worker)
        : pool_(pool), worker_(std::move(worker)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (worker_) pool_->give_back(std::move(worker_));
    }
    Worker* operator->() const { return worker_.get(); }
    Worker& operator*() const { return *worker_; }

   private:
    WorkerPool* pool_;
    std::unique_ptr<Worker> worker_;
  };

  WorkerPool(std::vector<std::unique_ptr<Worker>> workers, size_t max_waiting)
      : idle_(std::move(workers)), size_(idle_.size()), max_waiting_(max_waiting) {}

  Result<Lease> acquire(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (idle_.empty()) {
      if (waiting_ >= max_waiting_) {
        return make_error(ErrorCode::kResourceExhausted, "server busy");
      }
      ++waiting_;
      const bool got_one = available_.wait_for(lock, timeout, [this] { return !idle_.empty(); });
      --waiting_;
      if (!got_one) return make_error(ErrorCode::kDeadlineExceeded, "timeout");
    }
    std::unique_ptr<Worker> worker = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(worker));
  }

  size_t waiting() const {
    std::lock_guard lock(mutex_);
    return waiting_;
  }
  // Workers lent out right now (requests running the models).
  size_t busy() const {
    std::lock_guard lock(mutex_);
    return size_ - idle_.size();
  }
  size_t size() const { return size_; }

 private:
  void give_back(std::unique_ptr<Worker> worker) {
    {
      std::lock_guard lock(mutex_);
      idle_.push_back(std::move(worker));
    }
    available_.notify_one();
  }

  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Worker>> idle_;
  const size_t size_;
  size_t waiting_ = 0;
  const size_t max_waiting_;
};

}  // namespace bodyshape

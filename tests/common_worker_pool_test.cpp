#include "common/worker_pool.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

namespace bodyshape {
namespace {

using std::chrono::milliseconds;

std::vector<std::unique_ptr<int>> workers(int count) {
  std::vector<std::unique_ptr<int>> list;
  for (int i = 0; i < count; ++i) list.push_back(std::make_unique<int>(i));
  return list;
}

TEST(WorkerPool, LeaseReturnsWorker) {
  WorkerPool<int> pool(workers(1), 0);
  {
    auto lease = pool.acquire(milliseconds(10));
    ASSERT_TRUE(lease);
    auto second = pool.acquire(milliseconds(10));
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, ErrorCode::kResourceExhausted);  // nobody may wait
  }
  EXPECT_TRUE(pool.acquire(milliseconds(10)));
}

TEST(WorkerPool, WaiterTimesOutWithDeadlineExceeded) {
  WorkerPool<int> pool(workers(1), 4);
  auto held = pool.acquire(milliseconds(10));
  ASSERT_TRUE(held);
  auto waited = pool.acquire(milliseconds(20));
  ASSERT_FALSE(waited);
  EXPECT_EQ(waited.error().code, ErrorCode::kDeadlineExceeded);
}

TEST(WorkerPool, QueueBoundIsHeldUnderContention) {
  WorkerPool<int> pool(workers(2), 3);
  std::atomic<int> served = 0, busy = 0;
  std::vector<std::thread> clients;
  for (int i = 0; i < 16; ++i) {
    clients.emplace_back([&] {
      auto lease = pool.acquire(milliseconds(2000));
      if (!lease) {
        busy += lease.error().code == ErrorCode::kResourceExhausted;
        return;
      }
      std::this_thread::sleep_for(milliseconds(20));
      ++served;
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(served + busy, 16);
  EXPECT_GE(served, 2);
  EXPECT_LE(pool.waiting(), 0u);
}

}  // namespace
}  // namespace bodyshape

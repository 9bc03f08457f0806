// End to end, everything real on loopback: PostgreSQL, s3rver, three `bodyshape serve` replicas
// sharing them (one pepper, client_address_header = X-Forwarded-For) and nginx in front with
// deploy/nginx.conf (only its listen, upstream addresses and file paths changed:
// support/nginx.h). Checks that requests spread over the replicas, that a per-account limit of N
// admits exactly N requests in all whichever replicas serve them (the buckets are in PostgreSQL),
// that usage is counted across replicas, and that a replica killed with SIGKILL costs no request
// (proxy_next_upstream retries it elsewhere). One test, because the set-up is most of the time.
// Skips when nginx or PostgreSQL is not installed (scripts/setup installs both).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/database.h"
#include "support/nginx.h"
#include "support/postgres.h"
#include "support/s3rver.h"
#include "support/server_process.h"
#include "support/testdata.h"

namespace bodyshape {
namespace {

using nlohmann::json;
using testing::ServerProcess;

constexpr const char* kSegmentation = "/analyze/segmentation-v2";
constexpr const char* kFutureShape = "/api/analysis-future-shape";
constexpr int kReplicas = 3;
constexpr int kAccountBurst = 10;  // the N of "exactly N admitted"
const std::string kPepper(64, 'r');

// bodyshape_http_requests_total{route=ROUTE,status=STATUS} on one replica, asked directly.
int served(const ServerProcess& replica, const std::string& route, int status) {
  auto response = replica.client(5).Get("/metrics");
  if (!response) return -1;
  const std::regex line("bodyshape_http_requests_total\\{route=\"" + route + "\",status=\"" +
                        std::to_string(status) + "\"\\} ([0-9]+)");
  std::smatch match;
  return std::regex_search(response->body, match, line) ? std::stoi(match[1]) : 0;
}

int post_segmentation(int nginx_port) {
  httplib::Client client("127.0.0.1", nginx_port);
  client.set_read_timeout(30, 0);
  auto response = client.Post(kSegmentation, R"({"imgSrc": "tiny.jpg"})", "application/json");
  return response ? response->status : -1;
}

TEST(ReplicasBehindNginx, SpreadSharedAccountLimitAndAKilledReplicaCostsNoRequest) {
  if (testing::nginx_binary().empty()) {
    GTEST_SKIP() << "nginx is not installed (scripts/setup installs it: "
                    "scripts/debian-packages.txt)";
  }
  std::string why_not;
  testing::PostgresServer* postgres = testing::shared_postgres(&why_not);
  if (postgres == nullptr) GTEST_SKIP() << why_not;
  const auto started = std::chrono::steady_clock::now();

  const std::string database = postgres->create_database();
  testing::S3rverProcess s3({.buckets = {"photos"}});
  const auto tiny =
      testing::read_bytes(testing::shared_path("testdata/images/tiny_32x24_man_yoga.jpg"));
  ASSERT_EQ(s3.put("photos", "tiny.jpg", std::string(tiny.begin(), tiny.end())), "");

  const std::vector<std::string> shared_settings = {"--database", database, "--auth-pepper",
                                                    kPepper};
  std::vector<std::string> replica_args = shared_settings;
  replica_args.insert(
      replica_args.end(),
      {"--client-address-header", "X-Forwarded-For", "--s3-endpoint", s3.endpoint(), "--s3-bucket",
       "photos", "--landmark-model", "lite", "--inference-workers", "1", "--rate-limit-per-account",
       "1", "--rate-limit-per-account-burst", std::to_string(kAccountBurst), "--rate-limit-per-ip",
       "60000", "--rate-limit-per-ip-burst", "10000"});
  const std::map<std::string, std::string> s3_env = {
      {"AWS_ACCESS_KEY_ID", s3.options().access_key},
      {"AWS_SECRET_ACCESS_KEY", s3.options().secret_key},
      {"AWS_REGION", "us-east-1"}};
  // Started in parallel (each loads its models); get() rethrows a replica's failure to start here,
  // as a test failure, after every other one has finished starting.
  std::vector<std::future<std::unique_ptr<ServerProcess>>> starting;
  for (int i = 0; i < kReplicas; ++i) {
    starting.push_back(std::async(std::launch::async, [&] {
      return std::make_unique<ServerProcess>(replica_args, s3_env);
    }));
  }
  for (auto& replica : starting) replica.wait();
  std::vector<std::unique_ptr<ServerProcess>> replicas;
  for (auto& replica : starting) replicas.push_back(replica.get());
  std::vector<int> ports;
  for (const auto& replica : replicas) ports.push_back(replica->port());
  testing::NginxProcess nginx(testing::read_text(std::string(BODYSHAPE_SOURCE_DIR) + "/deploy/nginx.conf"),
                              ports);
  const double setup_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  {
    SCOPED_TRACE("(a) requests spread across the replicas");
    constexpr int kRequests = 30;
    for (int i = 0; i < kRequests; ++i) ASSERT_EQ(post_segmentation(nginx.port()), 200) << i;
    // A replica counts a request once its answer is written, so the client can see the answer a
    // moment before /metrics does (seen once under a loaded ctest -j): ask again for up to 2 s.
    std::vector<int> counts;
    int total = 0;
    for (int attempt = 0; attempt < 40 && total != kRequests; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      counts.clear();
      total = 0;
      for (const auto& replica : replicas) {
        counts.push_back(served(*replica, kSegmentation, 200));
        total += counts.back();
      }
    }
    for (int count : counts) {
      EXPECT_GE(count, kRequests / kReplicas / 3) << "least_conn ties go round-robin";
    }
    EXPECT_EQ(total, kRequests);
  }

  {
    SCOPED_TRACE("(b) a per-account limit of N holds across the replicas");
    testing::TempDir cli_dir;
    std::vector<std::string> create = {"accounts",           "create",     "--email",
                                       "shared@example.com", "--data-dir", cli_dir.path()};
    create.insert(create.end(), shared_settings.begin(), shared_settings.end());
    const auto created = testing::run_bodyshape(create);
    ASSERT_EQ(created.exit_code, 0) << created.err;
    json request = json::parse(created.out);
    request.update({{"base64Image", "AAAA"}, {"requestMessage", "best"}, {"gender", "female"}});
    // Past authentication and the limit: 400 "wrong image" (cheap); refused: 429.
    constexpr int kRequests = 30;
    std::atomic<int> admitted{0}, refused{0}, other{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < 3; ++c) {
      clients.emplace_back([&] {
        httplib::Client client("127.0.0.1", nginx.port());
        for (int i = 0; i < kRequests / 3; ++i) {
          auto response = client.Post(kFutureShape, request.dump(), "application/json");
          const int status = response ? response->status : -1;
          (status == 400 ? admitted : status == 429 ? refused : other)++;
        }
      });
    }
    for (std::thread& thread : clients) thread.join();
    EXPECT_EQ(admitted.load(), kAccountBurst);
    EXPECT_EQ(refused.load(), kRequests - kAccountBurst);
    EXPECT_EQ(other.load(), 0);
    int replicas_refusing = 0;
    for (const auto& replica : replicas)
      replicas_refusing += served(*replica, kFutureShape, 429) > 0;
    EXPECT_GE(replicas_refusing, 2) << "the refusals came from more than one replica";

    // Each replica writes its counts every 2 s (server/usage_counter.h): ask for up to 10 s.
    std::vector<std::string> usage = {"accounts", "usage", "--data-dir", cli_dir.path()};
    usage.insert(usage.end(), shared_settings.begin(), shared_settings.end());
    json row;
    const auto usage_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    do {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      const auto listed = testing::run_bodyshape(usage);
      ASSERT_EQ(listed.exit_code, 0) << listed.err;
      if (!listed.out.empty()) row = json::parse(listed.out.substr(0, listed.out.find('\n')));
    } while ((row.empty() || row["requests"] < kAccountBurst) &&
             std::chrono::steady_clock::now() < usage_deadline);
    ASSERT_FALSE(row.empty()) << "no usage written";
    EXPECT_EQ(row["Email"], "shared@example.com");
    EXPECT_EQ(row["requests"], kAccountBurst) << "admitted requests, counted by all replicas";

    // The per-address buckets are shared too, keyed by the address nginx appended.
    EXPECT_EQ(testing::query_int_on(
                  database, "SELECT COUNT(*) FROM rate_buckets WHERE bucket_key = 'ip:127.0.0.1'"),
              1);
  }

  {
    SCOPED_TRACE("(c) a replica killed mid-stream costs no request");
    using SteadyClock = std::chrono::steady_clock;
    struct Outcome {
      SteadyClock::time_point sent, answered;
      int status;
    };
    std::mutex outcomes_mutex;
    std::vector<Outcome> outcomes;
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int c = 0; c < 2; ++c) {
      clients.emplace_back([&] {
        while (!stop.load()) {
          const auto sent = SteadyClock::now();
          const int status = post_segmentation(nginx.port());
          const std::lock_guard lock(outcomes_mutex);
          outcomes.push_back({sent, SteadyClock::now(), status});
        }
      });
    }
    const auto count_outcomes = [&] {
      const std::lock_guard lock(outcomes_mutex);
      return outcomes.size();
    };
    while (count_outcomes() < 20) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const auto kill_started = SteadyClock::now();
    EXPECT_EQ(replicas[1]->kill_now(), 128 + 9);
    const auto killed = SteadyClock::now();
    const size_t before_kill = count_outcomes();
    while (count_outcomes() < before_kill + 40) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    stop = true;
    for (std::thread& thread : clients) thread.join();

    int after = 0, failed_after = 0, failed_in_flight = 0;
    for (const Outcome& outcome : outcomes) {
      if (outcome.sent >= killed) {
        ++after;
        if (outcome.status != 200) ++failed_after;
      } else if (outcome.answered >= kill_started && outcome.status != 200) {
        ++failed_in_flight;
      }
    }
    EXPECT_GE(after, 30);
    EXPECT_EQ(failed_after, 0) << "of " << after << " requests sent after the kill";
    EXPECT_LE(failed_in_flight, 2) << "at most the requests in flight on the killed replica";
    // Not vacuous: nginx did meet the dead replica and retried elsewhere.
    EXPECT_NE(nginx.error_log().find("while connecting to upstream"), std::string::npos)
        << nginx.error_log();
  }
  const double total_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("set-up %.1f s, whole test %.1f s\n", setup_s, total_s);
  EXPECT_LT(total_s, 120) << "a generous bound; about 20 s on 2 cores";
}

}  // namespace
}  // namespace bodyshape

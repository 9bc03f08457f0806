// End to end, the real binary on loopback: admission control (busy, timeout), rate limits and the
// auth-failure lockout, faults (bad models, locked database, SIGTERM under load, kill -9 during
// account creation), logs without secrets, and a bounded mixed load with flat memory.
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "image/image.h"
#include "support/server_process.h"
#include "support/testdata.h"

namespace bodyshape {
namespace {

using nlohmann::json;
using testing::read_bytes;
using testing::run_bodyshape;
using testing::ServerProcess;
using testing::shared_path;
using testing::TempDir;

constexpr const char* kFutureShape = "/api/analysis-future-shape";
constexpr const char* kSegmentation = "/analyze/segmentation-v2";

struct Answer {
  int status = -1;  // -1 = no HTTP answer at all
  json body;
  std::string retry_after;
  std::string request_id;
};

Answer post(const ServerProcess& server, const std::string& route, const std::string& body) {
  httplib::Client client = server.client();
  auto response = client.Post(route, body, "application/json");
  if (!response) return {};
  return {response->status, json::parse(response->body, nullptr, false),
          response->get_header_value("Retry-After"), response->get_header_value("X-Request-Id")};
}

std::string photo_base64(const std::string& name) {
  return image::base64_encode(read_bytes(shared_path("testdata/images/" + name)));
}

json request_for(const json& keys, const std::string& image_base64) {
  return {{"Email", keys["Email"]},      {"UserKey", keys["UserKey"]}, {"APIKey", keys["APIKey"]},
          {"base64Image", image_base64}, {"requestMessage", "best"},   {"gender", "female"}};
}

// Sends the bodies at once from one thread each; answers in the same order.
std::vector<Answer> post_concurrently(const ServerProcess& server,
                                      const std::vector<std::string>& bodies) {
  std::vector<Answer> answers(bodies.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < bodies.size(); ++i) {
    threads.emplace_back([&, i] { answers[i] = post(server, kFutureShape, bodies[i]); });
  }
  for (std::thread& thread : threads) thread.join();
  return answers;
}

// --- admission control -------------------------------------------------------------------------

TEST(Admission, AFullQueueAnswers503ServerBusyWithRetryAfterAndNever500) {
  ServerProcess server({"--inference-workers", "1", "--max-queued-requests", "1"});
  const json keys = json::parse(server.create_account("busy@example.com"));
  const std::string body = request_for(keys, photo_base64("man_yoga_warrior_beach.jpg")).dump();
  int busy = 0, ok = 0;
  for (int round = 0; round < 3 && busy == 0; ++round) {
    for (const Answer& answer : post_concurrently(server, std::vector<std::string>(6, body))) {
      ASSERT_TRUE(answer.status == 200 || answer.status == 503) << answer.status << answer.body;
      if (answer.status == 200) {
        ++ok;
        continue;
      }
      ++busy;
      EXPECT_EQ(answer.body, (json{{"state", false}, {"message", "server busy"}}));
      EXPECT_EQ(answer.retry_after, "1");
    }
  }
  EXPECT_GT(busy, 0) << "6 requests at once never overflowed a queue of 1";
  EXPECT_GE(ok, 2) << "one running and one queued request must still succeed";
  EXPECT_TRUE(server.alive());
  EXPECT_EQ(post(server, kFutureShape, body).status, 200) << "the server recovers";
}

TEST(Admission, AWaitPastRequestTimeoutAnswers503Timeout) {
  ServerProcess server(
      {"--inference-workers", "1", "--max-queued-requests", "8", "--request-timeout-ms", "1"});
  const json keys = json::parse(server.create_account("slow@example.com"));
  const std::string body = request_for(keys, photo_base64("man_yoga_warrior_beach.jpg")).dump();
  int timeouts = 0;
  for (int round = 0; round < 3 && timeouts == 0; ++round) {
    for (const Answer& answer : post_concurrently(server, std::vector<std::string>(4, body))) {
      ASSERT_TRUE(answer.status == 200 || answer.status == 503) << answer.status << answer.body;
      if (answer.status != 503) continue;
      ++timeouts;
      EXPECT_EQ(answer.body, (json{{"state", false}, {"message", "timeout"}}));
      EXPECT_EQ(answer.retry_after, "1");
    }
  }
  EXPECT_GT(timeouts, 0);
  EXPECT_TRUE(server.alive());
}

// --- rate limits and lockout -------------------------------------------------------------------

TEST(RateLimit, PerAddressBurstThen429InEachRoutesShape) {
  ServerProcess server({"--rate-limit-per-ip", "6", "--rate-limit-per-ip-burst", "3"});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(post(server, kFutureShape, "{}").status, 400) << i;
  const Answer limited = post(server, kFutureShape, "{}");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.body["state"], false);
  EXPECT_EQ(limited.body["message"], "rate limit exceeded");
  EXPECT_GE(std::stoi(limited.retry_after), 1);
  EXPECT_LE(std::stoi(limited.retry_after), 10);  // a token every 10 s
  EXPECT_FALSE(limited.request_id.empty());

  const Answer segmentation = post(server, kSegmentation, R"({"imgSrc":"a.jpg"})");
  EXPECT_EQ(segmentation.status, 429);
  EXPECT_EQ(segmentation.body["state"], -1);
  EXPECT_EQ(segmentation.body["message"], "rate limit exceeded");
  EXPECT_EQ(segmentation.body["data"]["code"], "rate_limited");
  EXPECT_FALSE(segmentation.retry_after.empty());

  auto health = server.client().Get("/healthz");  // probes are never limited
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST(RateLimit, PerAccountCountsOnlyAuthenticatedRequests) {
  ServerProcess server({"--rate-limit-per-ip", "0", "--rate-limit-per-account", "1",
                        "--rate-limit-per-account-burst", "2", "--auth-lockout-failures", "0"});
  const json keys = json::parse(server.create_account("limited@example.com"));
  json wrong_keys = keys;
  wrong_keys["APIKey"] = std::string(64, '0');
  const std::string not_an_image = request_for(keys, "AAAA").dump();  // 400 after auth: cheap
  // Someone else naming the account spends nothing of its budget.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(post(server, kFutureShape, request_for(wrong_keys, "AAAA").dump()).status, 401);
  }
  EXPECT_EQ(post(server, kFutureShape, not_an_image).status, 400);
  EXPECT_EQ(post(server, kFutureShape, not_an_image).status, 400);
  const Answer limited = post(server, kFutureShape, not_an_image);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.body["message"], "rate limit exceeded");
  EXPECT_EQ(limited.body["detail"], "too many requests for this account");
  EXPECT_GE(std::stoi(limited.retry_after), 1);
  // Another account is not affected.
  const json other = json::parse(server.create_account("other@example.com"));
  EXPECT_EQ(post(server, kFutureShape, request_for(other, "AAAA").dump()).status, 400);
}

TEST(RateLimit, RepeatedAuthFailuresLockTheAddressOut) {
  ServerProcess server({"--auth-lockout-failures", "3", "--auth-lockout-s", "60"});
  const json keys = json::parse(server.create_account("victim@example.com"));
  json wrong_keys = keys;
  wrong_keys["UserKey"] = std::string(64, 'f');
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(post(server, kFutureShape, request_for(wrong_keys, "AAAA").dump()).status, 401) << i;
  }
  // Locked out: even the right keys are refused until the lockout ends.
  const Answer locked = post(server, kFutureShape, request_for(keys, "AAAA").dump());
  EXPECT_EQ(locked.status, 429);
  EXPECT_EQ(locked.body["message"], "rate limit exceeded");
  EXPECT_EQ(locked.body["detail"], "too many failed authentications from this address");
  EXPECT_GT(std::stoi(locked.retry_after), 50);
  EXPECT_LE(std::stoi(locked.retry_after), 60);
}

TEST(Logs, EveryRequestLineHasAnIdAndNoKeysOrImages) {
  ServerProcess server;
  const json keys = json::parse(server.create_account("logs@example.com"));
  const std::string photo = photo_base64("tiny_32x24_man_yoga.jpg");
  std::set<std::string> header_ids;
  for (const std::string& body :
       {request_for(keys, photo).dump(), std::string("{bad"), request_for(keys, "AAAA").dump()}) {
    const Answer answer = post(server, kFutureShape, body);
    ASSERT_NE(answer.status, -1);
    ASSERT_EQ(answer.request_id.size(), 16u);
    header_ids.insert(answer.request_id);
  }
  EXPECT_EQ(header_ids.size(), 3u) << "ids are unique";
  // The request line is written after the answer is sent: give the last one a moment.
  std::string log;
  for (int attempt = 0; attempt < 50; ++attempt) {
    log = server.log();
    if (log.find(" id=" + *header_ids.rbegin()) != std::string::npos &&
        log.find(" id=" + *header_ids.begin()) != std::string::npos) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      log = server.log();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(log.find(keys["UserKey"].get<std::string>()), std::string::npos);
  EXPECT_EQ(log.find(keys["APIKey"].get<std::string>()), std::string::npos);
  EXPECT_EQ(log.find(photo.substr(0, 24)), std::string::npos) << "no image bytes";
  std::istringstream lines(log);
  std::string line;
  int request_lines = 0;
  while (std::getline(lines, line)) {
    if (line.find(" request ") == std::string::npos) continue;
    ++request_lines;
    const size_t id = line.find(" id=");
    ASSERT_NE(id, std::string::npos) << line;
    header_ids.erase(line.substr(id + 4, 16));
  }
  EXPECT_GE(request_lines, 3);
  EXPECT_TRUE(header_ids.empty()) << "each X-Request-Id appears in the log";
}

// --- faults ------------------------------------------------------------------------------------

TEST(Faults, MissingOrTruncatedModelsStopTheServerWithAClearMessage) {
  TempDir data;
  TempDir empty_models;
  const std::vector<std::string> serve = {"serve", "--host",     "127.0.0.1", "--port",
                                          "0",     "--data-dir", data.path(), "--model-dir"};
  auto with_dir = [&](const std::string& dir) {
    std::vector<std::string> args = serve;
    args.push_back(dir);
    return args;
  };
  const auto missing = run_bodyshape(with_dir(empty_models.path()));
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("cannot load the models"), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find(empty_models.path()), std::string::npos) << "names the file";

  TempDir truncated_models;  // every model cut to its first quarter
  for (const auto& entry : std::filesystem::directory_iterator(BODYSHAPE_SOURCE_DIR "/models")) {
    const std::vector<uint8_t> bytes = read_bytes(entry.path().string());
    std::ofstream out(truncated_models.path() + "/" + entry.path().filename().string(),
                      std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size() / 4));
  }
  const auto truncated = run_bodyshape(with_dir(truncated_models.path()));
  EXPECT_NE(truncated.exit_code, 0);
  EXPECT_NE(truncated.err.find("cannot load the models"), std::string::npos) << truncated.err;
  EXPECT_EQ(truncated.err.find("Sanitizer"), std::string::npos) << truncated.err;
}

// The database's file damaged under the running server (a failing disk, a bad restore): the
// account lookup fails inside SQLite. (A lock cannot do it: in WAL mode readers are never blocked,
// and the server's open connection keeps any other from taking the exclusive lock.)
void damage_database_under_server(const std::string& path) {
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  // Everything into the main file first, so the damage below is what the server will read.
  ASSERT_EQ(
      sqlite3_exec(other, "PRAGMA wal_checkpoint(TRUNCATE); SELECT count(*) FROM sqlite_master;",
                   nullptr, nullptr, nullptr),
      SQLITE_OK);
  {
    const auto size = std::filesystem::file_size(path);
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    const std::string garbage(size, '\x5a');
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  // A commit from another connection makes the server drop its page cache and read the file.
  sqlite3_exec(other, "CREATE TABLE probe(x);", nullptr, nullptr, nullptr);
  sqlite3_close(other);
}

TEST(Faults, ADamagedDatabaseAnswers503JsonNot500) {
  ServerProcess server;
  const json keys = json::parse(server.create_account("db@example.com"));
  const std::string body = request_for(keys, "AAAA").dump();
  ASSERT_EQ(post(server, kFutureShape, body).status, 400);
  damage_database_under_server(server.data_dir() + "/accounts.db");
  const Answer answer = post(server, kFutureShape, body);
  EXPECT_EQ(answer.status, 503) << answer.body;
  EXPECT_EQ(answer.body["state"], false);
  EXPECT_TRUE(answer.body["message"].is_string());
  EXPECT_FALSE(answer.retry_after.empty());
  EXPECT_TRUE(server.alive());
}

TEST(Faults, SigtermUnderLoadFinishesInFlightRequestsAndExits0) {
  ServerProcess server({"--inference-workers", "2", "--max-queued-requests", "8"});
  const json keys = json::parse(server.create_account("term@example.com"));
  const std::string body = request_for(keys, photo_base64("man_yoga_warrior_beach.jpg")).dump();
  const int port = server.port();
  std::vector<Answer> answers(4);
  std::vector<std::thread> clients;
  for (size_t i = 0; i < answers.size(); ++i) {
    clients.emplace_back([&, i] { answers[i] = post(server, kFutureShape, body); });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(150));  // all four in flight
  const int exit_code = server.stop();
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(exit_code, 0);
  for (const Answer& answer : answers) {
    EXPECT_EQ(answer.status, 200) << "an in-flight request was dropped";
  }
  httplib::Client late("127.0.0.1", port);
  late.set_connection_timeout(1, 0);
  EXPECT_FALSE(late.Get("/healthz")) << "no longer accepting";
}

// build/bodyshape with args, output to /dev/null, not waited for.
pid_t spawn_quietly(const std::vector<std::string>& args) {
  return testing::spawn_process(testing::bodyshape_argv(args), {});
}

TEST(Faults, KillDashNineDuringAccountCreationLeavesAConsistentDatabase) {
  TempDir data;
  ASSERT_EQ(run_bodyshape(
                {"accounts", "create", "--email", "first@example.com", "--data-dir", data.path()})
                .exit_code,
            0);
  for (int i = 0; i < 24; ++i) {
    const pid_t pid =
        spawn_quietly({"accounts", "create", "--email", "user" + std::to_string(i) + "@example.com",
                       "--data-dir", data.path()});
    std::this_thread::sleep_for(std::chrono::microseconds(500 * (i % 12)));  // 0 .. 5.5 ms
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
  }
  const auto listed = run_bodyshape({"accounts", "list", "--data-dir", data.path()});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  std::istringstream lines(listed.out);
  std::string line;
  int accounts = 0;
  while (std::getline(lines, line)) {
    const json account = json::parse(line, nullptr, false);
    ASSERT_FALSE(account.is_discarded()) << line;
    ++accounts;
  }
  EXPECT_GE(accounts, 1);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((data.path() + "/accounts.db").c_str(), &db), SQLITE_OK);
  std::string integrity;
  sqlite3_exec(
      db, "PRAGMA integrity_check;",
      [](void* out, int, char** values, char**) {
        *static_cast<std::string*>(out) += values[0] ? values[0] : "";
        return 0;
      },
      &integrity, nullptr);
  sqlite3_close(db);
  EXPECT_EQ(integrity, "ok");
  const auto created = run_bodyshape(
      {"accounts", "create", "--email", "after@example.com", "--data-dir", data.path()});
  EXPECT_EQ(created.exit_code, 0) << created.err;
}

// --- load --------------------------------------------------------------------------------------

TEST(Load, MixedRequestsFromFourClientsGetJsonAnswersAndMemoryStaysFlat) {
  ServerProcess server({"--inference-workers", "2", "--max-queued-requests", "2", "--http-threads",
                        "4", "--body-limit-bytes", "1048576"});
  const json keys = json::parse(server.create_account("load@example.com"));
  const std::vector<std::string> bodies = {
      request_for(keys, photo_base64("man_business_suit_standing.jpg")).dump(),  // good
      request_for(keys,
                  image::base64_encode(read_bytes(shared_path("testdata/bad/truncated_40pct.jpg"))))
          .dump(),                                                  // bad
      "{not json",                                                  // bad
      request_for(keys, std::string(1 << 20, 'A')).dump(),          // oversize
      request_for(keys, photo_base64("no_person_dog.jpg")).dump(),  // no person
  };
  const std::set<int> allowed = {200, 400, 413, 429, 503};
  std::mutex mutex;
  std::map<int, int> by_status;
  std::vector<std::string> problems;
  auto run_clients = [&](int requests_per_client) {
    std::vector<std::thread> clients;
    for (int c = 0; c < 4; ++c) {
      clients.emplace_back([&, c] {
        for (int r = 0; r < requests_per_client; ++r) {
          const Answer answer = post(server, kFutureShape, bodies[(c + r) % bodies.size()]);
          std::lock_guard lock(mutex);
          ++by_status[answer.status];
          if (!allowed.count(answer.status) || answer.body.is_discarded() ||
              !answer.body.contains("state")) {
            problems.push_back(std::to_string(answer.status) + " " + answer.body.dump());
          }
        }
      });
    }
    for (std::thread& client : clients) client.join();
  };
  run_clients(5);  // warm-up: every kind of request on every thread
  const long rss_warm_kb = server.rss_kb();
  run_clients(15);  // 4 x 15 = 60 requests
  const long rss_after_kb = server.rss_kb();
  EXPECT_TRUE(server.alive());
  EXPECT_TRUE(problems.empty()) << problems.front();
  EXPECT_GT(by_status[200], 0);
  EXPECT_GT(by_status[400], 0);
  EXPECT_GT(by_status[413], 0);
  EXPECT_LT(rss_after_kb, rss_warm_kb * 11 / 10)
      << "RSS " << rss_warm_kb << " kB after warm-up -> " << rss_after_kb << " kB";
  std::string summary;
  for (const auto& [status, count] : by_status) {
    summary += std::to_string(status) + ":" + std::to_string(count) + " ";
  }
  std::printf("load: %s RSS %ld -> %ld kB\n", summary.c_str(), rss_warm_kb, rss_after_kb);
  EXPECT_EQ(server.stop(), 0);
}

}  // namespace
}  // namespace bodyshape

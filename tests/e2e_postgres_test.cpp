// End to end: accounts in PostgreSQL. `bodyshape accounts create --database postgresql://...` in
// one process, then `bodyshape serve --database ...` in another authenticates those keys, follows
// the database in /readyz and reconnects after losing it. Skips when PostgreSQL is not installed.
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/postgres.h"
#include "support/server_process.h"
#include "support/testdata.h"

namespace bodyshape {
namespace {

using nlohmann::json;
using testing::run_bodyshape;
using testing::ServerProcess;
using testing::TempDir;

constexpr const char* kFutureShape = "/api/analysis-future-shape";
// Replicas sharing a database must share the pepper; here the CLI and the server.
const std::string kPepper(64, 'e');

// Valid keys with a bad image get past authentication: 400 "wrong image"; bad keys get 401; a
// database that cannot answer, 503.
int post_with(const ServerProcess& server, const json& keys) {
  const json body = {{"Email", keys["Email"]},   {"UserKey", keys["UserKey"]},
                     {"APIKey", keys["APIKey"]}, {"base64Image", "AAAA"},
                     {"requestMessage", "best"}, {"gender", "female"}};
  auto response = server.client().Post(kFutureShape, body.dump(), "application/json");
  return response ? response->status : -1;
}

int readyz(const ServerProcess& server) {
  auto response = server.client().Get("/readyz");
  return response ? response->status : -1;
}

TEST(PostgresEndToEnd, AccountCreatedByTheCliAuthenticatesAtTheServer) {
  std::string why_not;
  testing::PostgresServer* postgres = testing::shared_postgres(&why_not);
  if (postgres == nullptr) GTEST_SKIP() << why_not;
  const std::string url = postgres->create_database();
  TempDir cli_dir;
  const std::vector<std::string> database = {"--database", url,          "--auth-pepper",
                                             kPepper,      "--data-dir", cli_dir.path()};
  std::vector<std::string> create = {"accounts", "create", "--email", "PG@example.com"};
  create.insert(create.end(), database.begin(), database.end());
  const auto created = run_bodyshape(create);
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const json keys = json::parse(created.out);
  std::vector<std::string> list = {"accounts", "list"};
  list.insert(list.end(), database.begin(), database.end());
  const auto listed = run_bodyshape(list);
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("pg@example.com"), std::string::npos) << listed.out;

  ServerProcess server({"--database", url, "--auth-pepper", kPepper});
  EXPECT_EQ(readyz(server), 200) << server.log();
  EXPECT_EQ(post_with(server, keys), 400) << server.log();
  json wrong = keys;
  wrong["APIKey"] = std::string(64, '0');
  EXPECT_EQ(post_with(server, wrong), 401);

  // The server's sessions end (a database restart or failover): the lookups that find them lost
  // connect again and go on, so no request notices.
  postgres->terminate_connections(url);
  EXPECT_EQ(post_with(server, keys), 400) << server.log();
  EXPECT_EQ(post_with(server, keys), 400) << server.log();
  EXPECT_EQ(readyz(server), 200);
  EXPECT_TRUE(server.alive());
}

// The database goes away under a running server: the shared per-address limit fails open to this
// process's buckets (the same limit, counted here alone), so segmentation-v2, which needs no
// database, goes on answering; what needs the database answers 503; nothing crashes.
TEST(PostgresEndToEnd, DatabaseGoneRateLimitFallsBackToTheProcessAndNothingCrashes) {
  // Its own server, stopped half-way (not the shared one the other tests use).
  if (testing::postgres_bin_dir().empty()) GTEST_SKIP() << "PostgreSQL is not installed";
  auto postgres = std::make_unique<testing::PostgresServer>(testing::postgres_bin_dir());
  const std::string url = postgres->create_database();
  ServerProcess server({"--database", url, "--auth-pepper", kPepper, "--rate-limit-per-ip", "1",
                        "--rate-limit-per-ip-burst", "3", "--landmark-model", "lite",
                        "--inference-workers", "1"});
  const auto tiny = testing::read_bytes(testing::shared_path("testdata/images/tiny_32x24_man_yoga.jpg"));
  std::filesystem::create_directories(server.data_dir() + "/objects/images");
  std::ofstream(server.data_dir() + "/objects/images/tiny.jpg", std::ios::binary)
      .write(reinterpret_cast<const char*>(tiny.data()), static_cast<std::streamsize>(tiny.size()));
  const auto segment = [&server] {
    auto response = server.client().Post("/analyze/segmentation-v2", R"({"imgSrc": "tiny.jpg"})",
                                         "application/json");
    return response ? response->status : -1;
  };
  EXPECT_EQ(segment(), 200) << server.log();  // a token from the database's bucket

  postgres.reset();  // stopped: connections refused from now on
  const json keys = {{"Email", "pg@example.com"},
                     {"UserKey", std::string(64, '1')},
                     {"APIKey", std::string(64, '2')}};
  EXPECT_EQ(post_with(server, keys), 503) << server.log();
  EXPECT_EQ(readyz(server), 503);
  // The fallback bucket is fresh (3) and the request above took one.
  for (int i = 0; i < 2; ++i) EXPECT_EQ(segment(), 200) << i << server.log();
  EXPECT_EQ(segment(), 429) << "the fallback buckets keep the limit";
  EXPECT_TRUE(server.alive());
  EXPECT_NE(server.log().find("shared rate limit unavailable"), std::string::npos) << server.log();
}

TEST(PostgresEndToEnd, UnreachableDatabaseOrUnknownSchemeIsAClearError) {
  TempDir dir;
  const std::string unreachable =
      "postgresql://bodyshape:hunter2@127.0.0.1:" + std::to_string(testing::free_loopback_port()) +
      "/accounts";
  const auto refused =
      run_bodyshape({"accounts", "list", "--database", unreachable, "--data-dir", dir.path()});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("127.0.0.1"), std::string::npos) << refused.err;
  EXPECT_EQ(refused.err.find("hunter2"), std::string::npos) << refused.err;

  const auto unknown = run_bodyshape(
      {"accounts", "list", "--database", "mysql://db/accounts", "--data-dir", dir.path()});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.err.find("database"), std::string::npos) << unknown.err;
}

}  // namespace
}  // namespace bodyshape

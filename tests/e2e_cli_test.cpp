// End to end: the CLI's configuration handling and account commands, on the real binary.
#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "image/image.h"
#include "storage/account_schema.h"
#include "support/server_process.h"
#include "support/testdata.h"

namespace bodyshape {
namespace {

using testing::run_bodyshape;
using testing::TempDir;

TEST(Cli, BadPortIsAClearErrorAndNonZeroExit) {
  TempDir dir;
  const auto result = run_bodyshape({"serve", "--port", "70000", "--data-dir", dir.path()});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("port"), std::string::npos) << result.err;
}

TEST(Cli, BadEnvironmentValueNamesTheVariable) {
  TempDir dir;
  const auto result =
      run_bodyshape({"serve", "--data-dir", dir.path()}, {{"BODYSHAPE_PORT", "eighty"}});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("BODYSHAPE_PORT"), std::string::npos) << result.err;
}

TEST(Cli, UnknownConfigFileSettingIsRefused) {
  TempDir dir;
  const std::string path = dir.path() + "/bodyshape.toml";
  std::ofstream(path) << "port = 8080\nno_such_setting = 1\n";
  const auto result = run_bodyshape({"serve", "--config", path, "--data-dir", dir.path()});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("no_such_setting"), std::string::npos) << result.err;
}

TEST(Cli, MalformedConfigFileNamesTheLine) {
  TempDir dir;
  const std::string path = dir.path() + "/bodyshape.toml";
  std::ofstream(path) << "port = 8080\nhost = \n";
  const auto result = run_bodyshape({"serve", "--config", path, "--data-dir", dir.path()});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("line 2"), std::string::npos) << result.err;
}

TEST(Cli, AccountsCreateListRevoke) {
  TempDir dir;
  const auto created =
      run_bodyshape({"accounts", "create", "--email", "Ann@Example.com", "--data-dir", dir.path()});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const auto keys = nlohmann::json::parse(created.out);
  EXPECT_TRUE(keys.contains("UserKey"));
  EXPECT_TRUE(keys.contains("APIKey"));

  const auto duplicate =
      run_bodyshape({"accounts", "create", "--email", "ann@example.com", "--data-dir", dir.path()});
  EXPECT_NE(duplicate.exit_code, 0);

  const auto listed = run_bodyshape({"accounts", "list", "--data-dir", dir.path()});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("ann@example.com"), std::string::npos);
  EXPECT_EQ(listed.out.find(keys["UserKey"].get<std::string>()), std::string::npos);

  const auto revoked =
      run_bodyshape({"accounts", "revoke", "--email", "ann@example.com", "--data-dir", dir.path()});
  EXPECT_EQ(revoked.exit_code, 0) << revoked.err;
  const auto unknown =
      run_bodyshape({"accounts", "revoke", "--email", "zed@example.com", "--data-dir", dir.path()});
  EXPECT_NE(unknown.exit_code, 0);
}

// SQLite (the default): the server counts each admitted authenticated request for its account and
// UTC day; refused ones (bad keys, over the limit) are not counted. The counts are written in
// batches (server/usage_counter.h); a graceful stop writes the last of them, so none is missing.
// The day is read before and after the requests: a run across midnight UTC may count them on
// either day, or one on each.
TEST(Cli, AccountsUsageCountsAdmittedRequestsPerDay) {
  testing::ServerProcess server({"--rate-limit-per-account", "1", "--rate-limit-per-account-burst",
                                 "2", "--landmark-model", "lite", "--inference-workers", "1"});
  auto keys = nlohmann::json::parse(server.create_account("usage@example.com"));
  keys.update({{"base64Image", "AAAA"}, {"requestMessage", "best"}, {"gender", "female"}});
  auto wrong = keys;
  wrong["APIKey"] = std::string(64, '0');
  const std::string day_before = storage::utc_day(std::chrono::system_clock::now());
  std::vector<int> statuses;
  for (const auto* body : {&keys, &keys, &keys, &wrong}) {
    auto response =
        server.client().Post("/api/analysis-future-shape", body->dump(), "application/json");
    statuses.push_back(response ? response->status : -1);
  }
  const std::string day_after = storage::utc_day(std::chrono::system_clock::now());
  EXPECT_EQ(statuses, (std::vector<int>{400, 400, 429, 401}));
  ASSERT_EQ(server.stop(), 0) << server.log();

  const auto usage = run_bodyshape({"accounts", "usage", "--data-dir", server.data_dir()});
  ASSERT_EQ(usage.exit_code, 0) << usage.err;
  std::istringstream lines(usage.out);  // one line per account and day
  size_t rows = 0;
  int64_t requests = 0;
  std::set<std::string> days;
  for (std::string line; std::getline(lines, line); ++rows) {
    const auto row = nlohmann::json::parse(line);
    EXPECT_EQ(row["Email"], "usage@example.com");
    EXPECT_TRUE(row["day"] == day_before || row["day"] == day_after) << row["day"];
    days.insert(row["day"].get<std::string>());
    requests += row["requests"].get<int64_t>();
  }
  ASSERT_GE(rows, 1u) << "no usage written";
  EXPECT_EQ(days.size(), rows) << "one row per day:\n" << usage.out;
  EXPECT_EQ(requests, 2) << usage.out;
}

std::vector<std::string> with_models(std::vector<std::string> args) {
  args.insert(args.end(), {"--model-dir", testing::model_path("")});
  return args;
}

TEST(Cli, PosePrintsEveryPersonsLandmarksAsJson) {
  const auto result = run_bodyshape(with_models(
      {"pose", testing::shared_path("testdata/images/exif_orientation6_woman_squat.jpg")}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto pose = nlohmann::json::parse(result.out);
  EXPECT_EQ(pose["width"], 720);  // EXIF-upright
  EXPECT_EQ(pose["height"], 1280);
  ASSERT_EQ(pose["persons"].size(), 1u);
  EXPECT_EQ(pose["persons"][0]["landmarks"].size(), 33u);
  EXPECT_EQ(pose["persons"][0]["worldLandmarks"].size(), 33u);
  const double nose_x = pose["persons"][0]["landmarks"][0]["x"];
  EXPECT_GT(nose_x, 0.0);
  EXPECT_LT(nose_x, 1.0);
}

TEST(Cli, SegmentAndPredictWriteImagesOfThePhotosSize) {
  TempDir dir;
  const std::string photo = testing::shared_path("testdata/images/man_yoga_warrior_beach.jpg");
  const auto segmented = run_bodyshape(with_models(
      {"segment", photo, "-o", dir.path() + "/mask.png", "--overlay", dir.path() + "/o.png"}));
  ASSERT_EQ(segmented.exit_code, 0) << segmented.err;
  const auto predicted = run_bodyshape(with_models({"predict", photo, "--goal", "best", "--gender",
                                                    "male", "-o", dir.path() + "/after.png",
                                                    "--side-by-side"}));
  ASSERT_EQ(predicted.exit_code, 0) << predicted.err;
  for (const auto& [file, width] : {std::pair{"mask.png", 1000}, std::pair{"o.png", 1000},
                                    std::pair{"after.png", 2000}}) {
    auto decoded = image::decode_image(testing::read_bytes(dir.path() + "/" + file));
    ASSERT_TRUE(decoded) << file;
    EXPECT_EQ(decoded->cols, width) << file;
    EXPECT_EQ(decoded->rows, 667) << file;
  }
}

TEST(Cli, PredictOnBadInputFailsClearly) {
  TempDir dir;
  const auto missing = run_bodyshape(with_models(
      {"predict", dir.path() + "/nothing.jpg", "--goal", "best", "--gender", "male", "-o", "x.png"}));
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("cannot read"), std::string::npos) << missing.err;
  const auto nobody = run_bodyshape(with_models(
      {"predict", testing::shared_path("testdata/images/no_person_terrace.jpg"), "--goal", "best",
       "--gender", "male", "-o", dir.path() + "/x.png"}));
  EXPECT_EQ(nobody.exit_code, 1);
  EXPECT_NE(nobody.err.find("no person"), std::string::npos) << nobody.err;
  const auto bad_goal = run_bodyshape(
      {"predict", "x.jpg", "--goal", "better", "--gender", "male", "-o", dir.path() + "/x.png"});
  EXPECT_NE(bad_goal.exit_code, 0);
}

}  // namespace
}  // namespace bodyshape

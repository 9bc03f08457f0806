// End to end: the CLI's configuration handling and account commands, on the real binary.
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/server_process.h"

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

}  // namespace
}  // namespace bodyshape

#include "server/config.h"

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

namespace bodyshape::server {
namespace {

Result<Config> load(const std::string& toml, const SettingValues& flags,
                    std::vector<std::string> env) {
  std::vector<char*> environment;
  for (std::string& entry : env) environment.push_back(entry.data());
  environment.push_back(nullptr);
  return load_config(toml, flags, environment.data());
}

std::string write_toml(const std::string& text) {
  char path[] = "/tmp/bodyshape-config-XXXXXX";
  const int fd = mkstemp(path);
  close(fd);
  std::ofstream(path) << text;
  return path;
}

TEST(Config, DefaultsAreValid) {
  auto config = load("", {}, {});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->port, 8080);
  EXPECT_EQ(config->body_limit_bytes, 32LL << 20);
  EXPECT_EQ(config->max_pixels, 50'000'000);
}

TEST(Config, FileThenEnvironmentThenFlagsWin) {
  const std::string path = write_toml("port = 1000\nhost = \"127.0.0.1\"\nmax_pixels = 77\n");
  auto config = load(path, {{"port", "3000"}}, {"BODYSHAPE_PORT=2000", "BODYSHAPE_MAX_PIXELS=88"});
  std::remove(path.c_str());
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->port, 3000);
  EXPECT_EQ(config->host, "127.0.0.1");
  EXPECT_EQ(config->max_pixels, 88);
}

TEST(Config, ErrorsNameSourceAndSetting) {
  auto bad_env = load("", {}, {"BODYSHAPE_PORT=abc"});
  ASSERT_FALSE(bad_env);
  EXPECT_NE(bad_env.error().message.find("BODYSHAPE_PORT"), std::string::npos);

  auto unknown_env = load("", {}, {"BODYSHAPE_PROT=1"});
  ASSERT_FALSE(unknown_env);
  EXPECT_NE(unknown_env.error().message.find("BODYSHAPE_PROT"), std::string::npos);

  auto out_of_range = load("", {{"port", "65536"}}, {});
  ASSERT_FALSE(out_of_range);
  EXPECT_NE(out_of_range.error().message.find("port"), std::string::npos);

  auto bad_model = load("", {{"landmark_model", "huge"}}, {});
  ASSERT_FALSE(bad_model);
  EXPECT_NE(bad_model.error().message.find("landmark_model"), std::string::npos);

  const std::string path = write_toml("port = [1]\n");
  auto bad_type = load(path, {}, {});
  std::remove(path.c_str());
  ASSERT_FALSE(bad_type);
  EXPECT_NE(bad_type.error().message.find("'port'"), std::string::npos);
}

TEST(Config, DatabaseIsSqliteOrPostgresUrl) {
  EXPECT_TRUE(load("", {{"database", "sqlite:/tmp/a.db"}}, {}));
  EXPECT_TRUE(load("", {{"database", "postgresql://bodyshape@127.0.0.1:5432/accounts"}}, {}));
  EXPECT_TRUE(load("", {}, {"BODYSHAPE_DATABASE=postgres://db/accounts"}));
  auto mysql = load("", {{"database", "mysql://db/accounts"}}, {});
  ASSERT_FALSE(mysql);
  EXPECT_NE(mysql.error().message.find("database"), std::string::npos);
}

TEST(Config, OtherEnvironmentVariablesAreIgnored) {
  auto config = load("", {}, {"HOME=/root", "PATH=/bin", "BODYSHAPEX=1"});
  EXPECT_TRUE(config);
}

}  // namespace
}  // namespace bodyshape::server

// End to end: /analyze/segmentation-v2 on the real binary reading from a real S3 protocol peer
// (s3rver on loopback). The mask must equal the person pipeline run locally on the same photo.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "image/image.h"
#include "person/person.h"
#include "support/s3rver.h"
#include "support/server_process.h"
#include "support/testdata.h"

namespace bodyshape {
namespace {

using nlohmann::json;
using testing::read_bytes;
using testing::S3rverProcess;
using testing::ServerProcess;
using testing::shared_path;

constexpr const char* kRoute = "/analyze/segmentation-v2";

std::map<std::string, std::string> s3_env(const S3rverProcess& s3) {
  return {{"AWS_ACCESS_KEY_ID", s3.options().access_key},
          {"AWS_SECRET_ACCESS_KEY", s3.options().secret_key},
          {"AWS_REGION", "us-east-1"}};
}

std::vector<std::string> s3_args(const S3rverProcess& s3) {
  return {"--s3-endpoint", s3.endpoint(), "--s3-bucket", "photos", "--s3-buckets", "photos,archive",
          "--s3-timeout-ms", "3000"};
}

std::pair<int, json> post(const ServerProcess& server, const json& body) {
  auto response = server.client().Post(kRoute, body.dump(), "application/json");
  if (!response) return {-1, json()};
  return {response->status, json::parse(response->body, nullptr, false)};
}

// The person pipeline run in this process: the combined mask at 0.5, as the service promises.
cv::Mat local_person_mask(const std::vector<uint8_t>& bytes) {
  auto rgb = image::decode_image(bytes);
  auto models = person::PoseModels::load(testing::model_path(""));
  auto estimator = person::PoseEstimator::create(*models);
  auto pose = estimator->estimate(*rgb, person::LandmarkModel::kFull);
  cv::Mat mask;
  cv::threshold(pose->mask, mask, 0.5, 1.0, cv::THRESH_BINARY);
  mask.convertTo(mask, CV_8U);
  return mask;
}

class SegmentationEndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s3_ = new S3rverProcess({.buckets = {"photos", "archive", "private"}});
    for (const char* name : {"man_yoga_warrior_beach.jpg", "exif_orientation6_woman_squat.jpg"}) {
      const auto bytes = read_bytes(shared_path("testdata/images/") + name);
      ASSERT_EQ(s3_->put("photos", std::string("people/") + name,
                         std::string(bytes.begin(), bytes.end())),
                "");
    }
    ASSERT_EQ(s3_->put("photos", "notes.txt", "not an image"), "");
    ASSERT_EQ(s3_->put("private", "secret.jpg", "whatever"), "");
    server_ = new ServerProcess(s3_args(*s3_), s3_env(*s3_));
  }
  static void TearDownTestSuite() {
    delete server_;
    delete s3_;
  }
  static S3rverProcess* s3_;
  static ServerProcess* server_;
};

S3rverProcess* SegmentationEndToEnd::s3_ = nullptr;
ServerProcess* SegmentationEndToEnd::server_ = nullptr;

TEST_F(SegmentationEndToEnd, MaskHasImageShapeAndEqualsLocalPipeline) {
  for (const char* name : {"man_yoga_warrior_beach.jpg", "exif_orientation6_woman_squat.jpg"}) {
    auto [status, body] = post(*server_, {{"imgSrc", std::string("people/") + name}});
    ASSERT_EQ(status, 200) << name << " " << body.dump().substr(0, 300);
    EXPECT_EQ(body["state"], 1);
    EXPECT_EQ(body["message"], "success");
    const json& rows = body["data"];
    const cv::Mat expected = local_person_mask(read_bytes(shared_path("testdata/images/") + name));
    ASSERT_EQ(static_cast<int>(rows.size()), expected.rows) << name;  // EXIF-upright height
    ASSERT_EQ(static_cast<int>(rows[0].size()), expected.cols) << name;
    int64_t both = 0, either = 0;
    for (int y = 0; y < expected.rows; ++y) {
      for (int x = 0; x < expected.cols; ++x) {
        const int served = rows[y][x].get<int>();
        const int local = expected.at<uint8_t>(y, x);
        ASSERT_TRUE(served == 0 || served == 1);
        both += served && local;
        either += served || local;
      }
    }
    ASSERT_GT(either, 0) << name;
    // The same code on the same bytes: identical masks (IoU exactly 1).
    EXPECT_EQ(both, either) << name;
  }
}

TEST_F(SegmentationEndToEnd, S3UrlAndAllowListedBucketForms) {
  auto [status, body] = post(*server_, {{"imgSrc", "s3://photos/people/man_yoga_warrior_beach.jpg"},
                                        {"format", "rle"}});
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body["data"]["size"], json({667, 1000}));
}

TEST_F(SegmentationEndToEnd, MissingAndNonImageObjectsAreImageLoadError) {
  for (const char* source : {"people/nobody.jpg", "notes.txt"}) {
    auto [status, body] = post(*server_, {{"imgSrc", source}});
    EXPECT_EQ(status, 400) << source;
    EXPECT_EQ(body["state"], 0) << source;
    EXPECT_EQ(body["message"], "image load error") << source;
    EXPECT_TRUE(body["data"].is_object());
  }
}

TEST_F(SegmentationEndToEnd, TraversalUrlsAndForeignBucketsAreRefused) {
  for (const char* source : {"../secret/pepper", "s3://private/secret.jpg",
                             "http://169.254.169.254/latest/meta-data", "people/../../x.jpg"}) {
    auto [status, body] = post(*server_, {{"imgSrc", source}});
    EXPECT_EQ(status, 400) << source;
    EXPECT_EQ(body["state"], -1) << source;
  }
}

TEST(SegmentationS3Faults, UnknownCredentialsAreAClearStateMinusOne) {
  S3rverProcess s3;
  const auto bytes = read_bytes(shared_path("testdata/images/man_yoga_warrior_beach.jpg"));
  ASSERT_EQ(s3.put("photos", "a.jpg", std::string(bytes.begin(), bytes.end())), "");
  auto env = s3_env(s3);
  env["AWS_ACCESS_KEY_ID"] = "WRONGKEY";
  ServerProcess server(s3_args(s3), env);
  auto [status, body] = post(server, {{"imgSrc", "a.jpg"}});
  EXPECT_EQ(status, 503);
  EXPECT_EQ(body["state"], -1);
  EXPECT_NE(body["message"].get<std::string>().find("credentials"), std::string::npos)
      << body.dump();
}

TEST(SegmentationS3Faults, StoppedStoreIsStateMinusOneWithinTimeout) {
  S3rverProcess s3;
  ServerProcess server(s3_args(s3), s3_env(s3));
  s3.stop();
  const auto started = std::chrono::steady_clock::now();
  auto [status, body] = post(server, {{"imgSrc", "a.jpg"}});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(status, 503);
  EXPECT_EQ(body["state"], -1);
  EXPECT_LT(seconds, 10.0);  // s3_timeout_ms 3000 plus bounded retries
  EXPECT_TRUE(server.alive());
}

}  // namespace
}  // namespace bodyshape

// POST /analyze/segmentation-v2 through SegmentationEndpoint: real photos in a LocalObjectStore,
// a stand-in person_mask (the models are tested in person/), every contract answer.
#include "api/segmentation.h"

#include <gtest/gtest.h>
#include <zlib.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "image/mask_codec.h"
#include "storage/account_store.h"
#include "storage/local_object_store.h"
#include "support/server_process.h"
#include "support/testdata.h"

namespace bodyshape::api {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A mask that depends on the image's shape only: person = the left third of the columns.
cv::Mat left_third(const cv::Mat& rgb) {
  cv::Mat mask(rgb.size(), CV_8UC1, cv::Scalar(0));
  mask(cv::Rect(0, 0, rgb.cols / 3, rgb.rows)).setTo(1);
  return mask;
}

class FailingStore final : public storage::ObjectStore {
 public:
  explicit FailingStore(Error error) : error_(std::move(error)) {}
  Result<std::vector<uint8_t>> get(const storage::ObjectRef&) override { return error_; }

 private:
  Error error_;
};

class SegmentationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path images = fs::path(dir_.path()) / "images";
    fs::create_directories(images / "people");
    fs::copy_file(testing::shared_path("testdata/images/man_yoga_warrior_beach.jpg"),
                  images / "people" / "yoga.jpg");
    fs::copy_file(testing::shared_path("testdata/images/exif_orientation6_woman_squat.jpg"),
                  images / "people" / "rotated.jpg");
    fs::copy_file(testing::shared_path("testdata/bad/empty.jpg"), images / "empty.jpg");
    fs::copy_file(testing::shared_path("testdata/bad/not_an_image.txt"), images / "text.jpg");
    fs::copy_file(testing::shared_path("testdata/bad/truncated_40pct.jpg"),
                  images / "truncated.jpg");
  }

  SegmentationDeps deps(storage::ObjectStore* store) {
    return {.store = store,
            .policy = {.default_bucket = "images", .allowed_buckets = {}},
            .decode = {},
            .person_mask = [](const cv::Mat& rgb) -> Result<cv::Mat> { return left_third(rgb); },
            .accounts = nullptr};
  }
  Reply post(const json& request) {
    return SegmentationEndpoint(deps(&store_)).handle(request.dump());
  }

  testing::TempDir dir_;
  storage::LocalObjectStore store_{dir_.path(), 32 << 20};
};

void expect_failure(const Reply& reply, int status, int state, const std::string& code) {
  EXPECT_EQ(reply.status, status) << reply.body;
  const json body = json::parse(reply.body);
  EXPECT_EQ(body["state"], state) << reply.body;
  EXPECT_EQ(body["data"]["code"], code) << reply.body;
  EXPECT_TRUE(body["errors"].is_string() && !body["errors"].get<std::string>().empty());
  EXPECT_TRUE(body["message"].is_string());
  if (state == 0) {
    EXPECT_EQ(body["message"], "image load error");
  }
  EXPECT_EQ(reply.retry_after, status == 503 ? "1" : "");
}

TEST_F(SegmentationTest, ArrayMaskHasTheImagesRowsAndColumns) {
  const Reply reply = post({{"imgSrc", "people/yoga.jpg"}});
  ASSERT_EQ(reply.status, 200) << reply.body.substr(0, 300);
  const json body = json::parse(reply.body);
  EXPECT_EQ(body["state"], 1);
  EXPECT_EQ(body["message"], "success");
  EXPECT_EQ(body["errors"], "");
  ASSERT_TRUE(body["data"].is_array());
  ASSERT_EQ(body["data"].size(), 667u);  // 1000x667 photo
  for (const json& row : body["data"]) ASSERT_EQ(row.size(), 1000u);
  EXPECT_EQ(body["data"][0][0], 1);
  EXPECT_EQ(body["data"][666][332], 1);
  EXPECT_EQ(body["data"][666][333], 0);
  EXPECT_EQ(body["data"][100][999], 0);
}

TEST_F(SegmentationTest, ExifOrientationIsApplied) {
  // Stored 1280x720 with Orientation 6: upright it is 720 wide, 1280 tall.
  const Reply reply = post({{"imgSrc", "s3://images/people/rotated.jpg"}});
  ASSERT_EQ(reply.status, 200) << reply.body.substr(0, 300);
  const json body = json::parse(reply.body);
  ASSERT_EQ(body["data"].size(), 1280u);
  EXPECT_EQ(body["data"][0].size(), 720u);
}

TEST_F(SegmentationTest, RleAndPngFormatsCarryTheSameMask) {
  const cv::Mat expected = left_third(cv::Mat(667, 1000, CV_8UC3));

  const json rle_body = json::parse(post({{"imgSrc", "people/yoga.jpg"}, {"format", "rle"}}).body);
  ASSERT_EQ(rle_body["state"], 1);
  EXPECT_EQ(rle_body["data"]["size"], json::array({667, 1000}));
  const image::CocoRle rle{667, 1000, rle_body["data"]["counts"].get<std::vector<uint32_t>>()};
  Result<cv::Mat> from_rle = image::mask_from_coco_rle(rle);
  ASSERT_TRUE(from_rle.ok());
  EXPECT_EQ(cv::countNonZero(*from_rle != expected), 0);

  const json png_body = json::parse(post({{"imgSrc", "people/yoga.jpg"}, {"format", "png"}}).body);
  ASSERT_EQ(png_body["state"], 1);
  Result<std::vector<uint8_t>> png = image::base64_decode(png_body["data"].get<std::string>());
  ASSERT_TRUE(png.ok());
  Result<cv::Mat> from_png = image::mask_from_png(*png);
  ASSERT_TRUE(from_png.ok());
  EXPECT_EQ(cv::countNonZero(*from_png != expected), 0);

  expect_failure(post({{"imgSrc", "people/yoga.jpg"}, {"format", "bmp"}}), 400, -1, "bad_request");
}

TEST_F(SegmentationTest, ImageLoadErrorsAreStateZero) {
  expect_failure(post({{"imgSrc", "people/missing.jpg"}}), 400, 0, "not_found");
  expect_failure(post({{"imgSrc", "empty.jpg"}}), 400, 0, "empty_object");
  expect_failure(post({{"imgSrc", "text.jpg"}}), 400, 0, "not_an_image");
  expect_failure(post({{"imgSrc", "truncated.jpg"}}), 400, 0, "not_an_image");

  storage::LocalObjectStore small(dir_.path(), 1000);
  const Reply too_large =
      SegmentationEndpoint(deps(&small)).handle(R"({"imgSrc": "people/yoga.jpg"})");
  expect_failure(too_large, 400, 0, "too_large");

  SegmentationDeps few_pixels = deps(&store_);
  few_pixels.decode.max_pixels = 1000;
  expect_failure(SegmentationEndpoint(few_pixels).handle(R"({"imgSrc": "people/yoga.jpg"})"), 400,
                 0, "not_an_image");
}

TEST_F(SegmentationTest, BadRequestsAreStateMinusOne) {
  const SegmentationEndpoint endpoint(deps(&store_));
  const Reply not_json = endpoint.handle("{imgSrc: x");
  expect_failure(not_json, 400, -1, "bad_request");
  EXPECT_TRUE(json::parse(not_json.body)["message"].get<std::string>().starts_with(
      "request body is not valid JSON"));
  const Reply missing = endpoint.handle("{}");
  expect_failure(missing, 400, -1, "bad_request");
  EXPECT_EQ(json::parse(missing.body)["message"], "field 'imgSrc' is required");
  expect_failure(endpoint.handle(R"({"imgSrc": 5})"), 400, -1, "bad_request");
  expect_failure(endpoint.handle("[]"), 400, -1, "bad_request");
}

TEST_F(SegmentationTest, RefusedSourcesNeverReachTheStore) {
  FailingStore must_not_be_called({ErrorCode::kInternal, "the store was called"});
  const SegmentationEndpoint endpoint(deps(&must_not_be_called));
  for (const char* source : {"http://169.254.169.254/latest/meta-data/", "//evil.example/a.jpg",
                             "../secret", "s3://other-bucket/a.jpg", "", "a\\..\\b"}) {
    const Reply reply = endpoint.handle(json({{"imgSrc", source}}).dump());
    expect_failure(reply, 400, -1, "source_refused");
    EXPECT_TRUE(
        json::parse(reply.body)["message"].get<std::string>().starts_with("imgSrc refused: "))
        << reply.body;
  }
}

TEST_F(SegmentationTest, StoreFailuresAre503) {
  FailingStore unreachable({ErrorCode::kUnavailable, "object store unreachable: refused"});
  const Reply down = SegmentationEndpoint(deps(&unreachable)).handle(R"({"imgSrc": "a.jpg"})");
  expect_failure(down, 503, -1, "store_unavailable");
  EXPECT_EQ(json::parse(down.body)["message"], "object store unreachable: refused");

  FailingStore credentials({ErrorCode::kUnavailable, "S3 refused the credentials (403 X)"});
  expect_failure(SegmentationEndpoint(deps(&credentials)).handle(R"({"imgSrc": "a.jpg"})"), 503, -1,
                 "store_unavailable");
  FailingStore slow({ErrorCode::kDeadlineExceeded, "object store timed out after 10 ms"});
  expect_failure(SegmentationEndpoint(deps(&slow)).handle(R"({"imgSrc": "a.jpg"})"), 503, -1,
                 "timeout");
}

TEST_F(SegmentationTest, InferenceOutcomes) {
  SegmentationDeps no_models = deps(&store_);
  no_models.person_mask = nullptr;
  const Reply unavailable =
      SegmentationEndpoint(no_models).handle(R"({"imgSrc": "people/yoga.jpg"})");
  expect_failure(unavailable, 503, -1, "model_unavailable");
  EXPECT_EQ(json::parse(unavailable.body)["message"], "model not available");

  SegmentationDeps failing = deps(&store_);
  failing.person_mask = [](const cv::Mat&) -> Result<cv::Mat> {
    return make_error(ErrorCode::kInternal, "segmenter output has NaN");
  };
  expect_failure(SegmentationEndpoint(failing).handle(R"({"imgSrc": "people/yoga.jpg"})"), 500, -1,
                 "inference_failed");

  SegmentationDeps wrong_size = deps(&store_);
  wrong_size.person_mask = [](const cv::Mat&) -> Result<cv::Mat> {
    return cv::Mat(10, 10, CV_8UC1, cv::Scalar(1));
  };
  expect_failure(SegmentationEndpoint(wrong_size).handle(R"({"imgSrc": "people/yoga.jpg"})"), 500,
                 -1, "inference_failed");

  SegmentationDeps nobody = deps(&store_);
  nobody.person_mask = [](const cv::Mat&) -> Result<cv::Mat> {
    return make_error(ErrorCode::kNoPerson, "no pose found");
  };
  const json empty =
      json::parse(SegmentationEndpoint(nobody).handle(R"({"imgSrc": "people/yoga.jpg"})").body);
  ASSERT_EQ(empty["state"], 1);
  ASSERT_EQ(empty["data"].size(), 667u);
  EXPECT_EQ(empty["data"][300][10], 0);
}

TEST_F(SegmentationTest, KeysAreRequiredWhenAuthIsOn) {
  Result<std::string> pepper = storage::load_or_create_pepper(dir_.path() + "/pepper");
  ASSERT_TRUE(pepper.ok()) << pepper.error().message;
  auto accounts = storage::AccountStore::open_sqlite(dir_.path() + "/accounts.db", *pepper);
  ASSERT_TRUE(accounts.ok()) << accounts.error().message;
  Result<storage::IssuedKeys> keys = (*accounts)->create("ann@example.com");
  ASSERT_TRUE(keys.ok());
  SegmentationDeps with_auth = deps(&store_);
  with_auth.accounts = accounts->get();
  const SegmentationEndpoint endpoint(with_auth);

  expect_failure(endpoint.handle(R"({"imgSrc": "people/yoga.jpg"})"), 400, -1, "bad_request");
  expect_failure(endpoint.handle(json({{"imgSrc", "people/yoga.jpg"},
                                       {"Email", "ann@example.com"},
                                       {"UserKey", keys->user_key},
                                       {"APIKey", "wrong"}})
                                     .dump()),
                 401, -1, "unauthenticated");
  EXPECT_EQ(endpoint
                .handle(json({{"imgSrc", "people/yoga.jpg"},
                              {"Email", "ann@example.com"},
                              {"UserKey", keys->user_key},
                              {"APIKey", keys->api_key}})
                            .dump())
                .status,
            200);
}

std::string gunzip(const std::string& compressed) {
  z_stream stream{};
  EXPECT_EQ(inflateInit2(&stream, 15 + 16), Z_OK);  // gzip wrapper only
  std::string out;
  char buffer[1 << 16];
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  int result = Z_OK;
  while (result == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    result = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - stream.avail_out);
  }
  EXPECT_EQ(result, Z_STREAM_END);
  inflateEnd(&stream);
  return out;
}

TEST_F(SegmentationTest, GzipRoundTripsAndSkipsSmallBodies) {
  Reply reply = post({{"imgSrc", "people/yoga.jpg"}});
  const std::string plain = reply.body;
  ASSERT_TRUE(gzip_reply_body(reply));
  EXPECT_LT(reply.body.size(), plain.size() / 50);  // a mask is long runs of "0,0,0,..."
  EXPECT_EQ(gunzip(reply.body), plain);

  Reply small = post({{"imgSrc", "missing.jpg"}});
  const std::string small_plain = small.body;
  EXPECT_FALSE(gzip_reply_body(small));
  EXPECT_EQ(small.body, small_plain);
}

}  // namespace
}  // namespace bodyshape::api

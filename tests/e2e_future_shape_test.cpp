// End to end: the real binary on loopback, real HTTP, real SQLite. Every validation, auth and
// bad-image case of /api/analysis-future-shape answers with its status and exact JSON.
#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <opencv2/core.hpp>

#include "image/image.h"
#include "support/server_process.h"
#include "support/testdata.h"

namespace bodyshape {
namespace {

using nlohmann::json;
using testing::read_bytes;
using testing::ServerProcess;
using testing::shared_path;

constexpr const char* kRoute = "/api/analysis-future-shape";

std::string base64_of_file(const std::string& path) {
  const std::vector<uint8_t> bytes = read_bytes(path);
  return image::base64_encode(bytes);
}

class FutureShapeEndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess();
    keys_ = json::parse(server_->create_account("client@example.com"));
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  // A well-formed request with valid keys; tests change one thing.
  static json good_request(const std::string& image_base64) {
    return {{"Email", keys_["Email"]},
            {"UserKey", keys_["UserKey"]},
            {"APIKey", keys_["APIKey"]},
            {"base64Image", image_base64},
            {"requestMessage", "best"},
            {"gender", "female"}};
  }

  static std::pair<int, json> post(const std::string& body) {
    httplib::Client client = server_->client();
    auto response = client.Post(kRoute, body, "application/json");
    if (!response) return {-1, json()};
    EXPECT_EQ(response->get_header_value("Content-Type"), "application/json");
    EXPECT_FALSE(response->get_header_value("X-Request-Id").empty());
    return {response->status, json::parse(response->body, nullptr, false)};
  }
  static std::pair<int, json> post(const json& body) { return post(body.dump()); }

  static ServerProcess* server_;
  static json keys_;
};

ServerProcess* FutureShapeEndToEnd::server_ = nullptr;
json FutureShapeEndToEnd::keys_;

TEST_F(FutureShapeEndToEnd, HealthzAnswers) {
  auto response = server_->client().Get("/healthz");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(json::parse(response->body)["state"], true);
}

TEST_F(FutureShapeEndToEnd, AccountCreateIssuesLongRandomKeys) {
  EXPECT_EQ(keys_["Email"], "client@example.com");
  EXPECT_GE(keys_["UserKey"].get<std::string>().size(), 32u);
  EXPECT_GE(keys_["APIKey"].get<std::string>().size(), 32u);
  EXPECT_NE(keys_["UserKey"], keys_["APIKey"]);
}

TEST_F(FutureShapeEndToEnd, InvalidJsonIs400) {
  auto [status, body] = post(std::string("{\"Email\": "));
  EXPECT_EQ(status, 400);
  EXPECT_EQ(body["state"], false);
  EXPECT_NE(body["message"].get<std::string>().find("JSON"), std::string::npos);
}

TEST_F(FutureShapeEndToEnd, NonObjectJsonIs400) {
  auto [status, body] = post(std::string("[1,2,3]"));
  EXPECT_EQ(status, 400);
  EXPECT_EQ(body["message"], "request body must be a JSON object");
}

TEST_F(FutureShapeEndToEnd, EachMissingFieldIsNamed) {
  for (const char* field :
       {"Email", "UserKey", "APIKey", "base64Image", "requestMessage", "gender"}) {
    json request = good_request("AAAA");
    request.erase(field);
    auto [status, body] = post(request);
    EXPECT_EQ(status, 400) << field;
    EXPECT_EQ(body["state"], false);
    EXPECT_EQ(body["message"], std::string("field '") + field + "' is required");
  }
}

TEST_F(FutureShapeEndToEnd, IllTypedFieldIsNamed) {
  json request = good_request("AAAA");
  request["gender"] = 3;
  auto [status, body] = post(request);
  EXPECT_EQ(status, 400);
  EXPECT_EQ(body["message"], "field 'gender' must be a string");
}

TEST_F(FutureShapeEndToEnd, UnknownRequestMessageAndGenderAre400) {
  json request = good_request("AAAA");
  request["requestMessage"] = "better";
  auto [status, body] = post(request);
  EXPECT_EQ(status, 400);
  EXPECT_EQ(body["message"], "field 'requestMessage' must be \"best\" or \"worst\"");

  request = good_request("AAAA");
  request["gender"] = "other";
  std::tie(status, body) = post(request);
  EXPECT_EQ(status, 400);
  EXPECT_EQ(body["message"], "field 'gender' must be \"male\" or \"female\"");
}

TEST_F(FutureShapeEndToEnd, EveryAuthFailureIsTheSame401) {
  json unknown = good_request("AAAA");
  unknown["Email"] = "nobody@example.com";
  json wrong_user_key = good_request("AAAA");
  wrong_user_key["UserKey"] = "x" + wrong_user_key["UserKey"].get<std::string>();
  json wrong_api_key = good_request("AAAA");
  wrong_api_key["APIKey"] = keys_["UserKey"];
  for (const json& request : {unknown, wrong_user_key, wrong_api_key}) {
    auto [status, body] = post(request);
    EXPECT_EQ(status, 401);
    EXPECT_EQ(body, json({{"state", false}, {"message", "authentication failed"}}));
  }
}

TEST_F(FutureShapeEndToEnd, BadImagesAreWrongImage) {
  for (const char* name : {"video_first_2kb.mp4", "truncated_40pct.jpg", "random_bytes.jpg",
                           "empty.jpg", "not_an_image.txt", "png_corrupt_body.png"}) {
    auto [status, body] = post(good_request(base64_of_file(shared_path("testdata/bad/") + name)));
    EXPECT_EQ(status, 400) << name;
    EXPECT_EQ(body["state"], false) << name;
    EXPECT_EQ(body["message"], "wrong image") << name;
  }
}

TEST_F(FutureShapeEndToEnd, InvalidBase64IsWrongImage) {
  for (const char* text : {"%%%not base64%%%", "", "QUJD=QUJD"}) {
    auto [status, body] = post(good_request(text));
    EXPECT_EQ(status, 400) << text;
    EXPECT_EQ(body["message"], "wrong image") << text;
  }
}

TEST_F(FutureShapeEndToEnd, ContractExampleMp4PrefixIsWrongImage) {
  // The contract document's own request example carries the start of an MP4 file.
  const std::string example =
      "AAAAIGZ0eXBpc29tAAACAGlzb21pc28yYXZjMW1wNDEAAAAIZnJlZQAK/7BtZGF0AAACugYF";
  auto [status, body] = post(good_request(example));
  EXPECT_EQ(status, 400);
  EXPECT_EQ(body["message"], "wrong image");
}

TEST_F(FutureShapeEndToEnd, ReadyzOnceModelsAndDatabaseAre) {
  auto response = server_->client().Get("/readyz");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

TEST_F(FutureShapeEndToEnd, PhotoOfAPersonComesBackReshapedSameSizePng) {
  // The EXIF photo is stored 1280x720 with orientation 6: the answer must be upright 720x1280.
  for (const auto& [name, width, height] :
       {std::tuple{"exif_orientation6_woman_squat.jpg", 720, 1280},
        std::tuple{"man_yoga_warrior_beach.jpg", 1000, 667}}) {
    json request = good_request(base64_of_file(shared_path("testdata/images/") + name));
    request["requestMessage"] = "worst";
    auto [status, body] = post(request);
    ASSERT_EQ(status, 200) << name << " " << body.dump().substr(0, 200);
    EXPECT_EQ(body["state"], true);
    const std::string result = body["resultImage"].get<std::string>();
    EXPECT_EQ(body["result_image"], result);
    EXPECT_EQ(result.substr(0, 11), "iVBORw0KGgo");  // PNG, as the contract's example
    auto png = image::base64_decode(result);
    ASSERT_TRUE(png);
    auto decoded = image::decode_image(*png);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->cols, width) << name;
    EXPECT_EQ(decoded->rows, height) << name;
  }
}

TEST_F(FutureShapeEndToEnd, IntensityZeroReturnsTheSamePixels) {
  const std::string path = shared_path("testdata/images/man_yoga_warrior_beach.jpg");
  json request = good_request(base64_of_file(path));
  request["intensity"] = 0;
  auto [status, body] = post(request);
  ASSERT_EQ(status, 200);
  auto returned = image::decode_image(*image::base64_decode(body["resultImage"].get<std::string>()));
  auto original = image::decode_image(read_bytes(path));
  ASSERT_TRUE(returned && original);
  EXPECT_EQ(cv::norm(*returned, *original, cv::NORM_INF), 0.0);
}

TEST_F(FutureShapeEndToEnd, PhotoWithoutPersonIsKeypointInferenceError) {
  auto [status, body] =
      post(good_request(base64_of_file(shared_path("testdata/images/no_person_terrace.jpg"))));
  EXPECT_EQ(status, 400);
  EXPECT_EQ(body["state"], false);
  EXPECT_EQ(body["message"], "keypoint inference error");
}

// A face close-up: the person is found, but the reshape would change nothing, and a "result"
// identical to the photo would mislead; the client hears why.
TEST_F(FutureShapeEndToEnd, CloseUpWithoutABodyIsKeypointInferenceErrorSayingWhy) {
  const std::string photo = base64_of_file(shared_path("testdata/images/woman_upper_body_smiling.jpg"));
  auto [status, body] = post(good_request(photo));
  EXPECT_EQ(status, 400);
  EXPECT_EQ(body["state"], false);
  EXPECT_EQ(body["message"], "keypoint inference error");
  EXPECT_NE(body["detail"].get<std::string>().find("no body to reshape"), std::string::npos)
      << body.dump();
  json unchanged = good_request(photo);
  unchanged["intensity"] = 0;  // asked for no change: the photo as it is
  EXPECT_EQ(post(unchanged).first, 200);
}

// A chest-up portrait (the studio photo cut off a fifth of the way from the shoulders to the
// hips) is a close-up too: what shows of the body is the shoulders and the arms beside them, whose
// change would have to taper to the frame's edge. The same photo cut off at the waist changes.
TEST_F(FutureShapeEndToEnd, ChestUpPortraitIsRefusedAndAWaistUpPhotoChanges) {
  const std::vector<uint8_t> bytes =
      read_bytes(shared_path("testdata/images/woman_standing_front_studio.jpg"));
  Result<cv::Mat> rgb = image::decode_image(bytes);
  ASSERT_TRUE(rgb.ok());
  auto cut_at = [&](int rows) {
    return image::base64_encode(image::encode_image((*rgb)(cv::Rect(0, 0, rgb->cols, rows)).clone(),
                                                    image::ImageFormat::kPng));
  };
  auto [chest_status, chest] = post(good_request(cut_at(384)));  // shoulders at y 336-347
  EXPECT_EQ(chest_status, 400) << chest.dump().substr(0, 200);
  EXPECT_EQ(chest["message"], "keypoint inference error");
  EXPECT_NE(chest.value("detail", "").find("no body to reshape"), std::string::npos);
  auto [waist_status, waist] = post(good_request(cut_at(560)));  // hips at y 579-584
  EXPECT_EQ(waist_status, 200) << waist.dump().substr(0, 200);
}

// With several people the largest is reshaped; when it is the one whose body the photo does not
// show (three_people_office's middle: the seated man, cut off above mid-chest, is larger than the
// man standing beside him), the detail says whose body it is about.
TEST_F(FutureShapeEndToEnd, CloseUpOfTheLargestOfSeveralPeopleSaysWhose) {
  Result<cv::Mat> rgb =
      image::decode_image(read_bytes(shared_path("testdata/images/three_people_office.jpg")));
  ASSERT_TRUE(rgb.ok());
  const cv::Rect middle(rgb->cols / 10, rgb->rows / 10, rgb->cols * 8 / 10, rgb->rows * 8 / 10);
  const std::string photo = image::base64_encode(
      image::encode_image((*rgb)(middle).clone(), image::ImageFormat::kPng));
  auto [status, body] = post(good_request(photo));
  EXPECT_EQ(status, 400) << body.dump().substr(0, 200);
  EXPECT_EQ(body["message"], "keypoint inference error");
  EXPECT_NE(body.value("detail", "").find("the largest person"), std::string::npos) << body.dump();
}

// A full-body photo at an intensity too small to move a pixel is not "no body".
TEST_F(FutureShapeEndToEnd, TinyIntensityOnABodyIsNotRefused) {
  json request = good_request(base64_of_file(shared_path("testdata/images/man_yoga_warrior_beach.jpg")));
  request["intensity"] = 1e-6;
  auto [status, body] = post(request);
  EXPECT_EQ(status, 200) << body.dump().substr(0, 200);
}

TEST_F(FutureShapeEndToEnd, UnusualButValidFormatsWork) {
  for (const char* name : {"person_businessman.bmp", "person_baseball_batter.gif"}) {
    auto [status, body] = post(good_request(base64_of_file(shared_path("testdata/bad/") + name)));
    EXPECT_EQ(status, 200) << name << " " << body.dump().substr(0, 200);
  }
}

TEST_F(FutureShapeEndToEnd, UnknownRouteIsJson404) {
  auto response = server_->client().Post("/api/analysis-shape", "{}", "application/json");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(json::parse(response->body)["state"], false);
}

TEST_F(FutureShapeEndToEnd, DatabaseHoldsNoPlaintextKey) {
  std::string everything;
  for (const auto& entry : std::filesystem::directory_iterator(server_->data_dir())) {
    if (!entry.is_regular_file()) continue;
    const std::vector<uint8_t> bytes = read_bytes(entry.path().string());
    everything.append(bytes.begin(), bytes.end());
  }
  ASSERT_FALSE(everything.empty());
  EXPECT_EQ(everything.find(keys_["UserKey"].get<std::string>()), std::string::npos);
  EXPECT_EQ(everything.find(keys_["APIKey"].get<std::string>()), std::string::npos);
}

TEST_F(FutureShapeEndToEnd, HundredBadRequestsLeaveServerAliveWithFlatMemory) {
  const std::string truncated = base64_of_file(shared_path("testdata/bad/truncated_40pct.jpg"));
  const std::string random = base64_of_file(shared_path("testdata/bad/random_bytes.jpg"));
  for (int i = 0; i < 10; ++i) post(good_request(truncated));  // warm-up
  const long rss_before = server_->rss_kb();
  for (int i = 0; i < 100; ++i) {
    auto [status, body] = i % 3 == 0   ? post(std::string("{bad json"))
                          : i % 3 == 1 ? post(good_request(truncated))
                                       : post(good_request(random));
    ASSERT_EQ(status, 400) << "request " << i;
  }
  const long rss_after = server_->rss_kb();
  EXPECT_TRUE(server_->alive());
  // Flat: allocator noise only (a leak of even one decoded image per request would be > 10 MB).
  EXPECT_LT(rss_after - rss_before, 8 * 1024) << rss_before << " kB -> " << rss_after << " kB";
}

TEST(FutureShapeLimits, BodyOverLimitIs413Json) {
  ServerProcess server({"--body-limit-bytes", "100000"});
  httplib::Client client = server.client();
  const std::string big(200000, 'A');
  auto response = client.Post(kRoute, "{\"base64Image\":\"" + big + "\"}", "application/json");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  const json body = json::parse(response->body);
  EXPECT_EQ(body["state"], false);
  EXPECT_NE(body["message"].get<std::string>().find("100000"), std::string::npos);
  EXPECT_TRUE(server.alive());
}

TEST(FutureShapeLimits, PixelLimitIsWrongImage) {
  ServerProcess server({"--max-pixels", "1000"});
  const json keys = json::parse(server.create_account("a@example.com"));
  const json request = {{"Email", keys["Email"]},
                        {"UserKey", keys["UserKey"]},
                        {"APIKey", keys["APIKey"]},
                        {"base64Image", base64_of_file(shared_path(
                                            "testdata/images/man_business_suit_standing.jpg"))},
                        {"requestMessage", "worst"},
                        {"gender", "male"}};
  auto response = server.client().Post(kRoute, request.dump(), "application/json");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(json::parse(response->body)["message"], "wrong image");
}

TEST(FutureShapeLifecycle, SigtermExitsZero) {
  ServerProcess server;
  EXPECT_EQ(server.stop(), 0);
}

TEST(FutureShapeLifecycle, RevokedAccountIsRejected) {
  ServerProcess server;
  const json keys = json::parse(server.create_account("gone@example.com"));
  const auto revoked = testing::run_bodyshape(
      {"accounts", "revoke", "--email", "gone@example.com", "--data-dir", server.data_dir()});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  const json request = {{"Email", keys["Email"]},     {"UserKey", keys["UserKey"]},
                        {"APIKey", keys["APIKey"]},   {"base64Image", "AAAA"},
                        {"requestMessage", "best"},   {"gender", "male"}};
  auto response = server.client().Post(kRoute, request.dump(), "application/json");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 401);
}

}  // namespace
}  // namespace bodyshape

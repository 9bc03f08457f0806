#include "api/future_shape.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace bodyshape::api {
namespace {

nlohmann::json valid() {
  return {{"Email", "a@b.c"},       {"UserKey", "u"},      {"APIKey", "k"},
          {"base64Image", "AAAA"},  {"requestMessage", "worst"}, {"gender", "male"}};
}

TEST(FutureShapeRequest, ParsesEveryContractField) {
  auto request = parse_future_shape_request(valid().dump());
  ASSERT_TRUE(request) << request.error().message;
  EXPECT_EQ(request->email, "a@b.c");
  EXPECT_EQ(request->reshape.goal, reshape::Goal::kFatter);
  EXPECT_EQ(request->reshape.gender, reshape::Gender::kMale);
  EXPECT_FLOAT_EQ(request->reshape.intensity, 1.0f);
  EXPECT_EQ(request->output_format, image::ImageFormat::kPng);
}

TEST(FutureShapeRequest, OptionalExtensionsAreValidated) {
  auto body = valid();
  body["intensity"] = 2.5;
  auto too_strong = parse_future_shape_request(body.dump());
  ASSERT_FALSE(too_strong);
  EXPECT_EQ(too_strong.error().message, "field 'intensity' must be a number from 0 to 2");

  body["intensity"] = 0.5;
  body["outputFormat"] = "jpeg";
  auto request = parse_future_shape_request(body.dump());
  ASSERT_TRUE(request);
  EXPECT_FLOAT_EQ(request->reshape.intensity, 0.5f);
  EXPECT_EQ(request->output_format, image::ImageFormat::kJpeg);

  body["outputFormat"] = "gif";
  EXPECT_FALSE(parse_future_shape_request(body.dump()));
}

TEST(FutureShapeRequest, NullCountsAsMissing) {
  auto body = valid();
  body["gender"] = nullptr;
  auto request = parse_future_shape_request(body.dump());
  ASSERT_FALSE(request);
  EXPECT_EQ(request.error().message, "field 'gender' is required");
}

TEST(FutureShapeReply, SuccessCarriesBothSpellings) {
  const auto body = nlohmann::json::parse(future_shape_success_body("iVBORw0KGgo"));
  EXPECT_EQ(body["state"], true);
  EXPECT_EQ(body["resultImage"], "iVBORw0KGgo");
  EXPECT_EQ(body["result_image"], "iVBORw0KGgo");
}

TEST(FutureShapeReply, ContractMessagesAreLiteral) {
  EXPECT_EQ(nlohmann::json::parse(future_shape_error({ErrorCode::kBadImage, "x"}).body)["message"],
            "wrong image");
  EXPECT_EQ(nlohmann::json::parse(future_shape_error({ErrorCode::kNoPerson, "x"}).body)["message"],
            "keypoint inference error");
  const Reply unauthenticated = future_shape_error({ErrorCode::kUnauthenticated, "who"});
  EXPECT_EQ(unauthenticated.status, 401);
  EXPECT_EQ(nlohmann::json::parse(unauthenticated.body),
            nlohmann::json({{"state", false}, {"message", "authentication failed"}}));
}

}  // namespace
}  // namespace bodyshape::api

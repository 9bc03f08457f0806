// POST /api/analysis-future-shape as a plain function: JSON body in, Reply out.
//
//   FutureShapeEndpoint endpoint({.accounts = &store, .estimators = &pool});
//   Reply reply = endpoint.handle(request_body);   // never throws for a client's mistake
//
// The work itself, also used by `bodyshape predict`:
//   Result<cv::Mat> after = predict_future_shape(estimator, rgb, {.goal = ..., .gender = ...});
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <opencv2/core.hpp>

#include "api/reply.h"
#include "common/result.h"
#include "common/stage_timer.h"
#include "common/worker_pool.h"
#include "image/image.h"
#include "person/person.h"
#include "reshape/reshape.h"

namespace bodyshape::storage {
class AccountStore;
}

namespace bodyshape::api {

struct FutureShapeRequest {
  std::string email;
  std::string user_key;
  std::string api_key;
  std::string base64_image;
  reshape::ReshapeRequest reshape;  // goal, gender, intensity (extension: 0..2, default 1)
  image::ImageFormat output_format = image::ImageFormat::kPng;  // extension: "png"|"jpeg"|"webp"
};

// Errors are kInvalidArgument with a message naming the field and what is wrong.
Result<FutureShapeRequest> parse_future_shape_request(std::string_view body);

// Person understanding + reshape on a decoded RGB image: the largest person found is reshaped
// (documented choice for photos with several people; the others' faces, hands and feet are kept
// as they are); kNoPerson when nobody is found, or when
// the person's body (torso, arms, legs) is not in the photo and nothing would change (a face or
// chest-up close-up, a torso whose sides the frame cuts off; intensity 0 still returns the image
// as it is).
// `stages` (optional) receives the person and reshape durations.
Result<cv::Mat> predict_future_shape(person::PoseEstimator& estimator, const cv::Mat& rgb,
                                     const reshape::ReshapeRequest& request,
                                     person::LandmarkModel model = person::LandmarkModel::kFull,
                                     StageSink* stages = nullptr);

struct FutureShapeDeps {
  storage::AccountStore* accounts = nullptr;
  image::DecodeOptions decode;
  WorkerPool<person::PoseEstimator>* estimators = nullptr;  // null = models not available
  person::LandmarkModel landmark_model = person::LandmarkModel::kFull;
  std::chrono::milliseconds queue_timeout{30000};  // longest wait for a free worker
  StageSink* stages = nullptr;  // per-stage durations (server/metrics.h); null = not measured
};

class FutureShapeEndpoint {
 public:
  explicit FutureShapeEndpoint(FutureShapeDeps deps) : deps_(std::move(deps)) {}
  Reply handle(std::string_view body) const;

 private:
  FutureShapeDeps deps_;
};

// {"state": true, "message": "success", "resultImage": b64, "result_image": b64}
std::string future_shape_success_body(std::string_view image_base64);

}  // namespace bodyshape::api

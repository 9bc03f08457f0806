// Whole-pipeline speed on a 1920x1080 photo: person understanding (detector + landmarks + mask),
// selfie, reshape, and the whole future-shape request (base64 -> decode -> person -> reshape ->
// PNG -> base64 JSON), at 1 and 2 threads per inference.
//
//   build/bench/bench_person [runs]   (default 15)
//
// Anchors: the target for detector + full landmark on 2 cores (30 ms); MediaPipe's own
// web runtime, full model, median over the shared photos (378 ms, testdata/reference/TIMINGS.md);
// the targets for plan + render (40 ms) and the whole request (150 ms).
#include <cstdlib>
#include <string>

#include <opencv2/imgproc.hpp>

#include "api/future_shape.h"
#include "bench_common.h"
#include "image/image.h"
#include "person/person.h"
#include "support/testdata.h"

using namespace bodyshape;

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 15;
  const auto photo_bytes =
      testing::read_bytes(testing::shared_path("testdata/images/man_pitcher_side_view.jpg"));
  cv::Mat photo = *image::decode_image(photo_bytes);
  cv::Mat rgb;
  cv::resize(photo, rgb, cv::Size(1920, 1080), 0, 0, cv::INTER_CUBIC);
  const std::vector<uint8_t> jpeg = image::encode_image(rgb, image::ImageFormat::kJpeg);
  const std::string body_base64 = image::base64_encode(jpeg);

  auto models = person::PoseModels::load(testing::model_path(""));
  if (!models) {
    std::fprintf(stderr, "models: %s\n", models.error().message.c_str());
    return 1;
  }
  bench::print_header("bench_person: 1920x1080 photo (man_pitcher_side_view, resized)", "1, 2");
  for (int threads : {1, 2}) {
    person::EstimatorOptions options;
    options.threads = threads;
    auto estimator = person::PoseEstimator::create(*models, options);
    const std::string suffix = "/" + std::to_string(threads) + "t";
    bench::print_row("detect" + suffix, bench::time_ms([&] { (void)estimator->detect(rgb); }, runs),
                     "ms");
    bench::print_row("pose_full (detect+landmarks+mask)" + suffix,
                     bench::time_ms([&] { (void)estimator->estimate(rgb); }, runs), "ms", 30);
    bench::print_row("pose_lite" + suffix,
                     bench::time_ms([&] {
                       (void)estimator->estimate(rgb, person::LandmarkModel::kLite);
                     }, runs),
                     "ms");
    bench::print_row("pose_heavy" + suffix,
                     bench::time_ms([&] {
                       (void)estimator->estimate(rgb, person::LandmarkModel::kHeavy);
                     }, runs),
                     "ms");
    bench::print_row("selfie" + suffix,
                     bench::time_ms([&] { (void)estimator->selfie_mask(rgb); }, runs), "ms");
    const reshape::ReshapeRequest request{.goal = reshape::Goal::kFatter,
                                          .gender = reshape::Gender::kMale,
                                          .intensity = 1.0f};
    bench::print_row("predict (pose + reshape)" + suffix,
                     bench::time_ms([&] {
                       (void)api::predict_future_shape(*estimator, rgb, request);
                     }, runs),
                     "ms", 378);
    bench::print_row("request (b64+decode+predict+png+b64)" + suffix,
                     bench::time_ms([&] {
                       auto bytes = image::base64_decode(body_base64);
                       auto decoded = image::decode_image(*bytes);
                       auto after = api::predict_future_shape(*estimator, *decoded, request);
                       auto png = image::encode_image(*after, image::ImageFormat::kPng);
                       auto body = api::future_shape_success_body(image::base64_encode(png));
                     }, runs),
                     "ms", 150);
  }
  return 0;
}

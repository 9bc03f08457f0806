// Whole-pipeline speed on a 1920x1080 photo: person understanding (detector + landmarks + mask),
// selfie, reshape, and the whole future-shape request (base64 -> decode -> person -> reshape ->
// PNG -> base64 JSON), at 1 and 2 threads per inference. Then a 12 MP (4000x3000) photo, one
// and several people, where the image-size mask work weighs most (anchor: estimate, ROI masks only).
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

namespace {

cv::Mat photo_at(const char* name, cv::Size size) {
  cv::Mat photo =
      *image::decode_image(testing::read_bytes(testing::shared_path("testdata/images/") + name));
  cv::Mat rgb;
  cv::resize(photo, rgb, size, 0, 0, cv::INTER_CUBIC);
  return rgb;
}

// 4000x3000, 1 thread: what estimate() costs beyond inference at 12 MP, and what each caller's
// mask costs (segmentation: the combined mask at 0.5 as CV_8U 0/1; future shape: the largest).
void large_photo_rows(const std::shared_ptr<const person::PoseModels>& models, int runs) {
  auto estimator = person::PoseEstimator::create(models);
  for (const char* name : {"man_baseball_batter.jpg", "soccer_three_players.jpg"}) {
    const cv::Mat rgb = photo_at(name, cv::Size(4000, 3000));
    auto pose = estimator->estimate(rgb);
    std::printf("# 4000x3000 %s: %zu person(s), ROI side %.0f px\n", name, pose->persons.size(),
                pose->persons.empty() ? 0.0 : pose->persons[0].roi.width * rgb.cols);
    const std::string tag = "12MP " + std::to_string(pose->persons.size()) + "p ";
    const bench::Stats detect = bench::time_ms([&] { (void)estimator->detect(rgb); }, runs);
    bench::print_row(tag + "detect/1t", detect, "ms");
    // Anchor: estimate with masks left at ROI size = inference + decoding, nothing image-sized.
    const bench::Stats roi_only = bench::time_ms([&] {
      (void)estimator->estimate(rgb, person::LandmarkModel::kFull, person::MaskOutput::kRoiOnly);
    }, runs);
    const double anchor = roi_only.median;
    bench::print_row(tag + "pose_full, ROI masks only (anchor)/1t", roi_only, "ms", anchor);
    bench::print_row(tag + "pose_full + combined 0/1 (segmentation)/1t",
                     bench::time_ms([&] {
                       auto p = estimator->estimate(rgb, person::LandmarkModel::kFull,
                                                    person::MaskOutput::kRoiOnly);
                       (void)p->combined_mask(person::MaskFormat::kBinary, 0.5f);
                     }, runs),
                     "ms", anchor);
    bench::print_row(tag + "pose_full + largest u8 (future shape)/1t",
                     bench::time_ms([&] {
                       auto p = estimator->estimate(rgb, person::LandmarkModel::kFull,
                                                    person::MaskOutput::kRoiOnly);
                       if (!p->persons.empty()) {
                         (void)p->persons[0].roi_mask.to_image(person::MaskFormat::kProbabilityU8);
                       }
                     }, runs),
                     "ms", anchor);
    bench::print_row(tag + "pose_full, CV_32F image masks/1t",
                     bench::time_ms([&] { (void)estimator->estimate(rgb); }, runs), "ms", anchor);
    bench::print_row(tag + "pose_full + threshold of CV_32F (old way)/1t",
                     bench::time_ms([&] {
                       auto p = estimator->estimate(rgb);
                       cv::Mat mask;
                       cv::threshold(p->mask, mask, 0.5, 1.0, cv::THRESH_BINARY);
                       mask.convertTo(mask, CV_8U);
                     }, runs),
                     "ms", anchor);
  }
}

}  // namespace

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
  large_photo_rows(*models, runs);
  return 0;
}

#include "cli/commands.h"

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <iterator>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "api/future_shape.h"
#include "cli/overlay.h"
#include "image/image.h"
#include "person/person.h"
#include "storage/object_store.h"

namespace bodyshape::cli {
namespace {

int fail(const std::string& message) {
  std::cerr << "bodyshape: " << message << "\n";
  return 1;
}

person::LandmarkModel parse_model(const std::string& name) {
  if (name == "lite") return person::LandmarkModel::kLite;
  if (name == "heavy") return person::LandmarkModel::kHeavy;
  return person::LandmarkModel::kFull;
}

// A local file, or s3://bucket/key read through the object store the config names.
Result<std::vector<uint8_t>> read_source(const server::Config& config, const std::string& source) {
  if (source.starts_with("s3://")) {
    auto store = storage::open_object_store({.endpoint = config.s3_endpoint,
                                             .local_root = config.data_dir + "/objects",
                                             .region = config.s3_region,
                                             .timeout_ms = config.s3_timeout_ms,
                                             .max_object_bytes = config.max_object_bytes},
                                            environ);
    if (!store) return store.error();
    const storage::SourcePolicy policy{
        .default_bucket = config.s3_bucket,
        .allowed_buckets = storage::split_bucket_list(config.s3_buckets)};
    auto ref = storage::parse_image_source(source, policy);
    if (!ref) return ref.error();
    return (*store)->get(*ref);
  }
  std::ifstream file(source, std::ios::binary);
  if (!file) return make_error(ErrorCode::kNotFound, "cannot read " + source);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(file), {});
}

Result<cv::Mat> load_image(const server::Config& config, const std::string& source) {
  auto bytes = read_source(config, source);
  if (!bytes) return bytes.error();
  return image::decode_image(*bytes, {.max_pixels = config.max_pixels});
}

Result<person::PoseEstimator> make_estimator(const server::Config& config,
                                             const std::string& landmark_model) {
  person::PoseModelFiles files;
  if (landmark_model != "lite") files.lite.clear();
  if (landmark_model != "full") files.full.clear();
  if (landmark_model != "heavy") files.heavy.clear();
  auto models = person::PoseModels::load(config.model_dir, files);
  if (!models) return models.error();
  person::EstimatorOptions options;
  options.threads = config.threads_per_worker;
  return person::PoseEstimator::create(*models, options);
}

Status write_image(const std::string& path, const cv::Mat& rgb_or_gray) {
  const std::vector<uint8_t> png = image::encode_image(rgb_or_gray, image::ImageFormat::kPng);
  std::ofstream file(path, std::ios::binary);
  file.write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
  if (!file) return make_error(ErrorCode::kUnavailable, "cannot write " + path);
  return Ok{};
}

nlohmann::json landmarks_json(const auto& points) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& point : points) {
    list.push_back({{"x", point.x}, {"y", point.y}, {"z", point.z}, {"visibility", point.visibility}});
  }
  return list;
}

}  // namespace

int run_pose(const server::Config& config, const PoseCommand& command) {
  auto rgb = load_image(config, command.image);
  if (!rgb) return fail(rgb.error().message);
  auto estimator = make_estimator(config, command.model);
  if (!estimator) return fail(estimator.error().message);
  auto pose = estimator->estimate(*rgb, parse_model(command.model));
  if (!pose) return fail(pose.error().message);
  nlohmann::json persons = nlohmann::json::array();
  for (const person::Person& found : pose->persons) {
    persons.push_back({{"score", found.score},
                       {"landmarks", landmarks_json(found.landmarks)},
                       {"worldLandmarks", landmarks_json(found.world)}});
  }
  std::cout << nlohmann::json{{"width", rgb->cols}, {"height", rgb->rows}, {"persons", persons}}
                   .dump()
            << "\n";
  return 0;
}

int run_segment(const server::Config& config, const SegmentCommand& command) {
  auto rgb = load_image(config, command.image);
  if (!rgb) return fail(rgb.error().message);
  auto estimator = make_estimator(config, config.landmark_model);
  if (!estimator) return fail(estimator.error().message);
  cv::Mat probability;
  std::vector<person::Person> persons;
  if (command.source == "pose") {
    auto pose = estimator->estimate(*rgb, parse_model(config.landmark_model));
    if (!pose) return fail(pose.error().message);
    probability = pose->mask;
    persons = pose->persons;
  } else if (command.source == "selfie" || command.source == "selfie-landscape") {
    auto selfie = estimator->selfie_mask(*rgb, command.source == "selfie-landscape");
    if (!selfie) return fail(selfie.error().message);
    probability = *selfie;
  } else {
    return fail("--source must be pose, selfie or selfie-landscape");
  }
  cv::Mat mask_8u;
  probability.convertTo(mask_8u, CV_8U, 255.0);
  if (Status written = write_image(command.output, mask_8u); !written) {
    return fail(written.error().message);
  }
  if (!command.overlay.empty()) {
    if (Status written = write_image(command.overlay, draw_overlay(*rgb, probability, persons));
        !written) {
      return fail(written.error().message);
    }
  }
  return 0;
}

int run_predict(const server::Config& config, const PredictCommand& command) {
  auto rgb = load_image(config, command.image);
  if (!rgb) return fail(rgb.error().message);
  reshape::ReshapeRequest request;
  request.goal = command.goal == "worst" ? reshape::Goal::kFatter : reshape::Goal::kSlimmer;
  request.gender =
      command.gender == "female" ? reshape::Gender::kFemale : reshape::Gender::kMale;
  request.intensity = static_cast<float>(command.intensity);
  auto estimator = make_estimator(config, config.landmark_model);
  if (!estimator) return fail(estimator.error().message);
  auto after =
      api::predict_future_shape(*estimator, *rgb, request, parse_model(config.landmark_model));
  if (!after) return fail(after.error().message);
  cv::Mat result = *after;
  if (command.side_by_side) cv::hconcat(*rgb, *after, result);
  if (Status written = write_image(command.output, result); !written) {
    return fail(written.error().message);
  }
  return 0;
}

}  // namespace bodyshape::cli

#include "cli/commands.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "api/future_shape.h"
#include "cli/batch.h"
#include "cli/overlay.h"
#include "image/image.h"
#include "person/person.h"
#include "server/service.h"
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

Status segment_photo(const server::Config& config, person::PoseEstimator& estimator,
                     const cv::Mat& rgb, const SegmentCommand& command, const std::string& output,
                     const std::string& overlay) {
  cv::Mat probability;
  std::vector<person::Person> persons;
  if (command.source == "pose") {
    auto pose = estimator.estimate(rgb, parse_model(config.landmark_model));
    if (!pose) return pose.error();
    probability = pose->mask;
    persons = pose->persons;
  } else if (command.source == "selfie" || command.source == "selfie-landscape") {
    auto selfie = estimator.selfie_mask(rgb, command.source == "selfie-landscape");
    if (!selfie) return selfie.error();
    probability = *selfie;
  } else {
    return make_error(ErrorCode::kInvalidArgument,
                      "--source must be pose, selfie or selfie-landscape");
  }
  cv::Mat mask_8u;
  probability.convertTo(mask_8u, CV_8U, 255.0);
  if (Status written = write_image(output, mask_8u); !written) return written;
  if (overlay.empty()) return Ok{};
  return write_image(overlay, draw_overlay(rgb, probability, persons));
}

Status predict_photo(const server::Config& config, person::PoseEstimator& estimator,
                     const cv::Mat& rgb, const PredictCommand& command, const std::string& output) {
  reshape::ReshapeRequest request;
  request.goal = command.goal == "worst" ? reshape::Goal::kFatter : reshape::Goal::kSlimmer;
  request.gender =
      command.gender == "female" ? reshape::Gender::kFemale : reshape::Gender::kMale;
  request.intensity = static_cast<float>(command.intensity);
  auto after =
      api::predict_future_shape(estimator, rgb, request, parse_model(config.landmark_model));
  if (!after) return after.error();
  cv::Mat result = *after;
  if (command.side_by_side) cv::hconcat(rgb, *after, result);
  return write_image(output, result);
}

Status make_output_dir(const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error || !std::filesystem::is_directory(dir)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "several photos need a directory to write to; cannot use " + dir);
  }
  return Ok{};
}

// Runs `photo(worker, rgb, index)` on every input with one worker per core (or
// inference_workers); returns the exit code after the summary.
int run_batch_command(const server::Config& config, const std::vector<std::string>& inputs,
                      const std::vector<std::string>& output_dirs,
                      const std::function<Status(person::PoseEstimator&, const cv::Mat&, size_t)>&
                          photo) {
  for (const std::string& dir : output_dirs) {
    if (Status made = make_output_dir(dir); !made) return fail(made.error().message);
  }
  const size_t wanted = static_cast<size_t>(server::inference_worker_count(config));
  auto workers =
      server::make_estimators(config, config.landmark_model, std::min(wanted, inputs.size()));
  if (!workers) return fail(workers.error().message);
  const std::vector<std::string> conflicts = batch_conflicts(inputs, output_dirs);
  BatchProgress progress(std::cerr, isatty(STDERR_FILENO) != 0, inputs.size());
  const BatchSummary summary = run_batch(
      *workers, inputs,
      [&](person::PoseEstimator& worker, size_t index) -> Status {
        if (!conflicts[index].empty()) {
          return make_error(ErrorCode::kInvalidArgument, conflicts[index]);
        }
        auto rgb = load_image(config, inputs[index]);
        if (!rgb) return rgb.error();
        return photo(worker, *rgb, index);
      },
      progress);
  progress.summary(summary);
  return summary.failed.empty() ? 0 : 1;
}

int run_segment_batch(const server::Config& config, const SegmentCommand& command) {
  std::vector<std::string> dirs = {command.output};
  if (!command.overlay.empty()) dirs.push_back(command.overlay);
  return run_batch_command(
      config, command.images, dirs,
      [&](person::PoseEstimator& worker, const cv::Mat& rgb, size_t index) {
        const std::string& input = command.images[index];
        return segment_photo(
            config, worker, rgb, command, batch_output_path(command.output, input),
            command.overlay.empty() ? "" : batch_output_path(command.overlay, input));
      });
}

int run_predict_batch(const server::Config& config, const PredictCommand& command) {
  return run_batch_command(
      config, command.images, {command.output},
      [&](person::PoseEstimator& worker, const cv::Mat& rgb, size_t index) {
        return predict_photo(config, worker, rgb, command,
                             batch_output_path(command.output, command.images[index]));
      });
}

}  // namespace

int run_pose(const server::Config& config, const PoseCommand& command) {
  auto rgb = load_image(config, command.image);
  if (!rgb) return fail(rgb.error().message);
  auto estimators = server::make_estimators(config, command.model, 1);
  if (!estimators) return fail(estimators.error().message);
  auto pose = estimators->front().estimate(*rgb, parse_model(command.model));
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
  if (is_batch(command.images, command.output)) return run_segment_batch(config, command);
  auto rgb = load_image(config, command.images.front());
  if (!rgb) return fail(rgb.error().message);
  auto estimators = server::make_estimators(config, config.landmark_model, 1);
  if (!estimators) return fail(estimators.error().message);
  const Status segmented =
      segment_photo(config, estimators->front(), *rgb, command, command.output, command.overlay);
  return segmented ? 0 : fail(segmented.error().message);
}

int run_predict(const server::Config& config, const PredictCommand& command) {
  if (is_batch(command.images, command.output)) return run_predict_batch(config, command);
  auto rgb = load_image(config, command.images.front());
  if (!rgb) return fail(rgb.error().message);
  auto estimators = server::make_estimators(config, config.landmark_model, 1);
  if (!estimators) return fail(estimators.error().message);
  const Status predicted =
      predict_photo(config, estimators->front(), *rgb, command, command.output);
  return predicted ? 0 : fail(predicted.error().message);
}

}  // namespace bodyshape::cli

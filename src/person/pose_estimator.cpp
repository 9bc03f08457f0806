#include <algorithm>
#include <cmath>
#include <utility>

#include <opencv2/imgproc.hpp>

#include "person/image_to_tensor.h"
#include "person/person.h"

namespace bodyshape::person {
namespace {

constexpr const char* kLandmarkNames[] = {"lite", "full", "heavy"};

// Output names (MEDIAPIPE-FACTS.md): landmark model Identity..Identity_4, detector
// Identity/Identity_1, selfie activation_10, landscape segment_back.
struct OutputSpec {
  const char* name;
  size_t elements;
};

Status check_io(const nn::Runtime& runtime, const std::string& model, std::vector<int32_t> input,
                std::initializer_list<OutputSpec> outputs) {
  if (runtime.input_shape(0) != input) {
    return make_error(ErrorCode::kInternal, model + ": unexpected input shape");
  }
  for (const OutputSpec& out : outputs) {
    size_t n = 1;
    for (int32_t d : runtime.output_shape(out.name)) n *= static_cast<size_t>(d);
    if (runtime.output_shape(out.name).empty() || n != out.elements) {
      return make_error(ErrorCode::kInternal,
                        model + ": output " + out.name + " missing or of unexpected size");
    }
  }
  return Ok{};
}

Result<std::unique_ptr<nn::Runtime>> make_runtime(const std::shared_ptr<const nn::Model>& model,
                                                  int threads) {
  if (!model) return std::unique_ptr<nn::Runtime>();
  return nn::Runtime::create(model, {.threads = threads});
}

Status check_image(const cv::Mat& rgb) {
  if (rgb.empty() || rgb.type() != CV_8UC3) {
    return make_error(ErrorCode::kInvalidArgument, "person: expected a non-empty CV_8UC3 image");
  }
  return Ok{};
}

}  // namespace

Result<std::shared_ptr<const PoseModels>> PoseModels::load(const std::string& model_dir,
                                                           const PoseModelFiles& files) {
  auto models = std::make_shared<PoseModels>();
  auto load_one = [&](const std::string& file, std::shared_ptr<const nn::Model>& into) -> Status {
    if (file.empty()) return Ok{};
    auto model = nn::Model::load(model_dir + "/" + file);
    if (!model) {
      return make_error(ErrorCode::kUnavailable,
                        "person: cannot load " + file + ": " + model.error().message);
    }
    into = std::move(*model);
    return Ok{};
  };
  for (auto [file, slot] :
       {std::pair{&files.detector, &models->detector}, std::pair{&files.lite, &models->landmark[0]},
        std::pair{&files.full, &models->landmark[1]}, std::pair{&files.heavy, &models->landmark[2]},
        std::pair{&files.selfie, &models->selfie},
        std::pair{&files.selfie_landscape, &models->selfie_landscape}}) {
    if (auto status = load_one(*file, *slot); !status) return status.error();
  }
  return std::shared_ptr<const PoseModels>(std::move(models));
}

PoseEstimator::PoseEstimator(PoseEstimator&&) noexcept = default;
PoseEstimator& PoseEstimator::operator=(PoseEstimator&&) noexcept = default;
PoseEstimator::~PoseEstimator() = default;

Result<PoseEstimator> PoseEstimator::create(std::shared_ptr<const PoseModels> models,
                                            const EstimatorOptions& options) {
  if (!models) return make_error(ErrorCode::kInternal, "person: no models");
  PoseEstimator estimator;
  estimator.models_ = std::move(models);
  estimator.options_ = options.pose;
  estimator.anchors_ = generate_anchors(options.pose.anchors);
  const PoseOptions& o = estimator.options_;
  const int threads = options.threads;

  auto detector = make_runtime(estimator.models_->detector, threads);
  if (!detector) return detector.error();
  estimator.detector_ = std::move(*detector);
  if (estimator.detector_) {
    const size_t n = estimator.anchors_.size();
    auto status =
        check_io(*estimator.detector_, "pose_detection", {1, o.detector_size, o.detector_size, 3},
                 {{"Identity", n * static_cast<size_t>(o.decode.num_coords)}, {"Identity_1", n}});
    if (!status) return status.error();
  }
  const size_t lm = static_cast<size_t>(o.landmarks.num_landmarks);
  const size_t side = static_cast<size_t>(o.landmark_size);
  const size_t heat = static_cast<size_t>(o.heatmap.heatmap_width) * o.heatmap.heatmap_height;
  for (size_t i = 0; i < 3; ++i) {
    auto runtime = make_runtime(estimator.models_->landmark[i], threads);
    if (!runtime) return runtime.error();
    estimator.landmark_[i] = std::move(*runtime);
    if (!estimator.landmark_[i]) continue;
    auto status =
        check_io(*estimator.landmark_[i], std::string("pose_landmark_") + kLandmarkNames[i],
                 {1, o.landmark_size, o.landmark_size, 3},
                 {{"Identity", lm * 5},
                  {"Identity_1", 1},
                  {"Identity_2", side * side},
                  {"Identity_3", heat * lm},
                  {"Identity_4", lm * 3}});
    if (!status) return status.error();
  }
  auto selfie = make_runtime(estimator.models_->selfie, threads);
  if (!selfie) return selfie.error();
  estimator.selfie_ = std::move(*selfie);
  if (estimator.selfie_) {
    auto status = check_io(*estimator.selfie_, "selfie_segmentation", {1, 256, 256, 3},
                           {{"activation_10", 256 * 256}});
    if (!status) return status.error();
  }
  auto landscape = make_runtime(estimator.models_->selfie_landscape, threads);
  if (!landscape) return landscape.error();
  estimator.selfie_landscape_ = std::move(*landscape);
  if (estimator.selfie_landscape_) {
    auto status = check_io(*estimator.selfie_landscape_, "selfie_segmentation_landscape",
                           {1, 144, 256, 3}, {{"segment_back", 144 * 256}});
    if (!status) return status.error();
  }
  return estimator;
}

Result<std::vector<Detection>> PoseEstimator::detect(const cv::Mat& rgb) {
  if (auto status = check_image(rgb); !status) return status.error();
  if (!detector_) return make_error(ErrorCode::kUnavailable, "person: detector not loaded");
  const int size = options_.detector_size;
  // MEDIAPIPE-FACTS.md: the whole image letterboxed, ZERO border, values in [-1, 1].
  extract_tensor(rgb, letterbox_rect(rgb.cols, rgb.rows, size, size), size, size,
                 {.border = BorderMode::kZero, .range_min = -1.0f, .range_max = 1.0f},
                 detector_->input(0));
  if (auto status = detector_->run(); !status) return status.error();
  std::vector<Detection> detections =
      weighted_nms(decode_detections(detector_->output("Identity"), detector_->output("Identity_1"),
                                     anchors_, options_.decode),
                   options_.nms);
  const Letterbox letterbox = letterbox_for(rgb.cols, rgb.rows, size, size);
  for (Detection& d : detections) d = remove_letterbox(d, letterbox);
  return detections;
}

Result<Person> PoseEstimator::landmark_person(const cv::Mat& rgb, const Detection& detection,
                                              nn::Runtime& runtime) {
  const PoseOptions& o = options_;
  Person person;
  person.score = detection.score;
  person.box = detection.box;
  person.detection = detection;
  person.roi = detection_to_roi(detection, rgb.cols, rgb.rows, o.roi);
  const RotatedRectPx roi_px = to_pixels(person.roi, rgb.cols, rgb.rows);
  // ImageToTensor rejects an empty or NaN ROI (ValidateRoi), so the graph yields no landmarks.
  if (!(roi_px.width > 0 && roi_px.height > 0) || !std::isfinite(roi_px.center_x) ||
      !std::isfinite(roi_px.center_y) || !std::isfinite(roi_px.rotation)) {
    return person;  // pose_flag 0: dropped by the caller
  }

  // MEDIAPIPE-FACTS.md: [0, 1], border not set (ImageToTensor default: replicate).
  extract_tensor(rgb, roi_px, o.landmark_size, o.landmark_size,
                 {.border = BorderMode::kReplicate, .range_min = 0.0f, .range_max = 1.0f},
                 runtime.input(0));
  if (auto status = runtime.run(); !status) return status.error();

  person.pose_flag = runtime.output("Identity_1")[0];
  if (person.pose_flag < o.pose_flag_threshold) return person;

  std::vector<Landmark> roi_landmarks = decode_landmarks(runtime.output("Identity"), o.landmarks);
  refine_from_heatmap(roi_landmarks, runtime.output("Identity_3"), o.heatmap);
  std::vector<WorldLandmark> world =
      decode_world_landmarks(runtime.output("Identity_4"), o.landmarks.num_landmarks);
  for (int i = 0; i < kNumPoseLandmarks; ++i) {
    person.landmarks[i] = project_to_image(roi_landmarks[i], person.roi);
    WorldLandmark w = rotate_world(world[i], person.roi.rotation);
    w.visibility = person.landmarks[i].visibility;  // VisibilityCopyCalculator
    w.presence = person.landmarks[i].presence;
    person.world[i] = w;
  }
  for (int i = 0; i < 2; ++i) {
    person.auxiliary[i] = project_to_image(roi_landmarks[kNumPoseLandmarks + i], person.roi);
  }

  // Segmentation logits -> sigmoid (TensorsToSegmentation activation SIGMOID) -> image.
  std::span<const float> logits = runtime.output("Identity_2");
  cv::Mat probability(o.landmark_size, o.landmark_size, CV_32FC1);
  float* p = probability.ptr<float>();
  for (size_t i = 0; i < logits.size(); ++i) p[i] = sigmoid(logits[i]);
  person.roi_mask = {std::move(probability), roi_px, rgb.size()};
  return person;
}

Result<PoseResult> PoseEstimator::estimate(const cv::Mat& rgb, LandmarkModel model,
                                           MaskOutput masks) {
  const auto index = static_cast<size_t>(model);
  if (index >= landmark_.size()) {
    return make_error(ErrorCode::kInvalidArgument, "person: unknown landmark model");
  }
  if (!landmark_[index]) {
    return make_error(ErrorCode::kUnavailable,
                      std::string("person: landmark model not loaded: ") + kLandmarkNames[index]);
  }
  auto detections = detect(rgb);
  if (!detections) return detections.error();

  PoseResult result;
  result.image_size = rgb.size();
  for (const Detection& detection : *detections) {
    auto person = landmark_person(rgb, detection, *landmark_[index]);
    if (!person) return person.error();
    if (person->pose_flag >= options_.pose_flag_threshold) {
      result.persons.push_back(std::move(*person));
    }
  }
  // Largest first: the ROI's side in pixels (square_long makes width and height equal).
  std::stable_sort(result.persons.begin(), result.persons.end(),
                   [&](const Person& a, const Person& b) {
                     return a.roi.width * rgb.cols > b.roi.width * rgb.cols;
                   });
  if (masks == MaskOutput::kImage) {
    for (Person& person : result.persons) person.mask = person.roi_mask.to_image();
    if (result.persons.empty()) {
      result.mask = zero_mask(rgb.size(), CV_32FC1);
    } else if (result.persons.size() == 1) {
      result.mask = result.persons.front().mask;
    } else {  // the first mask, then the others' ROIs only
      result.mask = result.persons.front().mask.clone();
      for (size_t i = 1; i < result.persons.size(); ++i) {
        const RoiMask& roi = result.persons[i].roi_mask;
        warp_mask_max_into(roi.probability, roi.rect, MaskFormat::kProbability, 0.5f, result.mask);
      }
    }
  }
  return result;
}

cv::Mat RoiMask::to_image(MaskFormat format, float threshold) const {
  cv::Mat image_mask = zero_mask(image_size, mask_type(format));
  if (!probability.empty()) warp_mask_max_into(probability, rect, format, threshold, image_mask);
  return image_mask;
}

cv::Mat PoseResult::combined_mask(MaskFormat format, float threshold) const {
  cv::Mat combined = zero_mask(image_size, mask_type(format));
  for (const Person& person : persons) {
    const RoiMask& roi = person.roi_mask;
    if (!roi.probability.empty()) {
      warp_mask_max_into(roi.probability, roi.rect, format, threshold, combined);
    }
  }
  return combined;
}

Result<cv::Mat> PoseEstimator::selfie_mask(const cv::Mat& rgb, bool landscape) {
  if (auto status = check_image(rgb); !status) return status.error();
  nn::Runtime* runtime = landscape ? selfie_landscape_.get() : selfie_.get();
  if (!runtime) return make_error(ErrorCode::kUnavailable, "person: selfie model not loaded");
  // MEDIAPIPE-FACTS.md: 256x256 (landscape 256 wide x 144 high), plain stretch, [0, 1], ZERO.
  const int width = 256, height = landscape ? 144 : 256;
  const RotatedRectPx whole{rgb.cols / 2.0f, rgb.rows / 2.0f, static_cast<float>(rgb.cols),
                            static_cast<float>(rgb.rows), 0};
  extract_tensor(rgb, whole, width, height,
                 {.border = BorderMode::kZero, .range_min = 0.0f, .range_max = 1.0f},
                 runtime->input(0));
  if (auto status = runtime->run(); !status) return status.error();
  // Already probabilities (MEDIAPIPE-FACTS.md: last op LOGISTIC, activation NONE).
  std::span<const float> out = runtime->output(landscape ? "segment_back" : "activation_10");
  const cv::Mat small(height, width, CV_32FC1, const_cast<float*>(out.data()));
  cv::Mat mask;
  cv::resize(small, mask, rgb.size(), 0, 0, cv::INTER_LINEAR);
  return mask;
}

}  // namespace bodyshape::person

// person/: people in a still image, as MediaPipe's official pose solution finds them (detector ->
// ROI -> landmark model -> landmarks, world landmarks, mask), plus selfie segmentation.
//
//   // Once, at start-up: the models, shared read-only by every worker.
//   Result<std::shared_ptr<const PoseModels>> models = PoseModels::load("models");
//
//   // Per worker: the runtimes (their buffers are the per-request state).
//   Result<PoseEstimator> estimator = PoseEstimator::create(*models);  // EstimatorOptions{}
//
//   // Per request: an RGB, EXIF-upright CV_8UC3 image (image::decode_image).
//   Result<PoseResult> pose = estimator->estimate(rgb, LandmarkModel::kFull);
//   for (const Person& p : pose->persons) {          // largest first; empty = nobody found
//     const Landmark& left_hip = p.landmarks[kLeftHip];   // x, y normalised to the image
//     float px = left_hip.x * rgb.cols;
//   }
//   cv::Mat people = pose->mask;                     // CV_32F probabilities at image size
//
//   // Only the mask a caller needs, never the 48 MB CV_32F image of a 12 MP photo:
//   auto lean = estimator->estimate(rgb, LandmarkModel::kFull, MaskOutput::kRoiOnly);
//   cv::Mat people_01 = lean->combined_mask(MaskFormat::kBinary, 0.5f);  // CV_8U 0/1
//   cv::Mat largest = lean->persons[0].roi_mask.to_image(MaskFormat::kProbabilityU8);
//
//   Result<cv::Mat> selfie = estimator->selfie_mask(rgb, /*landscape=*/false);
//
// Every person the detector finds (after NMS) gets its own landmark run; a person whose pose
// flag is below 0.5 is dropped, as the official graph drops it. The official solution only
// reports the detector's best-scoring person; it is the one with the highest `score` here.
// The stages are pure functions in detection.h, roi.h, image_to_tensor.h, landmarks.h.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "common/result.h"
#include "nn/runtime.h"
#include "person/detection.h"
#include "person/image_to_tensor.h"
#include "person/landmarks.h"
#include "person/roi.h"
#include "person/types.h"

namespace bodyshape::person {

// BlazePose's 33 landmarks.
enum PoseLandmark : int {
  kNose = 0,
  kLeftEyeInner,
  kLeftEye,
  kLeftEyeOuter,
  kRightEyeInner,
  kRightEye,
  kRightEyeOuter,
  kLeftEar,
  kRightEar,
  kMouthLeft,
  kMouthRight,
  kLeftShoulder,
  kRightShoulder,
  kLeftElbow,
  kRightElbow,
  kLeftWrist,
  kRightWrist,
  kLeftPinky,
  kRightPinky,
  kLeftIndex,
  kRightIndex,
  kLeftThumb,
  kRightThumb,
  kLeftHip,
  kRightHip,
  kLeftKnee,
  kRightKnee,
  kLeftAnkle,
  kRightAnkle,
  kLeftHeel,
  kRightHeel,
  kLeftFootIndex,
  kRightFootIndex,
  kNumPoseLandmarks
};

enum class LandmarkModel { kLite, kFull, kHeavy };

// Model file names inside the model directory; an empty name skips that model.
struct PoseModelFiles {
  std::string detector = "pose_detection.tflite";
  std::string lite = "pose_landmark_lite.tflite";
  std::string full = "pose_landmark_full.tflite";
  std::string heavy = "pose_landmark_heavy.tflite";
  std::string selfie = "selfie_segmentation.tflite";
  std::string selfie_landscape = "selfie_segmentation_landscape.tflite";
};

struct PoseModels {
  std::shared_ptr<const nn::Model> detector;
  std::array<std::shared_ptr<const nn::Model>, 3> landmark;  // by LandmarkModel
  std::shared_ptr<const nn::Model> selfie;
  std::shared_ptr<const nn::Model> selfie_landscape;

  static Result<std::shared_ptr<const PoseModels>> load(const std::string& model_dir,
                                                        const PoseModelFiles& files = {});
};

struct PoseOptions {
  int detector_size = 224;           // MEDIAPIPE-FACTS.md: pose_detection input 224x224
  int landmark_size = 256;           // MEDIAPIPE-FACTS.md: pose_landmark input 256x256
  float pose_flag_threshold = 0.5f;  // MEDIAPIPE-FACTS.md: the graph thresholds Identity_1 at 0.5
  AnchorOptions anchors;
  DecodeOptions decode;
  NmsOptions nms;
  RoiOptions roi;
  LandmarkDecodeOptions landmarks;
  HeatmapRefineOptions heatmap;
};

struct EstimatorOptions {
  int threads = 1;  // per runtime; 1 = run on the calling thread
  PoseOptions pose;
};

// What estimate() puts in Person::mask and PoseResult::mask.
enum class MaskOutput {
  kImage,    // CV_32F at image size, as documented on the fields (4 bytes per image pixel)
  kRoiOnly,  // left empty: callers make the mask they need from roi_mask / combined_mask()
};

// A person's mask as the landmark model gives it: its 256x256 probabilities and the ROI they
// cover. A few hundred KB whatever the image size; to_image() costs O(ROI pixels).
struct RoiMask {
  cv::Mat probability;  // CV_32F landmark_size x landmark_size, sigmoid of Identity_2
  RotatedRectPx rect;   // the ROI in image pixels
  cv::Size image_size;

  // Warped to the image (bilinear, 0 outside the ROI); `threshold` only for kBinary.
  cv::Mat to_image(MaskFormat format = MaskFormat::kProbability, float threshold = 0.5f) const;
};

struct Person {
  float score = 0;      // detector score (after weighted NMS: the best member's)
  BoxNorm box;          // detection box, normalised to the image
  Detection detection;  // the detection itself (keypoints normalised to the image)
  NormRect roi;         // the landmark model's input rectangle
  float pose_flag = 0;  // landmark model's pose presence probability
  std::array<Landmark, kNumPoseLandmarks> landmarks{};  // normalised to the image
  std::array<Landmark, 2> auxiliary{};  // 33, 34: hip centre and scale point (next-frame ROI)
  std::array<WorldLandmark, kNumPoseLandmarks> world{};  // metres, hip-centred
  RoiMask roi_mask;  // always filled
  cv::Mat mask;  // CV_32F probability at image size, 0 outside the ROI (MaskOutput::kImage)
};

struct PoseResult {
  cv::Size image_size;
  std::vector<Person> persons;  // largest ROI first
  // Per-pixel max over persons' masks (CV_32F, image size; zeros when nobody). With one person
  // it shares memory with persons[0].mask. Empty with MaskOutput::kRoiOnly.
  cv::Mat mask;

  // The per-pixel max over persons' masks in `format` at image size, made from the ROI masks
  // (zeros when nobody); kBinary at 0.5 = cv::threshold of `mask` at 0.5, as CV_8U 0/1.
  cv::Mat combined_mask(MaskFormat format, float threshold = 0.5f) const;
};

class PoseEstimator {
 public:
  static Result<PoseEstimator> create(std::shared_ptr<const PoseModels> models,
                                      const EstimatorOptions& options = {});

  // rgb: CV_8UC3, RGB, EXIF-upright. No person is an empty `persons`, not an error.
  Result<PoseResult> estimate(const cv::Mat& rgb, LandmarkModel model = LandmarkModel::kFull,
                              MaskOutput masks = MaskOutput::kImage);

  // Only the detector (image-normalised detections after NMS, best score first).
  Result<std::vector<Detection>> detect(const cv::Mat& rgb);

  // Selfie segmentation: plain stretch to 256x256 (or 256x144 landscape), mask resized back
  // bilinearly; CV_32F probabilities at image size.
  Result<cv::Mat> selfie_mask(const cv::Mat& rgb, bool landscape = false);

  PoseEstimator(PoseEstimator&&) noexcept;
  PoseEstimator& operator=(PoseEstimator&&) noexcept;
  ~PoseEstimator();

 private:
  PoseEstimator() = default;
  Result<Person> landmark_person(const cv::Mat& rgb, const Detection& detection,
                                 nn::Runtime& runtime);

  std::shared_ptr<const PoseModels> models_;
  PoseOptions options_;
  std::vector<Anchor> anchors_;
  std::unique_ptr<nn::Runtime> detector_;
  std::array<std::unique_ptr<nn::Runtime>, 3> landmark_;
  std::unique_ptr<nn::Runtime> selfie_;
  std::unique_ptr<nn::Runtime> selfie_landscape_;
};

}  // namespace bodyshape::person

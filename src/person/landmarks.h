// The landmark model's post-processing: raw tensors -> landmarks in the ROI (TensorsToLandmarks),
// heatmap refinement (RefineLandmarksFromHeatmap), projection back to the image
// (LandmarkProjection) and rotation of the world landmarks (WorldLandmarkProjection).
//
//   auto lms = decode_landmarks(runtime->output("Identity"), {});        // 39, ROI-normalised
//   refine_from_heatmap(lms, runtime->output("Identity_3"), {});
//   for (Landmark& lm : lms) lm = project_to_image(lm, roi);
#pragma once

#include <cmath>
#include <span>
#include <vector>

#include "person/types.h"

namespace bodyshape::person {

// The activation MediaPipe applies to visibility, presence, heatmap and segmentation logits.
inline float sigmoid(float logit) {
  return 1.0f / (1.0f + std::exp(-logit));
}

struct LandmarkDecodeOptions {
  int num_landmarks = 39;    // MEDIAPIPE-FACTS.md: 39 x [x, y, z, visibility, presence]
  float input_width = 256;   // MEDIAPIPE-FACTS.md: TensorsToLandmarks input 256x256
  float input_height = 256;  // MEDIAPIPE-FACTS.md
  float normalize_z = 1.0f;  // TensorsToLandmarks default: z / input_width / normalize_z
  // visibility/presence activation SIGMOID (MEDIAPIPE-FACTS.md).
};

// raw: num_landmarks x 5. x, y normalised to the tensor; z on x's scale; sigmoid probabilities.
std::vector<Landmark> decode_landmarks(std::span<const float> raw,
                                       const LandmarkDecodeOptions& options);

// raw: num_landmarks x 3 metres, used as is (visibility/presence left 0 for the caller to copy).
std::vector<WorldLandmark> decode_world_landmarks(std::span<const float> raw, int num_landmarks);

struct HeatmapRefineOptions {
  int heatmap_width = 64;                 // MEDIAPIPE-FACTS.md: Identity_3 (1,64,64,39)
  int heatmap_height = 64;                // MEDIAPIPE-FACTS.md
  int kernel_size = 7;                    // MEDIAPIPE-FACTS.md
  float min_confidence_to_refine = 0.5f;  // RefineLandmarksFromHeatmap default
  bool refine_presence = false;           // RefineLandmarksFromHeatmap default
  bool refine_visibility = false;         // RefineLandmarksFromHeatmap default
};

// heatmap: HWC logits, channels = landmarks.size(). Replaces x, y by the sigmoid-weighted mean
// cell of the kernel around each landmark when the kernel's peak is confident enough.
void refine_from_heatmap(std::vector<Landmark>& landmarks, std::span<const float> heatmap,
                         const HeatmapRefineOptions& options);

// ROI-normalised -> image-normalised (rotation about the ROI centre, then ROI scale); z scales
// like x (by the ROI's normalised width).
Landmark project_to_image(const Landmark& in_roi, const NormRect& roi);
// The inverse, for tests and for callers that need ROI coordinates.
Landmark project_to_roi(const Landmark& in_image, const NormRect& roi);

// World landmarks are predicted in the ROI's upright frame: rotate x, y by the ROI rotation.
WorldLandmark rotate_world(const WorldLandmark& in_roi, float rotation);

}  // namespace bodyshape::person

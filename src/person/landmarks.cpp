#include "person/landmarks.h"

#include <algorithm>
#include <cmath>

namespace bodyshape::person {
std::vector<Landmark> decode_landmarks(std::span<const float> raw,
                                       const LandmarkDecodeOptions& options) {
  const size_t n = std::min<size_t>(options.num_landmarks, raw.size() / 5);
  std::vector<Landmark> landmarks(n);
  for (size_t i = 0; i < n; ++i) {
    const float* v = raw.data() + 5 * i;
    landmarks[i] = {v[0] / options.input_width, v[1] / options.input_height,
                    v[2] / options.input_width / options.normalize_z, sigmoid(v[3]), sigmoid(v[4])};
  }
  return landmarks;
}

std::vector<WorldLandmark> decode_world_landmarks(std::span<const float> raw, int num_landmarks) {
  const size_t n = std::min<size_t>(num_landmarks, raw.size() / 3);
  std::vector<WorldLandmark> landmarks(n);
  for (size_t i = 0; i < n; ++i) {
    landmarks[i] = {raw[3 * i], raw[3 * i + 1], raw[3 * i + 2], 0, 0};
  }
  return landmarks;
}

void refine_from_heatmap(std::vector<Landmark>& landmarks, std::span<const float> heatmap,
                         const HeatmapRefineOptions& options) {
  const int hw = options.heatmap_width, hh = options.heatmap_height;
  const int channels = static_cast<int>(landmarks.size());
  if (heatmap.size() != static_cast<size_t>(hw) * hh * channels) return;
  const int offset = (options.kernel_size - 1) / 2;
  for (int li = 0; li < channels; ++li) {
    Landmark& lm = landmarks[li];
    // Truncation toward zero, as MediaPipe's int conversion: -0.5 cells still counts as cell 0.
    const int col = static_cast<int>(lm.x * hw);
    const int row = static_cast<int>(lm.y * hh);
    if (col < 0 || col >= hw || row < 0 || row >= hh) continue;
    float sum = 0, weighted_col = 0, weighted_row = 0, peak = 0;
    for (int r = std::max(0, row - offset); r < std::min(hh, row + offset + 1); ++r) {
      for (int c = std::max(0, col - offset); c < std::min(hw, col + offset + 1); ++c) {
        const float confidence =
            sigmoid(heatmap[(static_cast<size_t>(r) * hw + c) * channels + li]);
        sum += confidence;
        peak = std::max(peak, confidence);
        weighted_col += c * confidence;
        weighted_row += r * confidence;
      }
    }
    if (peak >= options.min_confidence_to_refine && sum > 0) {
      lm.x = weighted_col / hw / sum;
      lm.y = weighted_row / hh / sum;
    }
    if (options.refine_presence && sum > 0) lm.presence = std::min(lm.presence, peak);
    if (options.refine_visibility && sum > 0) lm.visibility = std::min(lm.visibility, peak);
  }
}

Landmark project_to_image(const Landmark& in_roi, const NormRect& roi) {
  const float x = in_roi.x - 0.5f, y = in_roi.y - 0.5f;
  const float c = std::cos(roi.rotation), s = std::sin(roi.rotation);
  Landmark out = in_roi;
  out.x = (c * x - s * y) * roi.width + roi.x_center;
  out.y = (s * x + c * y) * roi.height + roi.y_center;
  out.z = in_roi.z * roi.width;
  return out;
}

Landmark project_to_roi(const Landmark& in_image, const NormRect& roi) {
  const float x = (in_image.x - roi.x_center) / roi.width;
  const float y = (in_image.y - roi.y_center) / roi.height;
  const float c = std::cos(roi.rotation), s = std::sin(roi.rotation);
  Landmark out = in_image;
  out.x = c * x + s * y + 0.5f;
  out.y = -s * x + c * y + 0.5f;
  out.z = in_image.z / roi.width;
  return out;
}

WorldLandmark rotate_world(const WorldLandmark& in_roi, float rotation) {
  const float c = std::cos(rotation), s = std::sin(rotation);
  WorldLandmark out = in_roi;
  out.x = c * in_roi.x - s * in_roi.y;
  out.y = s * in_roi.x + c * in_roi.y;
  return out;
}

}  // namespace bodyshape::person

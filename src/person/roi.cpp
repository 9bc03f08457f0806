#include "person/roi.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace bodyshape::person {

float normalize_radians(float angle) {
  constexpr float kPi = std::numbers::pi_v<float>;
  return angle - 2 * kPi * std::floor((angle + kPi) / (2 * kPi));
}

NormRect points_to_roi(PointNorm start, PointNorm end, int image_width, int image_height,
                       const RoiOptions& options) {
  const float w = static_cast<float>(image_width);
  const float h = static_cast<float>(image_height);
  const float x0 = start.x * w, y0 = start.y * h;
  const float x1 = end.x * w, y1 = end.y * h;
  const float box_px = 2.0f * std::hypot(x1 - x0, y1 - y0);
  const float target = options.target_angle_degrees * std::numbers::pi_v<float> / 180.0f;

  NormRect roi;
  roi.x_center = start.x;
  roi.y_center = start.y;
  roi.rotation = normalize_radians(target - std::atan2(-(y1 - y0), x1 - x0));
  float width = box_px / w;
  float height = box_px / h;
  if (options.square_long) {
    const float long_px = std::max(width * w, height * h);
    width = long_px / w;
    height = long_px / h;
  }
  roi.width = width * options.scale;
  roi.height = height * options.scale;
  return roi;
}

NormRect detection_to_roi(const Detection& detection, int image_width, int image_height,
                          const RoiOptions& options) {
  return points_to_roi(detection.keypoints[options.start_keypoint],
                       detection.keypoints[options.end_keypoint], image_width, image_height,
                       options);
}

}  // namespace bodyshape::person

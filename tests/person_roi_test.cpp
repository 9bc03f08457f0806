// Detection -> ROI math on synthetic keypoints: size, square_long, scale, rotation (sign and
// pixel-space angle).
#include <cmath>
#include <numbers>

#include <gtest/gtest.h>

#include "person/landmarks.h"
#include "person/roi.h"

namespace bodyshape::person {
namespace {

constexpr float kPi = std::numbers::pi_v<float>;

Detection with_keypoints(PointNorm kp0, PointNorm kp1) {
  Detection d;
  d.keypoints[0] = kp0;
  d.keypoints[1] = kp1;
  return d;
}

TEST(PersonRoi, UprightPersonHasNoRotation) {
  // Square image 100x100: hip centre at (50, 50), scale point 20 px above it.
  const NormRect roi = detection_to_roi(with_keypoints({0.5f, 0.5f}, {0.5f, 0.3f}), 100, 100, {});
  EXPECT_NEAR(roi.rotation, 0.0f, 1e-6);
  EXPECT_FLOAT_EQ(roi.x_center, 0.5f);
  EXPECT_FLOAT_EQ(roi.y_center, 0.5f);
  EXPECT_NEAR(roi.width, 2 * 0.2 * 1.25, 1e-6);  // twice the distance, then scale 1.25
  EXPECT_NEAR(roi.height, 2 * 0.2 * 1.25, 1e-6);
}

TEST(PersonRoi, HeadToTheRightIsPositiveQuarterTurn) {
  const NormRect roi = detection_to_roi(with_keypoints({0.5f, 0.5f}, {0.7f, 0.5f}), 100, 100, {});
  EXPECT_NEAR(roi.rotation, kPi / 2, 1e-6);
  // The crop's "up" (above the ROI centre) lands right of the centre in the image.
  const Landmark up = project_to_image({0.5f, 0.3f, 0, 0, 0}, roi);
  EXPECT_GT(up.x, 0.5f);
  EXPECT_NEAR(up.y, 0.5f, 1e-6);
  // Upside down: head below the hips.
  const NormRect down = detection_to_roi(with_keypoints({0.5f, 0.5f}, {0.5f, 0.7f}), 100, 100, {});
  EXPECT_NEAR(std::abs(down.rotation), kPi, 1e-6);
}

TEST(PersonRoi, AngleAndSizeAreMeasuredInPixels) {
  // 200x100 image; the scale point is 20 px right and 20 px up: 45 degrees in pixels (it would be
  // 63.4 degrees in normalised units).
  const NormRect roi = detection_to_roi(with_keypoints({0.5f, 0.5f}, {0.6f, 0.3f}), 200, 100, {});
  EXPECT_NEAR(roi.rotation, kPi / 4, 1e-5);
  const float side_px = 2 * std::sqrt(800.0f) * 1.25f;
  EXPECT_NEAR(roi.width * 200, side_px, 1e-3);  // square in pixels
  EXPECT_NEAR(roi.height * 100, side_px, 1e-3);
}

TEST(PersonRoi, NormalizeRadiansWrapsToMinusPiPi) {
  EXPECT_NEAR(normalize_radians(3 * kPi / 2), -kPi / 2, 1e-6);
  EXPECT_NEAR(normalize_radians(-3 * kPi / 2), kPi / 2, 1e-6);
  EXPECT_NEAR(normalize_radians(0.3f), 0.3f, 1e-7);
  EXPECT_NEAR(normalize_radians(kPi), -kPi, 1e-6);
}

}  // namespace
}  // namespace bodyshape::person

// Detection -> landmark ROI: MediaPipe's AlignmentPointsRects (box centred on keypoint 0, side
// twice the distance to keypoint 1, rotated so that kp0 -> kp1 points up) followed by
// RectTransformation (square_long, scale 1.25). Angles are computed in pixels.
//
//   NormRect roi = detection_to_roi(detection, image.cols, image.rows, {});
#pragma once

#include "person/types.h"

namespace bodyshape::person {

struct RoiOptions {
  int start_keypoint = 0;              // MEDIAPIPE-FACTS.md: kp0 = hip centre
  int end_keypoint = 1;                // MEDIAPIPE-FACTS.md: kp1 = full-body scale point
  float target_angle_degrees = 90.0f;  // MEDIAPIPE-FACTS.md: AlignmentPointsRects
  float scale = 1.25f;                 // MEDIAPIPE-FACTS.md: RectTransformation scale_x/y
  bool square_long = true;             // MEDIAPIPE-FACTS.md: RectTransformation
};

// Wraps to [-pi, pi) like MediaPipe's NormalizeRadians.
float normalize_radians(float angle);

NormRect detection_to_roi(const Detection& detection, int image_width, int image_height,
                          const RoiOptions& options);

// The same transformation from two points (e.g. the landmark model's auxiliary landmarks 33, 34).
NormRect points_to_roi(PointNorm start, PointNorm end, int image_width, int image_height,
                       const RoiOptions& options);

}  // namespace bodyshape::person

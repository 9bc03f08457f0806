// Plain value types shared by the pose stages (MediaPipe's Detection, NormalizedRect, Landmark).
// Coordinates "normalised" are fractions of the image (or tensor) width/height, origin top-left.
#pragma once

#include <array>

namespace bodyshape::person {

struct PointNorm {
  float x = 0;
  float y = 0;
};

struct BoxNorm {  // MediaPipe's RelativeBoundingBox
  float xmin = 0;
  float ymin = 0;
  float width = 0;
  float height = 0;
};

// One pose detection: box and 4 keypoints (hip centre, full-body scale point, shoulder centre,
// upper-body scale point; ../shared/MEDIAPIPE-FACTS.md).
struct Detection {
  float score = 0;
  BoxNorm box;
  std::array<PointNorm, 4> keypoints{};
};

// MediaPipe's NormalizedRect: centre and size normalised to the image, rotation in radians,
// positive = clockwise on screen (y points down).
struct NormRect {
  float x_center = 0;
  float y_center = 0;
  float width = 0;
  float height = 0;
  float rotation = 0;
};

// A rectangle in image pixels (ImageToTensor's RotatedRect).
struct RotatedRectPx {
  float center_x = 0;
  float center_y = 0;
  float width = 0;
  float height = 0;
  float rotation = 0;
};

// x, y normalised (to the image, or to the ROI tensor before projection), z on the scale of x;
// visibility and presence are probabilities.
struct Landmark {
  float x = 0;
  float y = 0;
  float z = 0;
  float visibility = 0;
  float presence = 0;
};

// Metres, origin at the hip centre; visibility/presence copied from the image landmark.
struct WorldLandmark {
  float x = 0;
  float y = 0;
  float z = 0;
  float visibility = 0;
  float presence = 0;
};

inline RotatedRectPx to_pixels(const NormRect& r, int image_width, int image_height) {
  return {r.x_center * image_width, r.y_center * image_height, r.width * image_width,
          r.height * image_height, r.rotation};
}

}  // namespace bodyshape::person

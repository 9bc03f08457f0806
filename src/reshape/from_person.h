// The person pipeline's answer (src/person) as the reshape stage reads it: landmarks in pixels.
#pragma once

#include <opencv2/core.hpp>

#include "person/person.h"
#include "reshape/reshape.h"

namespace bodyshape::reshape {

// `person`'s 33 landmarks, normalised to an image of `image_size`, in that image's pixels.
inline BodyLandmarks body_landmarks(const person::Person& person, cv::Size image_size) {
  BodyLandmarks body;
  for (int i = 0; i < kLandmarkCount; ++i) {
    body.px[i] = {person.landmarks[i].x * static_cast<float>(image_size.width),
                  person.landmarks[i].y * static_cast<float>(image_size.height)};
    body.visibility[i] = person.landmarks[i].visibility;
  }
  return body;
}

}  // namespace bodyshape::reshape

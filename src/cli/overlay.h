// A picture for people to look at: the person mask tinted over the photo, skeletons drawn on top.
#pragma once

#include <vector>

#include <opencv2/core.hpp>

#include "person/person.h"

namespace bodyshape::cli {

// rgb CV_8UC3, mask CV_32F probabilities at image size (may be empty); returns a new RGB image.
cv::Mat draw_overlay(const cv::Mat& rgb, const cv::Mat& mask,
                     const std::vector<person::Person>& persons);

}  // namespace bodyshape::cli

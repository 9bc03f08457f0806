// GIF through giflib: OpenCV 4.6 has no GIF reader.
#pragma once

#include <cstdint>
#include <span>

#include <opencv2/core.hpp>

#include "common/result.h"

namespace bodyshape::image::detail {

// The first frame drawn on the logical screen (background colour elsewhere and under transparent
// pixels), palette expanded: CV_8UC3 RGB of the logical screen's size. Later frames are not read.
Result<cv::Mat> decode_gif_first_frame(std::span<const uint8_t> bytes, int64_t max_pixels);

}  // namespace bodyshape::image::detail

// Our PNG encoder for 8-bit RGB and grey images (PNG spec, https://www.w3.org/TR/png/): signature,
// IHDR, IDAT, IEND; rows filtered per PngSettings::filter, then one zlib stream from libdeflate.
// encode_png (image.h) is the public entry; this header exposes the chunk size for tests.
//
//   std::vector<uint8_t> png = write_png(rgb, {.deflate_level = 1, .filter = PngFilter::kUp});
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

#include "image/image.h"

namespace bodyshape::image {

// The PNG spec caps a chunk's length at 2^31 - 1 bytes; longer zlib streams span several IDATs.
inline constexpr size_t kMaxPngChunkBytes = 0x7fff'ffff;

// pixels: non-empty CV_8UC3 (RGB order) or CV_8UC1 (grey), any stride; else std::invalid_argument.
std::vector<uint8_t> write_png(const cv::Mat& pixels, const PngSettings& settings,
                               size_t max_idat_bytes = kMaxPngChunkBytes);

}  // namespace bodyshape::image

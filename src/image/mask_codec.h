// Person masks out of the service: as JSON rows (the contract's format), COCO run-length
// encoding, or PNG. Usage:
//
//   std::string body = R"({"state":1,"data":)";
//   append_mask_rows_json(mask, body);              // [[0,1,...],...], h rows x w columns
//   CocoRle rle = mask_to_coco_rle(mask);           // {"size":[h,w],"counts":[...]}
//   std::vector<uint8_t> png = mask_to_png(mask);   // 1-bit grey PNG, person = white
//
// A mask is CV_8UC1. A pixel is "person" when its value is 1 or at least 128, so 0/1 masks,
// 0/255 masks and 8-bit soft masks (thresholded at 128, i.e. 0.5) all read as meant.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/core.hpp>

#include "common/result.h"

namespace bodyshape::image {

// Appends [[r0c0,r0c1,...],[r1c0,...],...] with 0/1 digits and no spaces: exactly
// 2*w*h + 2*h + 1 bytes (h >= 1, w >= 1). Written straight into the buffer (no JSON DOM);
// about 1 byte per cycle or better (bench/segmentation.cpp).
void append_mask_rows_json(const cv::Mat& mask, std::string& out);

// COCO's uncompressed RLE: pixels in column-major order, counts of alternating runs starting
// with a run of background (0 when the first pixel is person), as pycocotools' "counts" list.
struct CocoRle {
  int height = 0;
  int width = 0;
  std::vector<uint32_t> counts{};
};
CocoRle mask_to_coco_rle(const cv::Mat& mask);
// {"size":[h,w],"counts":[...]}
void append_coco_rle_json(const CocoRle& rle, std::string& out);

// 1-bit greyscale PNG (person = 255 when decoded to 8 bits). Masks compress well as PNG.
std::vector<uint8_t> mask_to_png(const cv::Mat& mask);

// Decoders, for tests and clients written in C++: CV_8UC1 0/1 masks.
// kInvalidArgument when the text is not [[0|1,...],...] with rows of equal, non-zero length.
Result<cv::Mat> mask_from_rows_json(std::string_view json);
// kInvalidArgument when height or width is below 1 or the counts do not add up to height * width.
Result<cv::Mat> mask_from_coco_rle(const CocoRle& rle);
// kBadImage when the bytes are not a greyscale PNG.
Result<cv::Mat> mask_from_png(std::span<const uint8_t> png);

}  // namespace bodyshape::image

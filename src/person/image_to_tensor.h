// Image <-> tensor resampling, matching MediaPipe's ImageToTensor on the GPU path the official
// solution runs: a (rotated) rectangle of the image is sampled bilinearly at tensor pixel centres,
// straight from the 8-bit RGB image into float NHWC, then mapped to [range_min, range_max].
//
//   RotatedRectPx square = letterbox_rect(image.cols, image.rows, 224, 224);
//   extract_tensor(image, square, 224, 224, {.border = BorderMode::kZero, .range_min = -1}, input);
//   cv::Mat mask = warp_mask_to_image(mask_256, roi_px, image.size());   // outside the ROI = 0
//   cv::Mat people = zero_mask(image.size(), CV_8UC1);                     // 0/1 at 0.5, max of all
//   for (...) warp_mask_max_into(mask_256, roi_px, MaskFormat::kBinary, 0.5f, people);
#pragma once

#include <span>

#include <opencv2/core.hpp>

#include "person/types.h"

namespace bodyshape::person {

enum class BorderMode {
  kZero,       // outside the image: black (tensor value = range_min), hard edge at the border
  kReplicate,  // outside the image: the nearest edge pixel (ImageToTensor's default)
};

struct TensorRange {
  BorderMode border = BorderMode::kReplicate;  // ImageToTensor: BORDER_UNSPECIFIED = replicate
  float range_min = 0.0f;
  float range_max = 1.0f;
};

// The rectangle ImageToTensor samples for keep_aspect_ratio: the whole image, padded (centred)
// to the tensor's aspect ratio.
RotatedRectPx letterbox_rect(int image_width, int image_height, int tensor_width,
                             int tensor_height);

// 2x3 matrix from tensor pixel index (x, y) to image pixel index, pixel centres aligned: tensor
// pixel centre (i + 0.5) / size in the rect's own normalised frame maps to the image point
// centre + R(rotation) * offset, whose pixel index is that point - 0.5.
cv::Matx23d tensor_to_image(const RotatedRectPx& rect, int tensor_width, int tensor_height);

// Fills `out` (tensor_height x tensor_width x 3 floats, NHWC) from an 8-bit RGB image.
void extract_tensor(const cv::Mat& rgb, const RotatedRectPx& rect, int tensor_width,
                    int tensor_height, const TensorRange& range, std::span<float> out);

// What an image-size mask holds per pixel.
enum class MaskFormat {
  kProbability,    // CV_32F, 0..1
  kProbabilityU8,  // CV_8U, round(255 p): what convertTo(CV_8U, 255) of kProbability gives
  kBinary,         // CV_8U, 1 where p > threshold, else 0 (cv::threshold THRESH_BINARY)
};
int mask_type(MaskFormat format);

// A zero image whose memory comes from calloc: a large one is fresh zero pages from the kernel,
// so only the pages a warp writes are ever touched (cv::Mat::zeros writes all 48 MB of a 12 MP
// CV_32F image, ~10 ms).
cv::Mat zero_mask(cv::Size size, int type);

// Warps a mask of the rect's tensor (CV_32F) back to an image of `image_size`: bilinear, zero
// outside the rect (WarpAffine with the crop's inverse matrix, BORDER_ZERO), touching only each
// row's span inside the rect.
cv::Mat warp_mask_to_image(const cv::Mat& tensor_mask, const RotatedRectPx& rect,
                           cv::Size image_size);

// The same warp into an existing image mask of mask_type(format), keeping the per-pixel max (so
// several persons combine as cv::max of their masks would). Pixels outside the rect: untouched.
// `threshold` is used by kBinary only.
void warp_mask_max_into(const cv::Mat& tensor_mask, const RotatedRectPx& rect, MaskFormat format,
                        float threshold, cv::Mat& image_mask);

}  // namespace bodyshape::person

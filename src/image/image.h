// Images inside bodyshape are cv::Mat CV_8UC3 in RGB order, EXIF-upright. Everything that turns
// bytes into such an image, or back, lives here (one decoder, one encoder, one base64).
//
//   Result<std::vector<uint8_t>> bytes = base64_decode(request.base64Image);
//   Result<cv::Mat> rgb = decode_image(*bytes, {.max_pixels = 50'000'000});
//   std::vector<uint8_t> png = encode_image(*rgb, ImageFormat::kPng);
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/core.hpp>

#include "common/result.h"

namespace bodyshape::image {

enum class ImageFormat { kPng, kJpeg, kWebp };

struct DecodeOptions {
  int64_t max_pixels = 50'000'000;  // checked from the header, before any pixel is decoded
};

struct ImageSize {
  int width = 0;
  int height = 0;
};

// Reads only the header: the stored size (before EXIF rotation). kBadImage if not an image.
Result<ImageSize> probe_image_size(std::span<const uint8_t> bytes);

// JPEG, PNG, WebP, BMP, TIFF, GIF (first frame) -> 8-bit RGB, EXIF orientation applied,
// 16-bit/grey/alpha normalised. Every failure is kBadImage with a precise message.
Result<cv::Mat> decode_image(std::span<const uint8_t> bytes, const DecodeOptions& options = {});

// Turns a stored picture upright per its EXIF/TIFF Orientation tag (1..8; other values: unchanged).
// decode_image already calls it; exposed for tests and for callers holding raw pixels.
cv::Mat apply_exif_orientation(const cv::Mat& stored, int orientation);

// rgb: CV_8UC3 RGB or CV_8UC1 grey (a mask). PNG for kJpeg quality 92, kWebp quality 90, kPng with PngSettings{} below.
std::vector<uint8_t> encode_image(const cv::Mat& rgb, ImageFormat format);

// Our own PNG writer (src/image/png_writer.cpp): each row filtered (PNG spec 9.2; the enum's value
// is the filter type byte), then one zlib stream from libdeflate at `deflate_level` (0 = stored,
// 1 fastest .. 12 smallest). kAdaptive picks per row the filter with the smallest sum of
// |residual| (libpng's heuristic). Default Up + level 1: the cheapest filter, never far from the
// smallest output; 1.6-2.3x faster than OpenCV's PNG and smaller (bench/RESULTS.md).
enum class PngFilter { kNone = 0, kSub = 1, kUp = 2, kAverage = 3, kPaeth = 4, kAdaptive = 5 };
struct PngSettings {
  int deflate_level = 1;
  PngFilter filter = PngFilter::kUp;
};
std::vector<uint8_t> encode_png(const cv::Mat& rgb, const PngSettings& settings = {});

std::string base64_encode(std::span<const uint8_t> bytes);
// Standard alphabet, padding optional, whitespace and a data: URL prefix tolerated.
Result<std::vector<uint8_t>> base64_decode(std::string_view text);

}  // namespace bodyshape::image

#include <stdexcept>
#include <string>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "image/image.h"
#include "image/png_writer.h"

namespace bodyshape::image {
namespace {

// rgb: CV_8UC3 RGB, or CV_8UC1 grey (masks), written as a grey image.
std::vector<uint8_t> encode_with_opencv(const cv::Mat& rgb, const char* extension,
                                        const std::vector<int>& params) {
  if (rgb.empty() || (rgb.type() != CV_8UC3 && rgb.type() != CV_8UC1)) {
    throw std::invalid_argument("encode_image expects a non-empty CV_8UC3 RGB or CV_8UC1 image");
  }
  cv::Mat bgr;  // a new buffer: converting into a header of `rgb` would change the caller's image
  if (rgb.channels() == 3) {
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  } else {
    bgr = rgb;
  }
  std::vector<uint8_t> encoded;
  if (!cv::imencode(extension, bgr, encoded, params)) {
    throw std::runtime_error(std::string("OpenCV could not encode ") + extension);
  }
  return encoded;
}

}  // namespace

std::vector<uint8_t> encode_png(const cv::Mat& rgb, const PngSettings& settings) {
  return write_png(rgb, settings);
}

std::vector<uint8_t> encode_image(const cv::Mat& rgb, ImageFormat format) {
  switch (format) {
    case ImageFormat::kPng:
      return encode_png(rgb);
    case ImageFormat::kJpeg:
      return encode_with_opencv(rgb, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 92});
    case ImageFormat::kWebp:
      return encode_with_opencv(rgb, ".webp", {cv::IMWRITE_WEBP_QUALITY, 90});
  }
  throw std::invalid_argument("encode_image: unknown ImageFormat");
}

}  // namespace bodyshape::image

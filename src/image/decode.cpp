#include <climits>
#include <string>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "image/container.h"
#include "image/gif.h"
#include "image/image.h"

namespace bodyshape::image {
namespace {

Error bad(std::string message) {
  return make_error(ErrorCode::kBadImage, std::move(message));
}

// 16-bit samples keep their top byte (>> 8, not a saturating cast), as 8-bit readers do.
cv::Mat to_8bit(const cv::Mat& wide) {
  cv::Mat narrow(wide.rows, wide.cols, CV_MAKETYPE(CV_8U, wide.channels()));
  const int samples = wide.cols * wide.channels();
  for (int y = 0; y < wide.rows; ++y) {
    const uint16_t* in = wide.ptr<uint16_t>(y);
    uint8_t* out = narrow.ptr<uint8_t>(y);
    for (int i = 0; i < samples; ++i) out[i] = static_cast<uint8_t>(in[i] >> 8);
  }
  return narrow;
}

// OpenCV hands back BGR(A) or grey at 8 or 16 bits; bodyshape works on 8-bit RGB. Alpha is
// dropped (RGB as stored), as the reference MediaPipe run treated RGBA input.
Result<cv::Mat> to_rgb8(cv::Mat decoded, const char* format) {
  if (decoded.depth() == CV_16U) {
    decoded = to_8bit(decoded);
  } else if (decoded.depth() != CV_8U) {
    return bad(std::string(format) + " sample type (OpenCV depth " +
               std::to_string(decoded.depth()) +
               ") is not supported: 8- or 16-bit integer samples expected");
  }
  cv::Mat rgb;
  switch (decoded.channels()) {
    case 1:
      cv::cvtColor(decoded, rgb, cv::COLOR_GRAY2RGB);
      break;
    case 2: {  // grey + alpha
      cv::Mat grey;
      cv::extractChannel(decoded, grey, 0);
      cv::cvtColor(grey, rgb, cv::COLOR_GRAY2RGB);
      break;
    }
    case 3:
      cv::cvtColor(decoded, rgb, cv::COLOR_BGR2RGB);
      break;
    case 4:
      cv::cvtColor(decoded, rgb, cv::COLOR_BGRA2RGB);
      break;
    default:
      return bad(std::string(format) + " has " + std::to_string(decoded.channels()) +
                 " channels; 1 to 4 expected");
  }
  return rgb;
}

Result<cv::Mat> decode_with_opencv(std::span<const uint8_t> bytes, const char* format) {
  if (bytes.size() > static_cast<size_t>(INT_MAX)) {
    return bad("image is too large (" + std::to_string(bytes.size()) + " bytes)");
  }
  // cv::imdecode only reads the buffer; the Mat header just lends it the bytes.
  const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8U,
                       const_cast<uint8_t*>(bytes.data()));
  cv::Mat decoded;
  try {
    // IMREAD_UNCHANGED keeps 16-bit, grey and alpha visible and never applies EXIF orientation
    // (OpenCV applies it for every other flag), so orientation is applied here exactly once.
    decoded = cv::imdecode(buffer, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    return bad(std::string(format) + " pixel data could not be decoded: " + e.err);
  }
  if (decoded.empty()) {
    return bad(std::string(format) + " pixel data could not be decoded (corrupt or truncated)");
  }
  return to_rgb8(std::move(decoded), format);
}

}  // namespace

cv::Mat apply_exif_orientation(const cv::Mat& stored, int orientation) {
  // EXIF 2.3 table 4: where the stored 0th row and 0th column sit in the upright picture.
  cv::Mat upright;
  switch (orientation) {
    case 2:
      cv::flip(stored, upright, 1);
      break;  // mirrored
    case 3:
      cv::rotate(stored, upright, cv::ROTATE_180);
      break;
    case 4:
      cv::flip(stored, upright, 0);
      break;  // upside-down mirror
    case 5:
      cv::transpose(stored, upright);
      break;
    case 6:
      cv::rotate(stored, upright, cv::ROTATE_90_CLOCKWISE);
      break;
    case 7:
      cv::transpose(stored, upright);
      cv::flip(upright, upright, -1);
      break;
    case 8:
      cv::rotate(stored, upright, cv::ROTATE_90_COUNTERCLOCKWISE);
      break;
    default:
      upright = stored;
      break;
  }
  return upright;
}

Result<cv::Mat> decode_image(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  const Result<detail::ContainerHeader> header = detail::read_container_header(bytes);
  if (!header) return header.error();
  const ImageSize stored = header->stored_size;
  const int64_t pixels = int64_t{stored.width} * stored.height;
  if (pixels > options.max_pixels) {
    return bad("image has " + std::to_string(pixels) + " pixels; the limit is " +
               std::to_string(options.max_pixels));
  }
  const Result<detail::ContainerLayout> layout = detail::read_container_layout(bytes, *header);
  if (!layout) return layout.error();

  const char* format = detail::container_name(header->container);
  Result<cv::Mat> rgb = header->container == detail::Container::kGif
                            ? detail::decode_gif_first_frame(bytes, options.max_pixels)
                            : decode_with_opencv(bytes, format);
  if (!rgb) return rgb.error();
  if (rgb->cols != stored.width || rgb->rows != stored.height) {
    return bad(std::string(format) + " decoded to " + std::to_string(rgb->cols) + "x" +
               std::to_string(rgb->rows) + " but its header says " + std::to_string(stored.width) +
               "x" + std::to_string(stored.height));
  }
  return apply_exif_orientation(*rgb, layout->orientation);
}

}  // namespace bodyshape::image

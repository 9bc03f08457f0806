#include "image/mask_codec.h"

#include <array>
#include <charconv>
#include <cstring>
#include <stdexcept>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "image/container.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace bodyshape::image {
namespace {

constexpr bool is_person(uint8_t value) {
  return value == 1 || value >= 128;
}

// "0," or "1," for every byte value: one table load and one 2-byte store per pixel.
constexpr std::array<std::array<char, 2>, 256> kJsonPieces = [] {
  std::array<std::array<char, 2>, 256> pieces{};
  for (int value = 0; value < 256; ++value) {
    pieces[value] = {is_person(static_cast<uint8_t>(value)) ? '1' : '0', ','};
  }
  return pieces;
}();

// Writes "d," for each pixel of one row; returns the end.
char* write_row_pieces(const uint8_t* row, int width, char* out) {
  int x = 0;
#if defined(__SSE2__)
  // 16 pixels -> 32 bytes: digit = '0' + person, interleaved with commas.
  const __m128i ones = _mm_set1_epi8(1);
  const __m128i zero_char = _mm_set1_epi8('0');
  const __m128i commas = _mm_set1_epi8(',');
  for (; x + 16 <= width; x += 16) {
    const __m128i pixels = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + x));
    // person = (v == 1) | (v >= 128); v >= 128 is "negative" as a signed byte.
    const __m128i person =
        _mm_or_si128(_mm_cmpeq_epi8(pixels, ones), _mm_cmplt_epi8(pixels, _mm_setzero_si128()));
    const __m128i digits = _mm_add_epi8(zero_char, _mm_and_si128(person, ones));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_unpacklo_epi8(digits, commas));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16), _mm_unpackhi_epi8(digits, commas));
    out += 32;
  }
#endif
  for (; x < width; ++x) {
    std::memcpy(out, kJsonPieces[row[x]].data(), 2);
    out += 2;
  }
  return out;
}

void append_number(uint64_t value, std::string& out) {
  char digits[24];
  const auto [end, error] = std::to_chars(digits, digits + sizeof digits, value);
  (void)error;
  out.append(digits, end);
}

Error json_error(std::string why) {
  return make_error(ErrorCode::kInvalidArgument, "mask JSON: " + std::move(why));
}

}  // namespace

void append_mask_rows_json(const cv::Mat& mask, std::string& out) {
  CV_Assert(mask.type() == CV_8UC1);
  if (mask.empty()) {
    out += "[]";
    return;
  }
  const size_t height = static_cast<size_t>(mask.rows);
  const size_t width = static_cast<size_t>(mask.cols);
  const size_t row_bytes = 2 * width + 1;  // "[" + w x "d," with the last ',' turned into ']'
  const size_t start = out.size();
  out.resize(start + 2 + height * row_bytes + (height - 1));
  char* cursor = out.data() + start;
  *cursor++ = '[';
  for (int y = 0; y < mask.rows; ++y) {
    *cursor++ = '[';
    cursor = write_row_pieces(mask.ptr<uint8_t>(y), mask.cols, cursor);
    cursor[-1] = ']';
    *cursor++ = ',';
  }
  cursor[-1] = ']';
}

CocoRle mask_to_coco_rle(const cv::Mat& mask) {
  CV_Assert(mask.type() == CV_8UC1);
  CocoRle rle;
  rle.height = mask.rows;
  rle.width = mask.cols;
  if (mask.empty()) return rle;
  cv::Mat column_major;
  cv::transpose(mask, column_major);  // row y of the transpose = column y of the mask
  bool current = false;               // COCO's first run counts background
  uint32_t run = 0;
  for (int column = 0; column < column_major.rows; ++column) {
    const uint8_t* pixels = column_major.ptr<uint8_t>(column);
    for (int i = 0; i < column_major.cols; ++i) {
      const bool person = is_person(pixels[i]);
      if (person != current) {
        rle.counts.push_back(run);
        run = 0;
        current = person;
      }
      ++run;
    }
  }
  rle.counts.push_back(run);
  return rle;
}

void append_coco_rle_json(const CocoRle& rle, std::string& out) {
  out += R"({"size":[)";
  append_number(static_cast<uint64_t>(rle.height), out);
  out += ',';
  append_number(static_cast<uint64_t>(rle.width), out);
  out += R"(],"counts":[)";
  for (size_t i = 0; i < rle.counts.size(); ++i) {
    if (i) out += ',';
    append_number(rle.counts[i], out);
  }
  out += "]}";
}

std::vector<uint8_t> mask_to_png(const cv::Mat& mask) {
  CV_Assert(mask.type() == CV_8UC1 && !mask.empty());
  cv::Mat grey(mask.size(), CV_8UC1);
  for (int y = 0; y < mask.rows; ++y) {
    const uint8_t* in = mask.ptr<uint8_t>(y);
    uint8_t* out = grey.ptr<uint8_t>(y);
    for (int x = 0; x < mask.cols; ++x) out[x] = is_person(in[x]) ? 255 : 0;
  }
  std::vector<uint8_t> png;
  // Bilevel: 1 bit per pixel before deflate. Level 1: masks are long runs, and a higher level
  // costs time for little size (bench/segmentation.cpp).
  const std::vector<int> params = {cv::IMWRITE_PNG_BILEVEL, 1, cv::IMWRITE_PNG_COMPRESSION, 1};
  if (!cv::imencode(".png", grey, png, params)) {
    throw std::runtime_error("OpenCV could not encode a PNG");  // a broken install
  }
  return png;
}

Result<cv::Mat> mask_from_rows_json(std::string_view json) {
  std::vector<uint8_t> pixels;
  int width = -1;
  int rows = 0;
  size_t i = 0;
  const auto skip_space = [&] {
    while (i < json.size() &&
           (json[i] == ' ' || json[i] == '\n' || json[i] == '\r' || json[i] == '\t')) {
      ++i;
    }
  };
  const auto expect = [&](char c) {
    skip_space();
    if (i >= json.size() || json[i] != c) return false;
    ++i;
    return true;
  };
  if (!expect('[')) return json_error("expected '['");
  if (expect(']')) return json_error("no rows");
  do {
    if (!expect('[')) return json_error("row " + std::to_string(rows) + ": expected '['");
    int columns = 0;
    do {
      skip_space();
      if (i >= json.size() || (json[i] != '0' && json[i] != '1')) {
        return json_error("row " + std::to_string(rows) + ": expected 0 or 1");
      }
      pixels.push_back(json[i] == '1' ? 1 : 0);
      ++i;
      ++columns;
    } while (expect(','));
    if (!expect(']')) return json_error("row " + std::to_string(rows) + ": expected ']'");
    if (width >= 0 && columns != width) return json_error("rows of different lengths");
    width = columns;
    ++rows;
  } while (expect(','));
  if (!expect(']')) return json_error("expected ']' after the last row");
  skip_space();
  if (i != json.size()) return json_error("text after the mask");
  cv::Mat mask(rows, width, CV_8UC1);
  std::memcpy(mask.data, pixels.data(), pixels.size());
  return mask;
}

Result<cv::Mat> mask_from_coco_rle(const CocoRle& rle) {
  const uint64_t total = static_cast<uint64_t>(rle.height) * static_cast<uint64_t>(rle.width);
  uint64_t sum = 0;
  for (uint32_t count : rle.counts) sum += count;
  // A 0-pixel mask would memset through a null pointer (found by fuzz/mask_codec.cpp).
  if (rle.height <= 0 || rle.width <= 0) {
    return make_error(ErrorCode::kInvalidArgument, "RLE size must be at least 1x1");
  }
  if (sum != total) {
    return make_error(ErrorCode::kInvalidArgument,
                      "RLE counts add up to " + std::to_string(sum) +
                          ", not height*width = " + std::to_string(total));
  }
  cv::Mat column_major(rle.width, rle.height, CV_8UC1);
  uint8_t* cursor = column_major.data;
  uint8_t value = 0;
  for (uint32_t count : rle.counts) {
    std::memset(cursor, value, count);
    cursor += count;
    value ^= 1;
  }
  cv::Mat mask;
  cv::transpose(column_major, mask);
  return mask;
}

Result<cv::Mat> mask_from_png(std::span<const uint8_t> png) {
  // imdecode throws on an empty buffer and, given any other format, hands the bytes to that
  // format's decoder: GDCM aborts the process on a malformed DICOM file (both found by
  // fuzz/mask_codec.cpp). Only bytes that are a PNG reach it.
  if (png.empty()) return make_error(ErrorCode::kBadImage, "not a PNG mask (no bytes)");
  const Result<detail::ContainerHeader> header = detail::read_container_header(png);
  if (!header || header->container != detail::Container::kPng) {
    return make_error(ErrorCode::kBadImage, "not a PNG mask");
  }
  const cv::Mat encoded(1, static_cast<int>(png.size()), CV_8UC1, const_cast<uint8_t*>(png.data()));
  cv::Mat grey;
  try {
    grey = cv::imdecode(encoded, cv::IMREAD_GRAYSCALE);
  } catch (const cv::Exception&) {
    grey.release();
  }
  if (grey.empty()) return make_error(ErrorCode::kBadImage, "not a PNG mask");
  cv::Mat mask;
  cv::threshold(grey, mask, 127, 1, cv::THRESH_BINARY);
  return mask;
}

}  // namespace bodyshape::image

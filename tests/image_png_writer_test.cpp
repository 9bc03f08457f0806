// write_png (src/image/png_writer.cpp): pixels survive cv::imdecode and our decode_image byte for
// byte at awkward sizes, for every filter; chunks are well formed (layout, IHDR fields, CRC-32
// against a bitwise reference); the zlib stream carries the requested filter type per row.
#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <libdeflate.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "image/image.h"
#include "image/png_writer.h"
#include "support/testdata.h"

namespace bodyshape::image {
namespace {

constexpr std::array<PngFilter, 6> kAllFilters = {PngFilter::kNone,    PngFilter::kSub,
                                                  PngFilter::kUp,      PngFilter::kAverage,
                                                  PngFilter::kPaeth,   PngFilter::kAdaptive};

std::string label(cv::Size size, int channels, PngFilter filter) {
  return std::to_string(size.width) + "x" + std::to_string(size.height) + " c" +
         std::to_string(channels) + " filter " + std::to_string(static_cast<int>(filter));
}

// Random noise plus a smooth ramp, so that every filter type wins some rows under kAdaptive.
cv::Mat test_image(cv::Size size, int channels) {
  cv::Mat image(size, CV_8UC(channels));
  cv::randu(image, cv::Scalar::all(0), cv::Scalar::all(256));
  for (int y = 0; y < size.height; y += 3) {
    uint8_t* row = image.ptr<uint8_t>(y);
    for (size_t i = 0; i < static_cast<size_t>(size.width) * channels; ++i) {
      row[i] = static_cast<uint8_t>(i / 5 + y);
    }
  }
  return image;
}

uint32_t read_u32(const uint8_t* at) {
  return uint32_t{at[0]} << 24 | uint32_t{at[1]} << 16 | uint32_t{at[2]} << 8 | at[3];
}

// The PNG spec's CRC-32 (ISO 3309, reflected polynomial 0xEDB88320), one bit at a time.
uint32_t reference_crc32(const uint8_t* data, size_t size) {
  uint32_t crc = 0xffffffffu;
  for (size_t i = 0; i < size; ++i) {
    crc ^= data[i];
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return crc ^ 0xffffffffu;
}

struct Chunk {
  std::string type;
  const uint8_t* data;
  size_t size;
};

// Walks the chunks after the signature; fails the test on a truncated chunk or a bad CRC.
std::vector<Chunk> parse_chunks(const std::vector<uint8_t>& png) {
  std::vector<Chunk> chunks;
  size_t at = 8;
  while (at < png.size()) {
    EXPECT_LE(at + 12, png.size()) << "truncated chunk header";
    if (at + 12 > png.size()) break;
    const size_t size = read_u32(&png[at]);
    EXPECT_LE(at + 12 + size, png.size()) << "truncated chunk";
    if (at + 12 + size > png.size()) break;
    chunks.push_back({std::string(reinterpret_cast<const char*>(&png[at + 4]), 4), &png[at + 8], size});
    EXPECT_EQ(read_u32(&png[at + 8 + size]), reference_crc32(&png[at + 4], 4 + size))
        << "CRC of chunk " << chunks.size() - 1 << " (" << chunks.back().type << ")";
    at += 12 + size;
  }
  return chunks;
}

// The filtered scanlines: the zlib stream of all IDATs joined, inflated.
std::vector<uint8_t> inflate_idat(const std::vector<Chunk>& chunks, size_t expected_size) {
  std::vector<uint8_t> zlib;
  for (const Chunk& chunk : chunks) {
    if (chunk.type == "IDAT") zlib.insert(zlib.end(), chunk.data, chunk.data + chunk.size);
  }
  std::vector<uint8_t> scanlines(expected_size);
  libdeflate_decompressor* decompressor = libdeflate_alloc_decompressor();
  const libdeflate_result result = libdeflate_zlib_decompress(
      decompressor, zlib.data(), zlib.size(), scanlines.data(), scanlines.size(), nullptr);
  libdeflate_free_decompressor(decompressor);
  EXPECT_EQ(result, LIBDEFLATE_SUCCESS) << "zlib stream does not inflate to the exact size";
  return scanlines;
}

void expect_round_trip(const cv::Mat& pixels, const std::vector<uint8_t>& png) {
  const cv::Mat by_opencv = cv::imdecode(png, cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(by_opencv.empty());
  ASSERT_EQ(by_opencv.type(), pixels.type());
  // A fresh Mat for each conversion: cvtColor into a Mat sharing `pixels` would overwrite them.
  cv::Mat opencv_order;
  if (pixels.channels() == 3) cv::cvtColor(pixels, opencv_order, cv::COLOR_RGB2BGR);
  else opencv_order = pixels;
  EXPECT_EQ(cv::norm(by_opencv, opencv_order, cv::NORM_INF), 0) << "via cv::imdecode";

  const Result<cv::Mat> by_us = decode_image(png);
  ASSERT_TRUE(by_us.ok()) << by_us.error().message;
  cv::Mat rgb;
  if (pixels.channels() == 1) cv::cvtColor(pixels, rgb, cv::COLOR_GRAY2RGB);
  else rgb = pixels;
  EXPECT_EQ(cv::norm(*by_us, rgb, cv::NORM_INF), 0) << "via decode_image";
}

TEST(ImagePngWriter, RoundTripsByteExactAtAwkwardSizesForEveryFilter) {
  cv::theRNG().state = 20261122;
  for (const cv::Size size : {cv::Size(1, 1), cv::Size(3, 7), cv::Size(7, 3), cv::Size(1921, 1081)}) {
    for (const int channels : {1, 3}) {
      const cv::Mat pixels = test_image(size, channels);
      for (const PngFilter filter : kAllFilters) {
        SCOPED_TRACE(label(size, channels, filter));
        expect_round_trip(pixels, write_png(pixels, {.deflate_level = 1, .filter = filter}));
      }
    }
  }
}

TEST(ImagePngWriter, RoundTripsAPhotoAtEveryLevel) {
  const Result<cv::Mat> photo = decode_image(bodyshape::testing::read_bytes(
      bodyshape::testing::shared_path("testdata/images/man_yoga_warrior_beach.jpg")));
  ASSERT_TRUE(photo.ok());
  for (int level = 0; level <= 12; level += 3) {
    SCOPED_TRACE("level " + std::to_string(level));
    expect_round_trip(*photo, write_png(*photo, {.deflate_level = level}));
  }
}

TEST(ImagePngWriter, StartsWithTheSignatureAndAnIhdrThatDescribesTheImage) {
  for (const int channels : {1, 3}) {
    const cv::Mat pixels = test_image({1921, 3}, channels);
    const std::vector<uint8_t> png = write_png(pixels, {});
    const std::array<uint8_t, 8> signature = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    ASSERT_GE(png.size(), 8u + 25u);
    EXPECT_EQ(std::memcmp(png.data(), signature.data(), 8), 0);

    const std::vector<Chunk> chunks = parse_chunks(png);
    ASSERT_EQ(chunks.size(), 3u);
    EXPECT_EQ(chunks[0].type, "IHDR");
    ASSERT_EQ(chunks[0].size, 13u);
    const uint8_t* ihdr = chunks[0].data;
    EXPECT_EQ(read_u32(ihdr), 1921u);
    EXPECT_EQ(read_u32(ihdr + 4), 3u);
    EXPECT_EQ(ihdr[8], 8) << "bit depth";
    EXPECT_EQ(ihdr[9], channels == 3 ? 2 : 0) << "colour type: 2 truecolour, 0 greyscale";
    EXPECT_EQ(ihdr[10], 0) << "compression method";
    EXPECT_EQ(ihdr[11], 0) << "filter method";
    EXPECT_EQ(ihdr[12], 0) << "interlace method";
    EXPECT_EQ(chunks[1].type, "IDAT");
    EXPECT_EQ(chunks[2].type, "IEND");
    EXPECT_EQ(chunks[2].size, 0u);
  }
}

TEST(ImagePngWriter, EveryRowCarriesTheRequestedFilterType) {
  cv::theRNG().state = 7;
  const cv::Mat pixels = test_image({31, 40}, 3);
  const size_t row_bytes = 1 + 31 * 3;
  for (const PngFilter filter : kAllFilters) {
    SCOPED_TRACE(label(pixels.size(), 3, filter));
    const std::vector<uint8_t> scanlines =
        inflate_idat(parse_chunks(write_png(pixels, {.filter = filter})), row_bytes * 40);
    std::array<int, 5> rows_per_type = {};
    for (int y = 0; y < 40; ++y) {
      const uint8_t type = scanlines[y * row_bytes];
      ASSERT_LT(type, 5);
      ++rows_per_type[type];
    }
    if (filter == PngFilter::kAdaptive) {
      // The ramp rows (every third) and the noise rows cannot all prefer one filter.
      EXPECT_LT(*std::max_element(rows_per_type.begin(), rows_per_type.end()), 40);
    } else {
      EXPECT_EQ(rows_per_type[static_cast<size_t>(filter)], 40);
    }
  }
}

TEST(ImagePngWriter, SplitsOneZlibStreamAcrossIdatChunks) {
  cv::theRNG().state = 11;
  const cv::Mat pixels = test_image({97, 61}, 3);
  const std::vector<uint8_t> png = write_png(pixels, {}, 1000);
  const std::vector<Chunk> chunks = parse_chunks(png);
  ASSERT_GT(chunks.size(), 4u);
  for (size_t i = 1; i + 1 < chunks.size(); ++i) {
    EXPECT_EQ(chunks[i].type, "IDAT");
    EXPECT_LE(chunks[i].size, 1000u);
  }
  EXPECT_EQ(chunks.back().type, "IEND");
  expect_round_trip(pixels, png);
}

TEST(ImagePngWriter, ReadsAnImageWithGapsBetweenRows) {
  cv::theRNG().state = 5;
  const cv::Mat whole = test_image({64, 48}, 3);
  const cv::Mat window = whole(cv::Rect(3, 5, 33, 17));
  ASSERT_FALSE(window.isContinuous());
  for (const PngFilter filter : kAllFilters) {
    SCOPED_TRACE(label(window.size(), 3, filter));
    expect_round_trip(window, write_png(window, {.filter = filter}));
  }
}

TEST(ImagePngWriter, RejectsWhatItCannotWrite) {
  EXPECT_THROW(write_png(cv::Mat(), {}), std::invalid_argument);
  EXPECT_THROW(write_png(cv::Mat(4, 4, CV_8UC4), {}), std::invalid_argument);
  EXPECT_THROW(write_png(cv::Mat(4, 4, CV_16UC3), {}), std::invalid_argument);
  EXPECT_THROW(write_png(cv::Mat(4, 4, CV_32FC1), {}), std::invalid_argument);
  const cv::Mat rgb(4, 4, CV_8UC3, cv::Scalar::all(9));
  EXPECT_THROW(write_png(rgb, {.deflate_level = -1}), std::invalid_argument);
  EXPECT_THROW(write_png(rgb, {.deflate_level = 13}), std::invalid_argument);
  EXPECT_THROW(write_png(rgb, {.filter = static_cast<PngFilter>(6)}), std::invalid_argument);
  EXPECT_THROW(write_png(rgb, {}, 0), std::invalid_argument);
}

}  // namespace
}  // namespace bodyshape::image

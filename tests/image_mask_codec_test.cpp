// Mask serialisers against naive references, on random masks of awkward shapes.
#include "image/mask_codec.h"

#include <gtest/gtest.h>

#include <random>

namespace bodyshape::image {
namespace {

// Random blobs (runs of equal pixels, as real masks have) plus isolated flips.
cv::Mat random_mask(int rows, int cols, uint32_t seed, uint8_t person_value = 1) {
  std::mt19937 random(seed);
  cv::Mat mask(rows, cols, CV_8UC1);
  uint8_t value = 0;
  for (int y = 0; y < rows; ++y) {
    for (int x = 0; x < cols; ++x) {
      if (random() % 7 == 0) value = value ? 0 : person_value;
      mask.at<uint8_t>(y, x) = value;
    }
  }
  return mask;
}

cv::Mat as_01(const cv::Mat& mask) {
  cv::Mat bits(mask.size(), CV_8UC1);
  for (int y = 0; y < mask.rows; ++y) {
    for (int x = 0; x < mask.cols; ++x) {
      const uint8_t v = mask.at<uint8_t>(y, x);
      bits.at<uint8_t>(y, x) = (v == 1 || v >= 128) ? 1 : 0;
    }
  }
  return bits;
}

// The obvious way to write the rows, to compare the fast one with.
std::string naive_rows_json(const cv::Mat& mask) {
  const cv::Mat bits = as_01(mask);
  std::string json = "[";
  for (int y = 0; y < bits.rows; ++y) {
    json += y ? ",[" : "[";
    for (int x = 0; x < bits.cols; ++x) {
      if (x) json += ',';
      json += bits.at<uint8_t>(y, x) ? '1' : '0';
    }
    json += ']';
  }
  return json + "]";
}

// COCO counts by walking columns directly (pycocotools' definition).
std::vector<uint32_t> naive_coco_counts(const cv::Mat& mask) {
  const cv::Mat bits = as_01(mask);
  std::vector<uint32_t> counts;
  uint8_t current = 0;
  uint32_t run = 0;
  for (int x = 0; x < bits.cols; ++x) {
    for (int y = 0; y < bits.rows; ++y) {
      if (bits.at<uint8_t>(y, x) != current) {
        counts.push_back(run);
        run = 0;
        current ^= 1;
      }
      ++run;
    }
  }
  counts.push_back(run);
  return counts;
}

bool same_pixels(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::countNonZero(a != b) == 0;
}

struct Shape {
  int rows, cols;
};
// 1x1 and 3x7 are the smallest awkward cases; 15/16/17/33 columns straddle the 16-pixel SIMD
// block; 480x640 is a real image shape.
constexpr Shape kShapes[] = {{1, 1},  {3, 7},  {1, 16}, {2, 15},
                             {5, 17}, {4, 33}, {31, 1}, {480, 640}};

TEST(MaskRowsJson, MatchesNaiveWriterOnAwkwardShapes) {
  uint32_t seed = 1;
  for (const Shape shape : kShapes) {
    for (uint8_t person_value : {uint8_t{1}, uint8_t{255}}) {
      const cv::Mat mask = random_mask(shape.rows, shape.cols, seed++, person_value);
      std::string json = "prefix:";
      append_mask_rows_json(mask, json);
      EXPECT_EQ(json, "prefix:" + naive_rows_json(mask)) << shape.rows << "x" << shape.cols;
      const size_t h = static_cast<size_t>(shape.rows);
      const size_t w = static_cast<size_t>(shape.cols);
      EXPECT_EQ(json.size() - 7, 2 * w * h + 2 * h + 1);
      Result<cv::Mat> decoded = mask_from_rows_json(json.substr(7));
      ASSERT_TRUE(decoded.ok()) << decoded.error().message;
      EXPECT_TRUE(same_pixels(*decoded, as_01(mask)));
    }
  }
}

TEST(MaskRowsJson, ThresholdRule) {
  // 1 and >= 128 are person; 0, 2..127 are not (0/1, 0/255 and soft 8-bit masks all work).
  cv::Mat mask(1, 20, CV_8UC1);
  const uint8_t values[20] = {0,   1, 2, 127, 128, 255, 200, 64, 1,   0,
                              129, 3, 0, 1,   255, 126, 0,   0,  130, 1};
  std::memcpy(mask.data, values, 20);
  std::string json;
  append_mask_rows_json(mask, json);
  EXPECT_EQ(json, "[[0,1,0,0,1,1,1,0,1,0,1,0,0,1,1,0,0,0,1,1]]");
}

TEST(MaskRowsJson, NonContinuousRoiAndEmpty) {
  const cv::Mat big = random_mask(20, 40, 99);
  const cv::Mat roi = big(cv::Rect(3, 2, 17, 9));  // rows are not contiguous
  std::string json;
  append_mask_rows_json(roi, json);
  EXPECT_EQ(json, naive_rows_json(roi));
  std::string empty;
  append_mask_rows_json(cv::Mat(), empty);
  EXPECT_EQ(empty, "[]");
}

TEST(MaskRowsJson, LargePhotoShape) {
  // 4000x3000 (12 MP, a phone photo): 24 MB of JSON, checked row by row through the decoder.
  const cv::Mat mask = random_mask(3000, 4000, 7);
  std::string json;
  append_mask_rows_json(mask, json);
  EXPECT_EQ(json.size(), 2ull * 4000 * 3000 + 2 * 3000 + 1);
  Result<cv::Mat> decoded = mask_from_rows_json(json);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_TRUE(same_pixels(*decoded, mask));
}

TEST(MaskRowsJson, DecoderRefusesMalformedText) {
  for (const char* text :
       {"", "[]", "[[]]", "[[0,1],[1]]", "[[0,2]]", "[[0,1]", "[[0,1]] x", "[[0,,1]]", "[0,1]"}) {
    EXPECT_FALSE(mask_from_rows_json(text).ok()) << text;
  }
  Result<cv::Mat> spaced = mask_from_rows_json(" [ [0, 1] ,\n [1, 0] ] ");
  ASSERT_TRUE(spaced.ok());
  EXPECT_EQ(spaced->rows, 2);
}

TEST(CocoRle, MatchesColumnMajorReference) {
  uint32_t seed = 100;
  for (const Shape shape : kShapes) {
    const cv::Mat mask = random_mask(shape.rows, shape.cols, seed++, 255);
    const CocoRle rle = mask_to_coco_rle(mask);
    EXPECT_EQ(rle.height, shape.rows);
    EXPECT_EQ(rle.width, shape.cols);
    EXPECT_EQ(rle.counts, naive_coco_counts(mask)) << shape.rows << "x" << shape.cols;
    Result<cv::Mat> decoded = mask_from_coco_rle(rle);
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_TRUE(same_pixels(*decoded, as_01(mask)));
  }
}

TEST(CocoRle, StartsWithBackgroundRunAndWritesJson) {
  // Column-major: column 0 = (1,1), column 1 = (0,1), column 2 = (0,0).
  cv::Mat mask = (cv::Mat_<uint8_t>(2, 3) << 1, 0, 0, 1, 1, 0);
  const CocoRle rle = mask_to_coco_rle(mask);
  EXPECT_EQ(rle.counts, (std::vector<uint32_t>{0, 2, 1, 1, 2}));
  std::string json;
  append_coco_rle_json(rle, json);
  EXPECT_EQ(json, R"({"size":[2,3],"counts":[0,2,1,1,2]})");
  EXPECT_FALSE(mask_from_coco_rle({2, 3, {0, 2, 1}}).ok());  // counts do not add up to 6
}

TEST(CocoRle, LargePhotoShape) {
  const cv::Mat mask = random_mask(3000, 4000, 8);
  const CocoRle rle = mask_to_coco_rle(mask);
  Result<cv::Mat> decoded = mask_from_coco_rle(rle);
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(same_pixels(*decoded, mask));
}

TEST(MaskPng, RoundTripsAndIsOneBit) {
  uint32_t seed = 200;
  for (const Shape shape : kShapes) {
    const cv::Mat mask = random_mask(shape.rows, shape.cols, seed++);
    const std::vector<uint8_t> png = mask_to_png(mask);
    ASSERT_GT(png.size(), 33u);
    EXPECT_EQ(png[1], 'P');
    EXPECT_EQ(png[24], 1) << "IHDR bit depth";    // 1-bit
    EXPECT_EQ(png[25], 0) << "IHDR colour type";  // greyscale
    Result<cv::Mat> decoded = mask_from_png(png);
    ASSERT_TRUE(decoded.ok());
    EXPECT_TRUE(same_pixels(*decoded, as_01(mask))) << shape.rows << "x" << shape.cols;
  }
  const std::vector<uint8_t> not_png = {1, 2, 3};
  EXPECT_EQ(mask_from_png(not_png).error().code, ErrorCode::kBadImage);
  // Another format's bytes never reach that format's decoder: a DICOM preamble ("DICM" at 128)
  // made GDCM abort the process (fuzz/regressions/mask_codec/dicom-header-aborts-in-gdcm).
  std::vector<uint8_t> dicom(132, 0);
  dicom[128] = 'D', dicom[129] = 'I', dicom[130] = 'C', dicom[131] = 'M';
  EXPECT_EQ(mask_from_png(dicom).error().code, ErrorCode::kBadImage);
}

}  // namespace
}  // namespace bodyshape::image

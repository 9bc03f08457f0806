// encode_image: PNG (our writer, tested in depth by image_png_writer_test) is lossless at every
// setting; JPEG and WebP come back close to the input; every output is recognised by our decoder.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "image/image.h"
#include "support/compare.h"
#include "support/testdata.h"

namespace bodyshape::image {
namespace {

std::vector<float> as_floats(const cv::Mat& m) {
  cv::Mat f;
  m.convertTo(f, CV_32F);
  return std::vector<float>(f.begin<float>(), f.end<float>());
}

cv::Mat random_rgb(int width, int height) {
  cv::Mat rgb(height, width, CV_8UC3);
  cv::randu(rgb, cv::Scalar::all(0), cv::Scalar::all(256));
  return rgb;
}

TEST(ImageEncode, PngRoundTripIsLosslessOnAwkwardSizes) {
  cv::theRNG().state = 20240601;
  for (const cv::Size size : {cv::Size(1, 1), cv::Size(3, 1), cv::Size(1, 7), cv::Size(13, 127),
                              cv::Size(127, 13), cv::Size(640, 480)}) {
    SCOPED_TRACE(std::to_string(size.width) + "x" + std::to_string(size.height));
    const cv::Mat rgb = random_rgb(size.width, size.height);
    const std::vector<uint8_t> png = encode_image(rgb, ImageFormat::kPng);
    ASSERT_GE(png.size(), 8u);
    EXPECT_EQ(base64_encode(std::span(png).first(8)), "iVBORw0KGgo=");  // the contract's PNG prefix
    const Result<cv::Mat> back = decode_image(png);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(cv::norm(*back, rgb, cv::NORM_INF), 0);
  }
}

TEST(ImageEncode, PngRoundTripOfAPhotoAtEveryCandidateSetting) {
  const Result<cv::Mat> photo = decode_image(bodyshape::testing::read_bytes(
      bodyshape::testing::shared_path("testdata/images/man_yoga_warrior_beach.jpg")));
  ASSERT_TRUE(photo.ok());
  for (int level = 1; level <= 3; ++level) {  // the levels bench/image_codecs.cpp compares
    for (int filter = 0; filter <= static_cast<int>(PngFilter::kAdaptive); ++filter) {
      const Result<cv::Mat> back =
          decode_image(encode_png(*photo, {level, static_cast<PngFilter>(filter)}));
      ASSERT_TRUE(back.ok()) << back.error().message;
      EXPECT_EQ(cv::norm(*back, *photo, cv::NORM_INF), 0) << "level " << level << " filter " << filter;
    }
  }
}

TEST(ImageEncode, GreyPngRoundTripIsLossless) {
  cv::theRNG().state = 42;
  cv::Mat mask(37, 53, CV_8UC1);
  cv::randu(mask, cv::Scalar::all(0), cv::Scalar::all(256));
  const Result<cv::Mat> back = decode_image(encode_image(mask, ImageFormat::kPng));
  ASSERT_TRUE(back.ok()) << back.error().message;
  cv::Mat rgb;
  cv::cvtColor(mask, rgb, cv::COLOR_GRAY2RGB);  // decode_image always hands back RGB
  EXPECT_EQ(cv::norm(*back, rgb, cv::NORM_INF), 0);
}

TEST(ImageEncode, JpegAndWebpStayCloseToTheInput) {
  const Result<cv::Mat> photo = decode_image(bodyshape::testing::read_bytes(
      bodyshape::testing::shared_path("testdata/images/man_yoga_warrior_beach.jpg")));
  ASSERT_TRUE(photo.ok());
  for (const ImageFormat format : {ImageFormat::kJpeg, ImageFormat::kWebp}) {
    const std::vector<uint8_t> bytes = encode_image(*photo, format);
    const Result<cv::Mat> back = decode_image(bytes);
    ASSERT_TRUE(back.ok()) << back.error().message;
    ASSERT_EQ(back->size(), photo->size());
    // JPEG q92 / WebP q90 on a natural photo: a mean error of a few levels; the max is not
    // bounded by the codecs (sharp edges), so only the mean is checked. A channel swap (RGB vs
    // BGR) would give a mean error of tens.
    EXPECT_TRUE(bodyshape::testing::near_all(as_floats(*back), as_floats(*photo), 255, 4,
                                             "lossy q90+ on a photo"));
  }
}

TEST(ImageEncode, RejectsWhatIsNotRgb) {
  EXPECT_THROW(encode_image(cv::Mat(), ImageFormat::kPng), std::invalid_argument);
  EXPECT_THROW(encode_image(cv::Mat(4, 4, CV_8UC4), ImageFormat::kPng), std::invalid_argument);
  EXPECT_THROW(encode_image(cv::Mat(4, 4, CV_16UC3), ImageFormat::kPng), std::invalid_argument);
  EXPECT_THROW(encode_image(cv::Mat(4, 4, CV_8UC4), ImageFormat::kJpeg), std::invalid_argument);
}

}  // namespace
}  // namespace bodyshape::image

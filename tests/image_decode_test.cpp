// decode_image / probe_image_size on the shared photos, the shared bad inputs, and images made
// here with cv::imencode (16-bit, grey, TIFF, WebP) or by hand (EXIF orientations, headers).
#include <array>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "image/image.h"
#include "support/compare.h"
#include "support/testdata.h"

namespace bodyshape::image {
namespace {

using bodyshape::testing::read_bytes;
using bodyshape::testing::shared_path;

std::vector<uint8_t> image_file(const std::string& name) {
  return read_bytes(shared_path("testdata/images/" + name));
}
std::vector<uint8_t> bad_file(const std::string& name) {
  return read_bytes(shared_path("testdata/bad/" + name));
}

std::vector<uint8_t> encode_bgr(const std::string& extension, const cv::Mat& bgr,
                                const std::vector<int>& params = {}) {
  std::vector<uint8_t> bytes;
  EXPECT_TRUE(cv::imencode(extension, bgr, bytes, params)) << extension;
  return bytes;
}

// A picture where every pixel differs from its mirror images, so any wrong flip or turn shows.
cv::Mat asymmetric_rgb(int width, int height) {
  cv::Mat rgb(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      rgb.at<cv::Vec3b>(y, x) = {static_cast<uint8_t>(x * 255 / (width - 1)),
                                 static_cast<uint8_t>(y * 255 / (height - 1)),
                                 static_cast<uint8_t>((x * 7 + y * 13) % 256)};
    }
  }
  return rgb;
}

bool identical(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

std::vector<float> as_floats(const cv::Mat& m) {
  cv::Mat f;
  m.convertTo(f, CV_32F);
  return std::vector<float>(f.begin<float>(), f.end<float>());
}

void expect_bad_image(const Result<cv::Mat>& decoded, const std::string& message_part) {
  ASSERT_FALSE(decoded.ok()) << "expected kBadImage containing '" << message_part << "'";
  EXPECT_EQ(decoded.error().code, ErrorCode::kBadImage);
  EXPECT_NE(decoded.error().message.find(message_part), std::string::npos)
      << "message: " << decoded.error().message;
}

// ---- the shared photos --------------------------------------------------------------------------

struct Photo {
  const char* name;
  int stored_width, stored_height;    // what the header says
  int upright_width, upright_height;  // MANIFEST.md, after EXIF orientation
};

constexpr Photo kPhotos[] = {
    {"man_yoga_warrior_beach.jpg", 1000, 667, 1000, 667},
    {"man_suit_portrait_3q.jpg", 820, 1024, 820, 1024},
    {"three_people_office.jpg", 1049, 861, 1049, 861},
    {"man_business_suit_standing.jpg", 399, 640, 399, 640},
    {"woman_standing_front_studio.jpg", 720, 1280, 720, 1280},
    {"exif_orientation6_woman_squat.jpg", 1280, 720, 720, 1280},
    {"woman_with_dog_field.jpg", 640, 962, 640, 962},
    {"man_baseball_batter.jpg", 860, 1080, 860, 1080},
    {"man_pitcher_side_view.jpg", 1080, 720, 1080, 720},
    {"man_standing_3q_tshirt.jpg", 1080, 700, 1080, 700},
    {"soccer_three_players.jpg", 1280, 853, 1280, 853},
    {"woman_upper_body_smiling.jpg", 698, 790, 698, 790},
    {"woman_upper_body_side_alpha.png", 426, 636, 426, 636},
    {"grayscale_man_skateboarding.jpg", 1080, 715, 1080, 715},
    {"large_astronaut_moon_3000px.jpg", 3000, 3239, 3000, 3239},
    {"tiny_32x24_man_yoga.jpg", 32, 24, 32, 24},
    {"no_person_dog.jpg", 1125, 750, 1125, 750},
    {"no_person_terrace.jpg", 1280, 853, 1280, 853},
};

TEST(ImageDecode, EveryPhotoProbesAndDecodesUpright) {
  for (const Photo& photo : kPhotos) {
    SCOPED_TRACE(photo.name);
    const std::vector<uint8_t> bytes = image_file(photo.name);
    const Result<ImageSize> size = probe_image_size(bytes);
    ASSERT_TRUE(size.ok()) << size.error().message;
    EXPECT_EQ(size->width, photo.stored_width);
    EXPECT_EQ(size->height, photo.stored_height);
    const Result<cv::Mat> rgb = decode_image(bytes);
    ASSERT_TRUE(rgb.ok()) << rgb.error().message;
    EXPECT_EQ(rgb->type(), CV_8UC3);
    EXPECT_EQ(rgb->cols, photo.upright_width);
    EXPECT_EQ(rgb->rows, photo.upright_height);
  }
}

TEST(ImageDecode, ExifOrientation6IsTurnedClockwiseExactlyOnce) {
  const std::vector<uint8_t> bytes = image_file("exif_orientation6_woman_squat.jpg");
  const Result<cv::Mat> rgb = decode_image(bytes);
  ASSERT_TRUE(rgb.ok()) << rgb.error().message;
  ASSERT_EQ(rgb->cols, 720);
  ASSERT_EQ(rgb->rows, 1280);

  // By hand: the stored 1280x720 pixels (IMREAD_UNCHANGED ignores EXIF), turned 90° clockwise.
  cv::Mat stored = cv::imdecode(bytes, cv::IMREAD_UNCHANGED);
  ASSERT_EQ(stored.cols, 1280);
  cv::cvtColor(stored, stored, cv::COLOR_BGR2RGB);
  cv::Mat by_hand;
  cv::rotate(stored, by_hand, cv::ROTATE_90_CLOCKWISE);
  EXPECT_TRUE(identical(*rgb, by_hand));

  // OpenCV's own EXIF handling (IMREAD_COLOR) turns it once too; a second turn would differ.
  cv::Mat opencv_upright = cv::imdecode(bytes, cv::IMREAD_COLOR);
  cv::cvtColor(opencv_upright, opencv_upright, cv::COLOR_BGR2RGB);
  EXPECT_TRUE(identical(*rgb, opencv_upright));
}

TEST(ImageDecode, AlphaIsIgnoredRgbAsStored) {
  const std::vector<uint8_t> bytes = image_file("woman_upper_body_side_alpha.png");
  const Result<cv::Mat> rgb = decode_image(bytes);
  ASSERT_TRUE(rgb.ok()) << rgb.error().message;
  const cv::Mat bgra = cv::imdecode(bytes, cv::IMREAD_UNCHANGED);
  ASSERT_EQ(bgra.type(), CV_8UC4);
  cv::Mat expected;
  cv::cvtColor(bgra, expected, cv::COLOR_BGRA2RGB);
  EXPECT_TRUE(identical(*rgb, expected));
}

TEST(ImageDecode, GreyJpegBecomesThreeEqualChannels) {
  const Result<cv::Mat> rgb = decode_image(image_file("grayscale_man_skateboarding.jpg"));
  ASSERT_TRUE(rgb.ok()) << rgb.error().message;
  ASSERT_EQ(rgb->type(), CV_8UC3);
  std::vector<cv::Mat> planes;
  cv::split(*rgb, planes);
  EXPECT_TRUE(identical(planes[0], planes[1]));
  EXPECT_TRUE(identical(planes[0], planes[2]));
}

// ---- EXIF orientation, all eight values ---------------------------------------------------------

// Upright pixel (x, y) read from the stored image per EXIF 2.3 table 4, written out per value
// rather than with cv::rotate so the reference does not share the code under test.
cv::Vec3b stored_pixel_for(const cv::Mat& s, int orientation, int x, int y) {
  const int w = s.cols, h = s.rows;
  switch (orientation) {
    case 2:
      return s.at<cv::Vec3b>(y, w - 1 - x);
    case 3:
      return s.at<cv::Vec3b>(h - 1 - y, w - 1 - x);
    case 4:
      return s.at<cv::Vec3b>(h - 1 - y, x);
    case 5:
      return s.at<cv::Vec3b>(x, y);
    case 6:
      return s.at<cv::Vec3b>(h - 1 - x, y);
    case 7:
      return s.at<cv::Vec3b>(h - 1 - x, w - 1 - y);
    case 8:
      return s.at<cv::Vec3b>(x, w - 1 - y);
    default:
      return s.at<cv::Vec3b>(y, x);
  }
}

cv::Mat upright_reference(const cv::Mat& stored, int orientation) {
  const bool swaps = orientation >= 5;
  cv::Mat upright(swaps ? stored.cols : stored.rows, swaps ? stored.rows : stored.cols, CV_8UC3);
  for (int y = 0; y < upright.rows; ++y) {
    for (int x = 0; x < upright.cols; ++x)
      upright.at<cv::Vec3b>(y, x) = stored_pixel_for(stored, orientation, x, y);
  }
  return upright;
}

// An EXIF block: "Exif\0\0", TIFF header, IFD0 with one SHORT entry 274 = orientation.
std::vector<uint8_t> exif_block(int orientation, bool big_endian) {
  auto u16 = [&](std::vector<uint8_t>& v, int x) {
    if (big_endian) {
      v.insert(v.end(), {static_cast<uint8_t>(x >> 8), static_cast<uint8_t>(x)});
    } else {
      v.insert(v.end(), {static_cast<uint8_t>(x), static_cast<uint8_t>(x >> 8)});
    }
  };
  auto u32 = [&](std::vector<uint8_t>& v, uint32_t x) {
    if (big_endian) {
      u16(v, static_cast<int>(x >> 16));
      u16(v, static_cast<int>(x & 0xFFFF));
    } else {
      u16(v, static_cast<int>(x & 0xFFFF));
      u16(v, static_cast<int>(x >> 16));
    }
  };
  std::vector<uint8_t> v = {'E', 'x', 'i', 'f', 0, 0};
  v.insert(v.end(), big_endian ? std::initializer_list<uint8_t>{'M', 'M'}
                               : std::initializer_list<uint8_t>{'I', 'I'});
  u16(v, 42);
  u32(v, 8);    // IFD0 right after the header
  u16(v, 1);    // one entry
  u16(v, 274);  // Orientation
  u16(v, 3);    // SHORT
  u32(v, 1);
  u16(v, orientation);
  u16(v, 0);
  u32(v, 0);  // no next IFD
  return v;
}

std::vector<uint8_t> jpeg_with_exif(const std::vector<uint8_t>& jpeg,
                                    const std::vector<uint8_t>& exif) {
  std::vector<uint8_t> out(jpeg.begin(), jpeg.begin() + 2);  // SOI
  const size_t length = exif.size() + 2;
  out.insert(out.end(),
             {0xFF, 0xE1, static_cast<uint8_t>(length >> 8), static_cast<uint8_t>(length)});
  out.insert(out.end(), exif.begin(), exif.end());
  out.insert(out.end(), jpeg.begin() + 2, jpeg.end());
  return out;
}

TEST(ImageDecode, AllEightJpegExifOrientationsInBothByteOrders) {
  const std::vector<uint8_t> jpeg = encode_bgr(".jpg", asymmetric_rgb(40, 24));
  const Result<cv::Mat> stored = decode_image(jpeg);  // no EXIF: the stored pixels
  ASSERT_TRUE(stored.ok());
  for (bool big_endian : {false, true}) {
    for (int orientation = 1; orientation <= 8; ++orientation) {
      SCOPED_TRACE("orientation " + std::to_string(orientation) + (big_endian ? " MM" : " II"));
      const Result<cv::Mat> upright =
          decode_image(jpeg_with_exif(jpeg, exif_block(orientation, big_endian)));
      ASSERT_TRUE(upright.ok()) << upright.error().message;
      EXPECT_TRUE(identical(*upright, upright_reference(*stored, orientation)));
    }
  }
}

TEST(ImageDecode, OutOfRangeOrBrokenExifLeavesPixelsAsStored) {
  const std::vector<uint8_t> jpeg = encode_bgr(".jpg", asymmetric_rgb(40, 24));
  const Result<cv::Mat> stored = decode_image(jpeg);
  ASSERT_TRUE(stored.ok());
  for (int orientation : {0, 9, 65535}) {
    const Result<cv::Mat> decoded =
        decode_image(jpeg_with_exif(jpeg, exif_block(orientation, false)));
    ASSERT_TRUE(decoded.ok());
    EXPECT_TRUE(identical(*decoded, *stored));
  }
  std::vector<uint8_t> broken = exif_block(6, false);
  broken[6 + 4] = 0xF0;  // IFD0 offset far past the block
  const Result<cv::Mat> decoded = decode_image(jpeg_with_exif(jpeg, broken));
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(identical(*decoded, *stored));
}

uint32_t png_crc(const uint8_t* data, size_t size) {
  uint32_t crc = 0xFFFFFFFFu;  // PNG spec annex D: CRC-32, polynomial 0xEDB88320
  for (size_t i = 0; i < size; ++i) {
    crc ^= data[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return crc ^ 0xFFFFFFFFu;
}

TEST(ImageDecode, PngExifChunkOrientationIsApplied) {
  const cv::Mat rgb = asymmetric_rgb(30, 20);
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  const std::vector<uint8_t> png = encode_bgr(".png", bgr);
  const std::vector<uint8_t> exif = exif_block(8, true);
  std::vector<uint8_t> chunk = {0, 0, 0, static_cast<uint8_t>(exif.size() - 6), 'e', 'X', 'I', 'f'};
  chunk.insert(chunk.end(), exif.begin() + 6,
               exif.end());  // eXIf holds the TIFF data without "Exif\0\0"
  const uint32_t crc = png_crc(chunk.data() + 4, chunk.size() - 4);
  chunk.insert(chunk.end(), {static_cast<uint8_t>(crc >> 24), static_cast<uint8_t>(crc >> 16),
                             static_cast<uint8_t>(crc >> 8), static_cast<uint8_t>(crc)});
  std::vector<uint8_t> with_exif(png.begin(), png.begin() + 33);  // signature + IHDR
  with_exif.insert(with_exif.end(), chunk.begin(), chunk.end());
  with_exif.insert(with_exif.end(), png.begin() + 33, png.end());
  const Result<cv::Mat> upright = decode_image(with_exif);
  ASSERT_TRUE(upright.ok()) << upright.error().message;
  EXPECT_TRUE(identical(*upright, upright_reference(rgb, 8)));
}

// ---- formats and sample types made here ---------------------------------------------------------

TEST(ImageDecode, SixteenBitPngKeepsTheHighByte) {
  cv::Mat wide(5, 7, CV_16UC3);
  const std::array<uint16_t, 5> samples = {0x0000, 0x01FF, 0x80FF, 0xFF00, 0xFFFF};
  for (int y = 0; y < wide.rows; ++y) {
    for (int x = 0; x < wide.cols; ++x) {
      wide.at<cv::Vec3w>(y, x) = {samples[y], samples[(y + x) % 5], samples[x % 5]};  // B, G, R
    }
  }
  const Result<cv::Mat> rgb = decode_image(encode_bgr(".png", wide));
  ASSERT_TRUE(rgb.ok()) << rgb.error().message;
  ASSERT_EQ(rgb->type(), CV_8UC3);
  for (int y = 0; y < wide.rows; ++y) {
    for (int x = 0; x < wide.cols; ++x) {
      const cv::Vec3w bgr = wide.at<cv::Vec3w>(y, x);
      const cv::Vec3b expected(bgr[2] >> 8, bgr[1] >> 8, bgr[0] >> 8);
      ASSERT_EQ(rgb->at<cv::Vec3b>(y, x), expected) << "at " << x << "," << y;
    }
  }
}

TEST(ImageDecode, SixteenBitGreyPngBecomesRgb) {
  cv::Mat grey(3, 4, CV_16UC1, cv::Scalar(0xABCD));
  const Result<cv::Mat> rgb = decode_image(encode_bgr(".png", grey));
  ASSERT_TRUE(rgb.ok()) << rgb.error().message;
  ASSERT_EQ(rgb->type(), CV_8UC3);
  EXPECT_EQ(rgb->at<cv::Vec3b>(2, 3), cv::Vec3b(0xAB, 0xAB, 0xAB));
}

TEST(ImageDecode, TiffWebpBmpRoundTrip) {
  const cv::Mat rgb = asymmetric_rgb(37, 23);
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  struct Case {
    const char* extension;
    std::vector<int> params;
    double max_abs;  // lossless formats must match exactly
  };
  const Case cases[] = {
      {".tiff", {}, 0},
      {".bmp", {}, 0},
      {".webp", {cv::IMWRITE_WEBP_QUALITY, 101}, 0},  // quality > 100: lossless VP8L
      // Lossy VP8 at q95 on a smooth gradient: 4:2:0 chroma keeps errors to tens of levels at most.
      {".webp", {cv::IMWRITE_WEBP_QUALITY, 95}, 64},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.extension) + " params " + std::to_string(c.params.size()));
    const std::vector<uint8_t> bytes = encode_bgr(c.extension, bgr, c.params);
    const Result<ImageSize> size = probe_image_size(bytes);
    ASSERT_TRUE(size.ok()) << size.error().message;
    EXPECT_EQ(size->width, 37);
    EXPECT_EQ(size->height, 23);
    const Result<cv::Mat> decoded = decode_image(bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_TRUE(bodyshape::testing::near_all(as_floats(*decoded), as_floats(rgb), c.max_abs,
                                             c.max_abs == 0 ? 0 : 8, "lossless or VP8 q95"));
  }
}

// ---- the shared bad inputs ----------------------------------------------------------------------

TEST(ImageDecode, SharedBadInputsAreRejectedWithPreciseMessages) {
  expect_bad_image(decode_image(bad_file("empty.jpg")), "empty");
  expect_bad_image(decode_image(bad_file("video_first_2kb.mp4")), "MP4");
  expect_bad_image(decode_image(bad_file("truncated_40pct.jpg")), "JPEG is truncated");
  expect_bad_image(decode_image(bad_file("random_bytes.jpg")), "not an image");
  expect_bad_image(decode_image(bad_file("not_an_image.txt")), "text");
  expect_bad_image(decode_image(bad_file("png_corrupt_body.png")), "PNG");
}

TEST(ImageDecode, SharedUnusualButValidInputsDecode) {
  const Result<cv::Mat> gif = decode_image(bad_file("person_baseball_batter.gif"));
  ASSERT_TRUE(gif.ok()) << gif.error().message;
  EXPECT_EQ(gif->size(), cv::Size(430, 540));
  // The GIF is the batter photo shrunk to 430x540 with a 256-colour palette: the colours stay
  // within palette-quantisation error of the JPEG shrunk the same way.
  const Result<cv::Mat> jpeg = decode_image(image_file("man_baseball_batter.jpg"));
  ASSERT_TRUE(jpeg.ok());
  cv::Mat shrunk;
  cv::resize(*jpeg, shrunk, gif->size(), 0, 0, cv::INTER_AREA);
  EXPECT_TRUE(bodyshape::testing::near_all(as_floats(*gif), as_floats(shrunk), 255, 12,
                                           "256-colour palette + resampling filter differences"));

  const Result<cv::Mat> bmp = decode_image(bad_file("person_businessman.bmp"));
  ASSERT_TRUE(bmp.ok()) << bmp.error().message;
  EXPECT_EQ(bmp->size(), cv::Size(266, 427));

  const Result<cv::Mat> one_pixel = decode_image(bad_file("one_pixel_1x1.jpg"));
  ASSERT_TRUE(one_pixel.ok()) << one_pixel.error().message;
  EXPECT_EQ(one_pixel->size(), cv::Size(1, 1));
  EXPECT_EQ(one_pixel->type(), CV_8UC3);
}

// ---- limits, truncation, hostile headers --------------------------------------------------------

TEST(ImageDecode, PixelLimitIsCheckedFromTheHeader) {
  const Result<cv::Mat> small_limit =
      decode_image(image_file("man_yoga_warrior_beach.jpg"), {.max_pixels = 1000});
  expect_bad_image(small_limit, "image has 667000 pixels; the limit is 1000");

  // A decompression bomb's header: 60000x60000 PNG with no pixel data worth the name.
  std::vector<uint8_t> bomb = encode_bgr(".png", cv::Mat(1, 1, CV_8UC3, cv::Scalar::all(0)));
  for (int i = 0; i < 2; ++i) {
    const uint32_t side = 60000;
    bomb[16 + 4 * i] = static_cast<uint8_t>(side >> 24);
    bomb[17 + 4 * i] = static_cast<uint8_t>(side >> 16);
    bomb[18 + 4 * i] = static_cast<uint8_t>(side >> 8);
    bomb[19 + 4 * i] = static_cast<uint8_t>(side);
  }
  const Result<ImageSize> size = probe_image_size(bomb);
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(size->width, 60000);
  expect_bad_image(decode_image(bomb), "image has 3600000000 pixels; the limit is 50000000");
}

TEST(ImageDecode, EveryFormatCutShortIsRejected) {
  const cv::Mat bgr = asymmetric_rgb(64, 48);
  const std::vector<std::pair<const char*, std::vector<uint8_t>>> files = {
      {"JPEG", encode_bgr(".jpg", bgr)},  {"PNG", encode_bgr(".png", bgr)},
      {"WebP", encode_bgr(".webp", bgr)}, {"TIFF", encode_bgr(".tiff", bgr)},
      {"BMP", encode_bgr(".bmp", bgr)},   {"GIF", bad_file("person_baseball_batter.gif")},
  };
  for (const auto& [format, bytes] : files) {
    for (double keep : {0.1, 0.5, 0.9, 0.99}) {
      SCOPED_TRACE(std::string(format) + " keeping " + std::to_string(keep));
      const std::vector<uint8_t> cut(bytes.begin(),
                                     bytes.begin() + static_cast<long>(bytes.size() * keep));
      const Result<cv::Mat> decoded = decode_image(cut);
      ASSERT_FALSE(decoded.ok());
      EXPECT_EQ(decoded.error().code, ErrorCode::kBadImage);
    }
  }
}

TEST(ImageDecode, HandMadeTiffHeadersInBothByteOrders) {
  // "II"/"MM", 42, IFD0 at 8: two entries, ImageWidth (SHORT) = 300 and ImageLength (LONG) = 70000.
  const std::vector<uint8_t> little = {'I', 'I', 42, 0, 8, 0, 0,    0,    2,    0, 0, 1,
                                       3,   0,   1,  0, 0, 0, 0x2C, 0x01, 0,    0, 1, 1,
                                       4,   0,   1,  0, 0, 0, 0x70, 0x11, 0x01, 0};
  const std::vector<uint8_t> big = {'M', 'M', 0, 42, 0, 0, 0,    8,    0,    2,   1, 0,
                                    0,   3,   0, 0,  0, 1, 0x01, 0x2C, 0,    0,   1, 1,
                                    0,   4,   0, 0,  0, 1, 0,    0x01, 0x11, 0x70};
  for (const auto& header : {little, big}) {
    const Result<ImageSize> size = probe_image_size(header);
    ASSERT_TRUE(size.ok()) << size.error().message;
    EXPECT_EQ(size->width, 300);
    EXPECT_EQ(size->height, 70000);
  }
  std::vector<uint8_t> cut(little.begin(), little.end() - 1);
  const Result<ImageSize> truncated = probe_image_size(cut);
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.error().message.find("truncated"), std::string::npos)
      << truncated.error().message;
}

TEST(ImageDecode, EveryPrefixAndRandomCorruptionIsSafe) {
  // Headers come from the internet: no prefix or byte flip may crash or read out of bounds
  // (run under ASan in CI). Results are either a valid RGB image or kBadImage.
  const cv::Mat bgr = asymmetric_rgb(24, 16);
  std::vector<std::vector<uint8_t>> files = {image_file("tiny_32x24_man_yoga.jpg"),
                                             encode_bgr(".png", bgr),
                                             encode_bgr(".webp", bgr),
                                             encode_bgr(".tiff", bgr),
                                             encode_bgr(".bmp", bgr),
                                             bad_file("one_pixel_1x1.jpg")};
  std::mt19937 random(20240601);
  for (const std::vector<uint8_t>& file : files) {
    for (size_t length = 0; length < file.size(); ++length) {
      const std::span<const uint8_t> prefix(file.data(), length);
      const Result<ImageSize> size = probe_image_size(prefix);
      if (!size.ok()) {
        EXPECT_EQ(size.error().code, ErrorCode::kBadImage);
      }
      if (length % 7 == 0) {
        const Result<cv::Mat> decoded = decode_image(prefix);
        if (!decoded.ok()) {
          EXPECT_EQ(decoded.error().code, ErrorCode::kBadImage);
        }
      }
    }
    for (int trial = 0; trial < 150; ++trial) {
      std::vector<uint8_t> mutated = file;
      const size_t span = std::min<size_t>(mutated.size(), 200);  // mostly header bytes
      for (int flips = 0; flips < 3; ++flips)
        mutated[random() % span] = static_cast<uint8_t>(random());
      const Result<cv::Mat> decoded = decode_image(mutated, {.max_pixels = 4'000'000});
      if (decoded.ok()) {
        EXPECT_EQ(decoded->type(), CV_8UC3);
      } else {
        EXPECT_EQ(decoded.error().code, ErrorCode::kBadImage);
      }
    }
  }
}

}  // namespace
}  // namespace bodyshape::image

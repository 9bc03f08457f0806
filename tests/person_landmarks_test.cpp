// Landmark decoding, heatmap refinement, projections (round trips) and the image <-> tensor
// resampling, on synthetic data; plus the stored landmark-model tensors decoded.
#include <cmath>
#include <numbers>
#include <random>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "person/image_to_tensor.h"
#include "person/landmarks.h"
#include "support/compare.h"
#include "support/testdata.h"

namespace bodyshape::person {
namespace {

constexpr float kPi = std::numbers::pi_v<float>;

TEST(PersonLandmarks, DecodeScalesByInputAndAppliesSigmoid) {
  std::vector<float> raw(39 * 5, 0.0f);
  raw[0] = 128;   // x
  raw[1] = 64;    // y
  raw[2] = -256;  // z
  raw[3] = 0;     // visibility logit -> 0.5
  raw[4] = 100;   // presence logit -> 1
  const auto lms = decode_landmarks(raw, {});
  ASSERT_EQ(lms.size(), 39u);
  EXPECT_FLOAT_EQ(lms[0].x, 0.5f);
  EXPECT_FLOAT_EQ(lms[0].y, 0.25f);
  EXPECT_FLOAT_EQ(lms[0].z, -1.0f);
  EXPECT_FLOAT_EQ(lms[0].visibility, 0.5f);
  EXPECT_FLOAT_EQ(lms[0].presence, 1.0f);
}

// A 64x64 heatmap with one channel per landmark, all -20 (sigmoid ~ 0) except `cells`.
std::vector<float> heatmap(int channels,
                           std::initializer_list<std::tuple<int, int, int, float>> cells) {
  std::vector<float> hm(64 * 64 * channels, -20.0f);
  for (auto [ch, row, col, logit] : cells) hm[(row * 64 + col) * channels + ch] = logit;
  return hm;
}

TEST(PersonLandmarks, HeatmapRefinementTakesWeightedMeanCell) {
  std::vector<Landmark> lms(3);
  lms[0] = {10.2f / 64, 20.7f / 64, 0, 1, 1};  // cell (10, 20), two confident cells nearby
  lms[1] = {30.0f / 64, 30.0f / 64, 0, 1, 1};  // peak 0.27 < 0.5: unchanged
  lms[2] = {-0.1f, 0.5f, 0, 1, 1};             // outside the heatmap: unchanged
  const float big = 10.0f;                     // sigmoid ~ 0.99995
  auto hm = heatmap(3, {{0, 20, 12, big}, {0, 22, 12, big}, {1, 30, 31, -1.0f}});
  const auto before = lms;
  refine_from_heatmap(lms, hm, {});
  // Weighted mean of cells 12 (x) and 20/22 (y), with the ~0 rest of the 7x7 kernel.
  EXPECT_NEAR(lms[0].x, 12.0f / 64, 2e-3);
  EXPECT_NEAR(lms[0].y, 21.0f / 64, 2e-3);
  EXPECT_FLOAT_EQ(lms[1].x, before[1].x);
  EXPECT_FLOAT_EQ(lms[2].x, before[2].x);
  EXPECT_FLOAT_EQ(lms[0].visibility, 1.0f);  // refine_visibility is off by default
}

TEST(PersonLandmarks, HeatmapKernelIsSevenCellsWide) {
  std::vector<Landmark> lms(1, {10.5f / 64, 10.5f / 64, 0, 1, 1});
  // A confident cell 4 columns away is outside the 7x7 kernel (offset 3): nothing to refine.
  auto far = heatmap(1, {{0, 10, 14, 10.0f}});
  refine_from_heatmap(lms, far, {});
  EXPECT_FLOAT_EQ(lms[0].x, 10.5f / 64);
  auto near = heatmap(1, {{0, 10, 13, 10.0f}});
  refine_from_heatmap(lms, near, {});
  EXPECT_NEAR(lms[0].x, 13.0f / 64, 2e-3);
}

TEST(PersonLandmarks, ProjectionRoundTripsWithRotation) {
  const NormRect roi{0.4f, 0.6f, 0.3f, 0.45f, 0.7f};  // square in a 3:2 image
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-0.2f, 1.2f);
  for (int i = 0; i < 100; ++i) {
    const Landmark in{u(rng), u(rng), u(rng), 0.3f, 0.9f};
    const Landmark back = project_to_roi(project_to_image(in, roi), roi);
    EXPECT_NEAR(back.x, in.x, 1e-5);
    EXPECT_NEAR(back.y, in.y, 1e-5);
    EXPECT_NEAR(back.z, in.z, 1e-5);
    EXPECT_FLOAT_EQ(back.visibility, 0.3f);
  }
  // The ROI centre maps to the ROI centre; z scales by the ROI's normalised width.
  const Landmark centre = project_to_image({0.5f, 0.5f, 1.0f, 0, 0}, roi);
  EXPECT_NEAR(centre.x, 0.4f, 1e-6);
  EXPECT_NEAR(centre.y, 0.6f, 1e-6);
  EXPECT_NEAR(centre.z, 0.3f, 1e-6);
}

TEST(PersonLandmarks, ProjectionAgreesWithTheCropMatrix) {
  // The landmark at tensor pixel centre (i + 0.5) / 256 must land where the crop sampled it.
  const int w = 600, h = 400;
  const NormRect roi{0.45f, 0.55f, 0.5f, 0.75f, -0.9f};
  const RotatedRectPx px = to_pixels(roi, w, h);
  const cv::Matx23d m = tensor_to_image(px, 256, 256);
  for (auto [i, j] : {std::pair{0, 0}, {255, 0}, {17, 200}, {128, 128}}) {
    const Landmark lm = project_to_image({(i + 0.5f) / 256, (j + 0.5f) / 256, 0, 0, 0}, roi);
    const double sx = m(0, 0) * i + m(0, 1) * j + m(0, 2) + 0.5;  // index -> continuous
    const double sy = m(1, 0) * i + m(1, 1) * j + m(1, 2) + 0.5;
    EXPECT_NEAR(lm.x * w, sx, 1e-3);
    EXPECT_NEAR(lm.y * h, sy, 1e-3);
  }
}

TEST(PersonLandmarks, WorldRotationKeepsLengthAndZ) {
  const WorldLandmark w{0.3f, -0.4f, 0.2f, 0, 0};
  const WorldLandmark r = rotate_world(w, kPi / 2);
  EXPECT_NEAR(r.x, 0.4f, 1e-6);  // (x, y) -> (-y, x): clockwise on screen
  EXPECT_NEAR(r.y, 0.3f, 1e-6);
  EXPECT_FLOAT_EQ(r.z, 0.2f);
}

cv::Mat random_rgb(int w, int h) {
  cv::Mat img(h, w, CV_8UC3);
  cv::randu(img, 0, 256);
  return img;
}

TEST(PersonTensor, IdentityRectCopiesPixels) {
  const cv::Mat img = random_rgb(13, 9);
  std::vector<float> out(13 * 9 * 3);
  extract_tensor(img, {6.5f, 4.5f, 13, 9, 0}, 13, 9, {.range_min = 0, .range_max = 1}, out);
  for (int y = 0; y < 9; ++y)
    for (int x = 0; x < 13; ++x)
      for (int c = 0; c < 3; ++c)
        ASSERT_NEAR(out[(y * 13 + x) * 3 + c], img.at<cv::Vec3b>(y, x)[c] / 255.0f, 1e-6);
}

TEST(PersonTensor, LetterboxPadsWithRangeMinAndMatchesResize) {
  // 40x20 into 20x20: scale 2 down, rows 0..4 and 15..19 are padding.
  const cv::Mat img = random_rgb(40, 20);
  const RotatedRectPx rect = letterbox_rect(40, 20, 20, 20);
  EXPECT_FLOAT_EQ(rect.height, 40.0f);
  std::vector<float> out(20 * 20 * 3);
  extract_tensor(img, rect, 20, 20, {.border = BorderMode::kZero, .range_min = -1, .range_max = 1},
                 out);
  EXPECT_FLOAT_EQ(out[0], -1.0f);
  EXPECT_FLOAT_EQ(out[(19 * 20 + 19) * 3 + 2], -1.0f);
  // Inside: pixel-centre bilinear, the same sampling as cv::resize INTER_LINEAR (half-pixel).
  cv::Mat small;
  cv::Mat img_f;
  img.convertTo(img_f, CV_32FC3, 2.0 / 255, -1.0);
  cv::resize(img_f, small, cv::Size(20, 10), 0, 0, cv::INTER_LINEAR);
  for (int y = 0; y < 10; ++y)
    for (int x = 0; x < 20; ++x)
      for (int c = 0; c < 3; ++c)
        ASSERT_NEAR(out[((y + 5) * 20 + x) * 3 + c], small.at<cv::Vec3f>(y, x)[c], 1e-4)
            << x << "," << y;
}

TEST(PersonTensor, ReplicateBorderRepeatsEdgePixels) {
  cv::Mat img(4, 4, CV_8UC3, cv::Scalar(10, 20, 30));
  std::vector<float> out(8 * 8 * 3);
  // A rect twice the image: the outer ring samples outside and must repeat the edge.
  extract_tensor(img, {2, 2, 8, 8, 0.3f}, 8, 8, {.border = BorderMode::kReplicate}, out);
  for (size_t i = 0; i < out.size(); i += 3) ASSERT_NEAR(out[i], 10 / 255.0f, 1e-6);
}

TEST(PersonTensor, MaskWarpBackInvertsTheCrop) {
  // A smooth image crop -> warp back: equal inside the ROI up to interpolation, 0 outside.
  const int w = 320, h = 240;
  cv::Mat img(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      img.at<cv::Vec3b>(y, x) =
          cv::Vec3b(static_cast<uint8_t>(100 + 80 * std::sin(x / 30.0)), 0, 0);
  const RotatedRectPx rect{150, 130, 120, 120, 0.5f};
  std::vector<float> out(256 * 256 * 3);
  extract_tensor(img, rect, 256, 256, {}, out);
  cv::Mat red(256, 256, CV_32FC1);
  for (int i = 0; i < 256 * 256; ++i) red.ptr<float>()[i] = out[3 * i];
  const cv::Mat back = warp_mask_to_image(red, rect, {w, h});
  ASSERT_EQ(back.type(), CV_32FC1);
  ASSERT_EQ(back.size(), cv::Size(w, h));
  EXPECT_NEAR(back.at<float>(130, 150), img.at<cv::Vec3b>(130, 150)[0] / 255.0f, 2e-3);
  EXPECT_NEAR(back.at<float>(110, 170), img.at<cv::Vec3b>(110, 170)[0] / 255.0f, 2e-3);
  EXPECT_EQ(back.at<float>(10, 10), 0.0f);    // far outside
  EXPECT_EQ(back.at<float>(130, 235), 0.0f);  // just outside the rotated square (half 60 px)
}

// Naive reference for warp_mask_to_image: per pixel, inverse map in double, bilinear with zeros
// outside the tensor (cv::warpAffine INTER_LINEAR + BORDER_CONSTANT semantics).
cv::Mat naive_warp_back(const cv::Mat& tensor, const RotatedRectPx& rect, cv::Size size) {
  cv::Matx23d inv;
  cv::invertAffineTransform(tensor_to_image(rect, tensor.cols, tensor.rows), inv);
  auto at = [&](int x, int y) -> double {
    return x < 0 || y < 0 || x >= tensor.cols || y >= tensor.rows ? 0.0 : tensor.at<float>(y, x);
  };
  cv::Mat out(size, CV_32FC1);
  for (int y = 0; y < size.height; ++y) {
    for (int x = 0; x < size.width; ++x) {
      const double u = inv(0, 0) * x + inv(0, 1) * y + inv(0, 2);
      const double v = inv(1, 0) * x + inv(1, 1) * y + inv(1, 2);
      const int u0 = static_cast<int>(std::floor(u)), v0 = static_cast<int>(std::floor(v));
      const double fx = u - u0, fy = v - v0;
      const double top = at(u0, v0) + fx * (at(u0 + 1, v0) - at(u0, v0));
      const double bottom = at(u0, v0 + 1) + fx * (at(u0 + 1, v0 + 1) - at(u0, v0 + 1));
      out.at<float>(y, x) = static_cast<float>(top + fy * (bottom - top));
    }
  }
  return out;
}

TEST(PersonTensor, MaskWarpMatchesNaiveReferenceOnAwkwardRects) {
  // Up- and downsampled, rotated either way, partly outside the image, odd tensor sizes. Bound:
  // float coordinates (~1e-4 tensor px) on values in [0, 1] whose neighbours differ by <= 1.
  cv::RNG rng(7);
  const struct {
    cv::Size tensor, image;
    RotatedRectPx rect;
  } cases[] = {
      {{256, 256}, {4000, 3000}, {2100, 1400, 3300, 3300, 0.07f}},    // 12 MP, upsampled ~13x
      {{256, 256}, {1920, 1080}, {300, 900, 1500, 1500, -2.9f}},      // mostly outside
      {{13, 7}, {97, 61}, {40, 30, 90, 50, 0.7f}},                    // odd sizes
      {{256, 256}, {200, 150}, {100, 75, 120, 120, -0.4f}},           // downsampled
      {{127, 1}, {300, 40}, {150, 20, 250, 3, 1.5707964f}},           // one tensor row, 90°
  };
  for (const auto& c : cases) {
    cv::Mat tensor(c.tensor, CV_32FC1);
    rng.fill(tensor, cv::RNG::UNIFORM, 0.0, 1.0);
    const cv::Mat fast = warp_mask_to_image(tensor, c.rect, c.image);
    const cv::Mat naive = naive_warp_back(tensor, c.rect, c.image);
    // The naive one is evaluated everywhere; the fast one only inside (-1, size): compare all.
    double max_error = cv::norm(fast, naive, cv::NORM_INF);
    EXPECT_LT(max_error, 2e-3) << c.image << " " << c.rect.rotation;

    // The other formats are the CV_32F mask thresholded / converted, exactly.
    cv::Mat binary = zero_mask(c.image, CV_8UC1), u8 = zero_mask(c.image, CV_8UC1);
    warp_mask_max_into(tensor, c.rect, MaskFormat::kBinary, 0.5f, binary);
    warp_mask_max_into(tensor, c.rect, MaskFormat::kProbabilityU8, 0.5f, u8);
    cv::Mat expected_binary, expected_u8;
    cv::threshold(fast, expected_binary, 0.5, 1.0, cv::THRESH_BINARY);
    expected_binary.convertTo(expected_binary, CV_8U);
    fast.convertTo(expected_u8, CV_8U, 255.0);
    EXPECT_EQ(cv::countNonZero(binary != expected_binary), 0) << c.image;
    EXPECT_EQ(cv::countNonZero(u8 != expected_u8), 0) << c.image;
  }
}

TEST(PersonTensor, MaskWarpIntoKeepsThePerPixelMax) {
  cv::RNG rng(11);
  cv::Mat a(256, 256, CV_32FC1), b(256, 256, CV_32FC1);
  rng.fill(a, cv::RNG::UNIFORM, 0.0, 1.0);
  rng.fill(b, cv::RNG::UNIFORM, 0.0, 1.0);
  const RotatedRectPx ra{300, 200, 350, 350, 0.2f}, rb{420, 260, 300, 300, -0.3f};
  const cv::Size size(640, 480);
  cv::Mat expected;
  cv::max(warp_mask_to_image(a, ra, size), warp_mask_to_image(b, rb, size), expected);
  cv::Mat combined = zero_mask(size, CV_32FC1);
  warp_mask_max_into(a, ra, MaskFormat::kProbability, 0.5f, combined);
  warp_mask_max_into(b, rb, MaskFormat::kProbability, 0.5f, combined);
  EXPECT_EQ(cv::norm(combined, expected, cv::NORM_INF), 0.0);
  EXPECT_EQ(cv::countNonZero(zero_mask({4000, 3000}, CV_32FC1)), 0);
}

// tensors/: the landmark model outputs for the astronaut portrait.
TEST(PersonLandmarks, StoredFullModelTensorsDecode) {
  auto path = [](const std::string& name) {
    return testing::shared_path("testdata/tensors/pose_landmark_full." + name + ".f32");
  };
  const auto raw = testing::read_f32(path("Identity"));
  const auto flag = testing::read_f32(path("Identity_1"));
  const auto heat = testing::read_f32(path("Identity_3"));
  ASSERT_EQ(raw.size(), 195u);
  ASSERT_EQ(heat.size(), 64u * 64 * 39);
  EXPECT_GT(flag[0], 0.5f);  // a person (0.907)
  auto lms = decode_landmarks(raw, {});
  const auto before = lms;
  refine_from_heatmap(lms, heat, {});
  // The nose is visible and inside the crop; refinement moves points by at most a few cells.
  EXPECT_GT(lms[0].visibility, 0.5f);
  EXPECT_GT(lms[0].x, 0.0f);
  EXPECT_LT(lms[0].x, 1.0f);
  double max_move = 0;
  for (size_t i = 0; i < lms.size(); ++i) {
    max_move =
        std::max<double>(max_move, std::hypot(lms[i].x - before[i].x, lms[i].y - before[i].y));
  }
  EXPECT_LT(max_move, 4.0 / 64) << "heatmap refinement stays within the 7x7 kernel";
  // MEDIAPIPE-FACTS.md: the nose's z came out near -335 px of the 256 input.
  EXPECT_NEAR(lms[0].z * 256, -335, 10);
}

}  // namespace
}  // namespace bodyshape::person

#include "cli/overlay.h"

#include <opencv2/imgproc.hpp>

namespace bodyshape::cli {
namespace {

// BlazePose's skeleton (MediaPipe POSE_CONNECTIONS), without the face.
constexpr int kBones[][2] = {{11, 12}, {11, 13}, {13, 15}, {12, 14}, {14, 16}, {11, 23},
                             {12, 24}, {23, 24}, {23, 25}, {25, 27}, {24, 26}, {26, 28},
                             {27, 29}, {29, 31}, {27, 31}, {28, 30}, {30, 32}, {28, 32},
                             {15, 17}, {15, 19}, {15, 21}, {16, 18}, {16, 20}, {16, 22}};
constexpr float kMinVisibility = 0.5f;

}  // namespace

cv::Mat draw_overlay(const cv::Mat& rgb, const cv::Mat& mask,
                     const std::vector<person::Person>& persons) {
  cv::Mat canvas = rgb.clone();
  if (!mask.empty()) {
    cv::Mat tint(rgb.size(), CV_8UC3, cv::Scalar(40, 200, 255));
    cv::Mat alpha;
    mask.convertTo(alpha, CV_32F, 0.45);
    cv::Mat alpha3;
    cv::merge(std::vector<cv::Mat>{alpha, alpha, alpha}, alpha3);
    cv::Mat blended;
    canvas.convertTo(blended, CV_32FC3);
    cv::Mat tint_f;
    tint.convertTo(tint_f, CV_32FC3);
    blended = blended.mul(cv::Scalar::all(1.0) - alpha3) + tint_f.mul(alpha3);
    blended.convertTo(canvas, CV_8UC3);
  }
  const int thickness = std::max(1, std::min(rgb.cols, rgb.rows) / 250);
  for (const person::Person& found : persons) {
    auto pixel = [&](int index) {
      return cv::Point(static_cast<int>(found.landmarks[index].x * static_cast<float>(rgb.cols)),
                       static_cast<int>(found.landmarks[index].y * static_cast<float>(rgb.rows)));
    };
    for (const auto& bone : kBones) {
      if (found.landmarks[bone[0]].visibility < kMinVisibility ||
          found.landmarks[bone[1]].visibility < kMinVisibility) {
        continue;
      }
      cv::line(canvas, pixel(bone[0]), pixel(bone[1]), cv::Scalar(255, 255, 255), thickness,
               cv::LINE_AA);
    }
    for (int i = 0; i < person::kNumPoseLandmarks; ++i) {
      if (found.landmarks[i].visibility < kMinVisibility) continue;
      cv::circle(canvas, pixel(i), 2 * thickness, cv::Scalar(255, 60, 60), cv::FILLED,
                 cv::LINE_AA);
    }
  }
  return canvas;
}

}  // namespace bodyshape::cli

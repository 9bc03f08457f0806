// Shared by the reshape tests and bench/reshape.cpp: loading a reference photo (the official
// MediaPipe landmarks and mask in ../shared/testdata/reference) and the quality
// measurements of one reshape. Header-only so both can include it without a build change.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "reshape/reshape.h"
#include "support/testdata.h"

namespace bodyshape::reshape::testdata {

struct ReferencePhoto {
  std::string name;
  cv::Mat rgb;   // CV_8UC3, EXIF-upright
  cv::Mat mask;  // CV_8U, the full pose model's segmentation
  BodyLandmarks body;
};

// The photos testdata/MANIFEST.md, the photos' ground truth, says show nobody ("| NAME.ext |
// no person: ..."). The models may still find a pose there (a ghost pose on a dog): such a photo
// says nothing about how a body changes.
inline std::set<std::string> photos_without_a_person() {
  std::set<std::string> names;
  std::ifstream manifest(testing::shared_path("testdata/MANIFEST.md"));
  std::string line;
  while (std::getline(manifest, line)) {
    const size_t dot = line.find('.'), cell = line.find(" | ");
    if (line.rfind("| ", 0) != 0 || dot == std::string::npos || cell == std::string::npos) continue;
    if (line.compare(cell + 3, 9, "no person") == 0) names.insert(line.substr(2, dot - 2));
  }
  return names;
}

// Photos of people (MANIFEST.md) whose reference run found a person (a NAME.posemask.png
// exists), sorted by name.
inline std::vector<std::string> reference_photos_with_person() {
  std::vector<std::string> names;
  const std::set<std::string> nobody = photos_without_a_person();
  const std::string suffix = ".posemask.png";
  for (const auto& entry :
       std::filesystem::directory_iterator(testing::shared_path("testdata/reference"))) {
    const std::string file = entry.path().filename().string();
    if (file.size() > suffix.size() && file.ends_with(suffix)) {
      std::string name = file.substr(0, file.size() - suffix.size());
      if (!nobody.contains(name)) names.push_back(std::move(name));
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

inline std::optional<ReferencePhoto> load_reference_photo(const std::string& name) {
  ReferencePhoto photo;
  photo.name = name;
  for (const char* extension : {".jpg", ".png"}) {
    const std::string path = testing::shared_path("testdata/images/" + name + extension);
    if (!std::filesystem::exists(path)) continue;
    cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR);  // applies EXIF orientation
    if (bgr.empty()) return std::nullopt;
    cv::cvtColor(bgr, photo.rgb, cv::COLOR_BGR2RGB);
    break;
  }
  if (photo.rgb.empty()) return std::nullopt;
  photo.mask = cv::imread(testing::shared_path("testdata/reference/" + name + ".posemask.png"),
                          cv::IMREAD_GRAYSCALE);
  if (photo.mask.size() != photo.rgb.size()) return std::nullopt;
  std::ifstream file(testing::shared_path("testdata/reference/" + name + ".pose.json"));
  const nlohmann::json json = nlohmann::json::parse(file);
  if (json["full"].is_null()) return std::nullopt;
  const auto& landmarks = json["full"]["landmarks"];
  for (int i = 0; i < kLandmarkCount; ++i) {
    photo.body.px[i] = {landmarks[i]["x"].get<float>() * static_cast<float>(photo.rgb.cols),
                        landmarks[i]["y"].get<float>() * static_cast<float>(photo.rgb.rows)};
    photo.body.visibility[i] = landmarks[i]["visibility"].get<float>();
  }
  return photo;
}

// PSNR (dB) between two RGB images over the pixels where region != 0; +inf when identical.
inline double psnr_db(const cv::Mat& a, const cv::Mat& b, const cv::Mat& region) {
  double squared = 0;
  int64_t count = 0;
  for (int y = 0; y < a.rows; ++y) {
    for (int x = 0; x < a.cols; ++x) {
      if (!region.at<uint8_t>(y, x)) continue;
      for (int c = 0; c < 3; ++c) {
        const double e = a.at<cv::Vec3b>(y, x)[c] - b.at<cv::Vec3b>(y, x)[c];
        squared += e * e;
      }
      count += 3;
    }
  }
  if (count == 0 || squared == 0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(255.0 * 255.0 / (squared / static_cast<double>(count)));
}

// The box around landmarks 0-10 enlarged by 20 % (the face region).
inline cv::Rect face_box(const BodyLandmarks& body, cv::Size size) {
  cv::Point2f lo = body.px[0], hi = body.px[0];
  for (int i = 0; i <= 10; ++i) {
    lo = {std::min(lo.x, body.px[i].x), std::min(lo.y, body.px[i].y)};
    hi = {std::max(hi.x, body.px[i].x), std::max(hi.y, body.px[i].y)};
  }
  const cv::Point2f margin = 0.1f * (hi - lo);
  const cv::Rect box(cv::Point(static_cast<int>(std::floor(lo.x - margin.x)),
                               static_cast<int>(std::floor(lo.y - margin.y))),
                     cv::Point(static_cast<int>(std::ceil(hi.x + margin.x)) + 1,
                               static_cast<int>(std::ceil(hi.y + margin.y)) + 1));
  return box & cv::Rect(cv::Point(0, 0), size);
}

// Pixels farther than `fraction` of the image diagonal from the input's body mask (p >= 0.5).
inline cv::Mat far_background(const cv::Mat& mask, double fraction) {
  cv::Mat not_body = mask < 128;
  cv::Mat distance;
  cv::distanceTransform(not_body, distance, cv::DIST_L2, cv::DIST_MASK_PRECISE);
  return distance > fraction * std::hypot(mask.cols, mask.rows);
}

struct Quality {
  BodyWidths before, after;
  double face_psnr_db = 0, background_psnr_db = 0;
  double max_landmark_shift = 0;  // fraction of the diagonal, visible landmarks
  std::array<double, kLandmarkCount> landmark_shift{};  // per landmark; NaN = not visible
  double min_jacobian = 0;
  double plan_ms = 0, render_ms = 0;
};

// NaN for no values; the mean of the two middle ones for an even count.
inline double median_of(std::vector<double> values) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

inline Quality evaluate(const ReferencePhoto& photo, const ReshapeRequest& request,
                        cv::Mat* output = nullptr) {
  using Clock = std::chrono::steady_clock;
  Quality quality;
  const auto t0 = Clock::now();
  Result<WarpField> field = plan_reshape(photo.body, photo.mask, photo.rgb.size(), request);
  const auto t1 = Clock::now();
  if (!field) return quality;
  cv::Mat after = render_reshape(photo.rgb, *field);
  const auto t2 = Clock::now();
  quality.plan_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  quality.render_ms = std::chrono::duration<double, std::milli>(t2 - t1).count();
  quality.before = measure_widths(photo.body, photo.mask);
  quality.after = measure_widths(photo.body, warp_mask(photo.mask, *field));
  cv::Mat face_region(photo.rgb.size(), CV_8U, cv::Scalar(0));
  face_region(face_box(photo.body, photo.rgb.size())).setTo(255);
  quality.face_psnr_db = psnr_db(photo.rgb, after, face_region);
  quality.background_psnr_db = psnr_db(photo.rgb, after, far_background(photo.mask, 0.03));
  const double diagonal = std::hypot(photo.rgb.cols, photo.rgb.rows);
  const cv::Rect image(cv::Point(0, 0), photo.rgb.size());
  for (int i = 0; i < kLandmarkCount; ++i) {
    const cv::Point2f p = photo.body.px[i];
    quality.landmark_shift[i] = std::numeric_limits<double>::quiet_NaN();
    if (photo.body.visibility[i] < 0.5f || !image.contains(cv::Point(p))) continue;
    const double shift = cv::norm(field->forward(p) - p) / diagonal;
    quality.landmark_shift[i] = shift;
    quality.max_landmark_shift = std::max(quality.max_landmark_shift, shift);
  }
  quality.min_jacobian = field->min_jacobian;
  if (output) *output = after;
  return quality;
}

}  // namespace bodyshape::reshape::testdata

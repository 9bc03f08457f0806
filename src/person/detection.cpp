#include "person/detection.h"

#include <algorithm>
#include <cmath>

namespace bodyshape::person {

std::vector<Anchor> generate_anchors(const AnchorOptions& options) {
  std::vector<Anchor> anchors;
  const auto& strides = options.strides;
  size_t layer = 0;
  while (layer < strides.size()) {
    // Consecutive layers with the same stride share one feature map (SsdAnchorsCalculator).
    size_t next = layer;
    int per_cell = 0;
    while (next < strides.size() && strides[next] == strides[layer]) {
      per_cell += options.num_aspect_ratios + (options.interpolated_scale ? 1 : 0);
      ++next;
    }
    const int stride = strides[layer];
    const int map_w = (options.input_width + stride - 1) / stride;
    const int map_h = (options.input_height + stride - 1) / stride;
    for (int y = 0; y < map_h; ++y) {
      for (int x = 0; x < map_w; ++x) {
        const Anchor anchor{(static_cast<float>(x) + options.anchor_offset) / map_w,
                            (static_cast<float>(y) + options.anchor_offset) / map_h, 1.0f, 1.0f};
        anchors.insert(anchors.end(), per_cell, anchor);
      }
    }
    layer = next;
  }
  return anchors;
}

std::vector<Detection> decode_detections(std::span<const float> raw_boxes,
                                         std::span<const float> raw_scores,
                                         std::span<const Anchor> anchors,
                                         const DecodeOptions& options) {
  std::vector<Detection> detections;
  const size_t count = std::min({anchors.size(), raw_scores.size(),
                                 raw_boxes.size() / static_cast<size_t>(options.num_coords)});
  for (size_t i = 0; i < count; ++i) {
    const float logit = std::clamp(raw_scores[i], -options.score_clip, options.score_clip);
    const float score = 1.0f / (1.0f + std::exp(-logit));
    if (score < options.min_score) continue;

    const float* raw = raw_boxes.data() + i * options.num_coords;
    const Anchor& a = anchors[i];
    const float xc = raw[0] / options.x_scale * a.width + a.x_center;
    const float yc = raw[1] / options.y_scale * a.height + a.y_center;
    const float w = raw[2] / options.w_scale * a.width;
    const float h = raw[3] / options.h_scale * a.height;
    // TensorsToDetections drops boxes with negative (or NaN) size.
    if (!(w >= 0) || !(h >= 0)) continue;

    Detection d;
    d.score = score;
    d.box = {xc - w / 2, yc - h / 2, w, h};
    const int kps = std::min<int>(options.num_keypoints, static_cast<int>(d.keypoints.size()));
    for (int k = 0; k < kps; ++k) {
      const float* kp = raw + options.keypoint_offset + 2 * k;
      d.keypoints[k] = {kp[0] / options.x_scale * a.width + a.x_center,
                        kp[1] / options.y_scale * a.height + a.y_center};
    }
    detections.push_back(d);
  }
  return detections;
}

float iou(const BoxNorm& a, const BoxNorm& b) {
  const float x0 = std::max(a.xmin, b.xmin);
  const float y0 = std::max(a.ymin, b.ymin);
  const float x1 = std::min(a.xmin + a.width, b.xmin + b.width);
  const float y1 = std::min(a.ymin + a.height, b.ymin + b.height);
  if (x1 <= x0 || y1 <= y0) return 0.0f;
  const float intersection = (x1 - x0) * (y1 - y0);
  const float union_area = a.width * a.height + b.width * b.height - intersection;
  return union_area > 0 ? intersection / union_area : 0.0f;
}

std::vector<Detection> weighted_nms(std::vector<Detection> detections, const NmsOptions& options) {
  std::stable_sort(detections.begin(), detections.end(),
                   [](const Detection& a, const Detection& b) { return a.score > b.score; });
  std::vector<Detection> kept;
  std::vector<Detection> remaining = std::move(detections);
  std::vector<Detection> rest;
  while (!remaining.empty()) {
    const Detection& best = remaining.front();
    rest.clear();
    double total = 0, xmin = 0, ymin = 0, xmax = 0, ymax = 0;
    std::array<double, 8> kps{};
    for (const Detection& d : remaining) {
      if (iou(d.box, best.box) > options.min_suppression_iou) {
        total += d.score;
        xmin += d.box.xmin * d.score;
        ymin += d.box.ymin * d.score;
        xmax += (d.box.xmin + d.box.width) * d.score;
        ymax += (d.box.ymin + d.box.height) * d.score;
        for (size_t k = 0; k < d.keypoints.size(); ++k) {
          kps[2 * k] += d.keypoints[k].x * d.score;
          kps[2 * k + 1] += d.keypoints[k].y * d.score;
        }
      } else {
        rest.push_back(d);
      }
    }
    Detection merged = best;
    if (total > 0) {
      merged.box = {static_cast<float>(xmin / total), static_cast<float>(ymin / total),
                    static_cast<float>((xmax - xmin) / total),
                    static_cast<float>((ymax - ymin) / total)};
      for (size_t k = 0; k < merged.keypoints.size(); ++k) {
        merged.keypoints[k] = {static_cast<float>(kps[2 * k] / total),
                               static_cast<float>(kps[2 * k + 1] / total)};
      }
    }
    kept.push_back(merged);
    // A box that does not even overlap itself (zero area) would loop forever; MediaPipe stops too.
    if (rest.size() == remaining.size()) break;
    std::swap(remaining, rest);
  }
  return kept;
}

Letterbox letterbox_for(int image_width, int image_height, int tensor_width, int tensor_height) {
  const float tensor_aspect = static_cast<float>(tensor_height) / tensor_width;
  const float image_aspect = static_cast<float>(image_height) / image_width;
  if (tensor_aspect > image_aspect) {
    const float v = (1.0f - image_aspect / tensor_aspect) / 2.0f;
    return {0, v, 0, v};
  }
  const float h = (1.0f - tensor_aspect / image_aspect) / 2.0f;
  return {h, 0, h, 0};
}

Detection remove_letterbox(const Detection& detection, const Letterbox& letterbox) {
  const float sx = 1.0f - letterbox.left - letterbox.right;
  const float sy = 1.0f - letterbox.top - letterbox.bottom;
  Detection d = detection;
  d.box = {(detection.box.xmin - letterbox.left) / sx, (detection.box.ymin - letterbox.top) / sy,
           detection.box.width / sx, detection.box.height / sy};
  for (auto& kp : d.keypoints) {
    kp = {(kp.x - letterbox.left) / sx, (kp.y - letterbox.top) / sy};
  }
  return d;
}

}  // namespace bodyshape::person

// The pose detector's post-processing: SSD anchors, raw tensors -> detections, weighted NMS and
// letterbox removal (MediaPipe's SsdAnchors, TensorsToDetections, NonMaxSuppression and
// DetectionLetterboxRemoval calculators, with the options pose_detection ships with).
//
//   std::vector<Anchor> anchors = generate_anchors({});                      // 2254
//   auto raw = decode_detections(boxes, scores, anchors, {});               // score >= 0.5
//   auto people = weighted_nms(std::move(raw), {});                          // IoU 0.3
//   for (Detection& d : people) d = remove_letterbox(d, letterbox_for(w, h, 224, 224));
#pragma once

#include <span>
#include <vector>

#include "person/types.h"

namespace bodyshape::person {

struct Anchor {
  float x_center = 0;  // normalised to the detector input
  float y_center = 0;
  float width = 1;
  float height = 1;
};

struct AnchorOptions {
  int input_width = 224;                        // MEDIAPIPE-FACTS.md (SsdAnchorsCalculator)
  int input_height = 224;                       // MEDIAPIPE-FACTS.md
  std::vector<int> strides{8, 16, 32, 32, 32};  // MEDIAPIPE-FACTS.md: num_layers 5
  float anchor_offset = 0.5f;                   // MEDIAPIPE-FACTS.md
  int num_aspect_ratios = 1;                    // MEDIAPIPE-FACTS.md: aspect_ratios {1.0}
  bool interpolated_scale = true;  // SsdAnchors default interpolated_scale_aspect_ratio 1.0
  // fixed_anchor_size = true (MEDIAPIPE-FACTS.md): every anchor is 1 x 1, so scales do not matter.
};

// Ordered by stride group, then y, then x, then anchor index, as SsdAnchorsCalculator emits them.
std::vector<Anchor> generate_anchors(const AnchorOptions& options);

struct DecodeOptions {
  int num_coords = 12;      // MEDIAPIPE-FACTS.md (TensorsToDetections)
  int num_keypoints = 4;    // MEDIAPIPE-FACTS.md
  int keypoint_offset = 4;  // MEDIAPIPE-FACTS.md: keypoint_coord_offset
  float x_scale = 224;      // MEDIAPIPE-FACTS.md: x/y/w/h scale
  float y_scale = 224;      // MEDIAPIPE-FACTS.md
  float w_scale = 224;      // MEDIAPIPE-FACTS.md
  float h_scale = 224;      // MEDIAPIPE-FACTS.md
  float score_clip = 100;   // MEDIAPIPE-FACTS.md: score_clipping_thresh
  float min_score = 0.5f;   // MEDIAPIPE-FACTS.md: min_score_thresh
};

// raw_boxes: anchors.size() x num_coords, x first (reverse_output_order); raw_scores: logits.
// Keeps detections with sigmoid(clamp(logit)) >= min_score and a non-negative box, in anchor order.
// Coordinates stay normalised to the (letterboxed) detector input.
std::vector<Detection> decode_detections(std::span<const float> raw_boxes,
                                         std::span<const float> raw_scores,
                                         std::span<const Anchor> anchors,
                                         const DecodeOptions& options);

float iou(const BoxNorm& a, const BoxNorm& b);

struct NmsOptions {
  float min_suppression_iou = 0.3f;  // MEDIAPIPE-FACTS.md: min_suppression_threshold, IoU
  // algorithm WEIGHTED (MEDIAPIPE-FACTS.md); max_num_detections unset = keep all.
};

// MediaPipe's weighted NMS: take the best remaining detection, average the box and keypoints of
// every remaining detection overlapping it by IoU > threshold (weights = scores), keep the best
// score. Output sorted by score, best first.
std::vector<Detection> weighted_nms(std::vector<Detection> detections, const NmsOptions& options);

// Letterbox padding [left, top, right, bottom] as fractions of the tensor (ImageToTensor's PadRoi
// with keep_aspect_ratio).
struct Letterbox {
  float left = 0;
  float top = 0;
  float right = 0;
  float bottom = 0;
};
Letterbox letterbox_for(int image_width, int image_height, int tensor_width, int tensor_height);

// From letterboxed-tensor coordinates to image coordinates (DetectionLetterboxRemoval).
Detection remove_letterbox(const Detection& detection, const Letterbox& letterbox);

}  // namespace bodyshape::person

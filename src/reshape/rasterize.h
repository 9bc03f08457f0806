// The plan rasterised: every segment's stations blended into one backward displacement field on a
// coarse grid, the face, hands and feet frozen, folds repaired. Internal to src/reshape.
#pragma once

#include <algorithm>
#include <vector>

#include <opencv2/core.hpp>

#include "reshape/segment_plan.h"

namespace bodyshape::reshape {

// The widest a freeze's fade may grow (px; rasterize widens it to keep its edge fold-free): its
// own fade, or 0.4 x the body scale, so a hand carried far by the torso drags no large disc of
// background (or the face) along.
inline float widest_fade_px(const Freeze& freeze, float body_scale_px) {
  constexpr float kMaxFade = 0.4f;
  return std::max(freeze.fade_px, kMaxFade * body_scale_px);
}

// At each grid node, how far (px) it lies outside the person mask (0 inside), to a cell: a node
// whose cell holds any of the body counts as body (a thin arm stays body), and the distance is
// taken on the grid (a full-resolution distance transform costs ~8 ms at 1080p).
cv::Mat distance_off_body(const cv::Mat& mask_u8, cv::Size grid, cv::Size2f cell_px);

// The grids of one rasterised plan: the field after smoothing, freezing and (on the last round)
// the fold repair, whose minimum Jacobian it reports.
struct FieldGrids {
  cv::Mat dx, dy;
  float min_jacobian = 1.f;
  std::vector<cv::Point2f> hand_motion;  // each freeze's rigid offset (zero for face and feet)
  cv::Mat hand_carry_px;  // how far the hands' rigid translation moves each node (px)
};

// `repair_folds`: run the fold repair (enforce_min_jacobian) on the result; calibration rounds
// skip it, so they compensate what smoothing and blending lose, never what the repair takes back
// where the body folds over itself (boosting those spots would only fold them more).
// `hand_motion` (the previous round's FieldGrids::hand_motion, or empty): where each hand went.
FieldGrids rasterize(const std::vector<PlannedSegment>& planned, const BodyModel& model, Goal goal,
                     const std::vector<cv::Point2f>& hand_motion, const cv::Mat& off_body_px,
                     cv::Size image_size, cv::Size grid, cv::Size2f cell_px, bool repair_folds);

}  // namespace bodyshape::reshape

// The body-shape change: "show me after I lose / gain weight". Pure: image + body in, image out.
//
//   BodyLandmarks body = ...;                 // 33 BlazePose landmarks in pixels + visibility
//   cv::Mat mask = ...;                       // person probability, CV_8U 0..255 or CV_32F 0..1
//   Result<WarpField> field = plan_reshape(body, mask, rgb.size(),
//                                          {.goal = Goal::kSlimmer, .gender = Gender::kFemale});
//   if (!field) return field.error();         // kInvalidArgument: sizes / intensity out of range
//   cv::Mat after = render_reshape(rgb, *field);   // same size as rgb, CV_8UC3
//
// How it works (details and measurements in src/reshape/README.md):
//  1. body_model: segments (torso, neck, upper arms, forearms, thighs, calves) from the landmarks;
//     for cross-sections along each segment, the body's left/right contour from the mask,
//     measured perpendicular to the segment.
//  2. gains: one table of per-region width changes by goal and gender (gains.h), scaled by
//     intensity; joints, wrists and ankles taper; face and feet are frozen, hands move rigidly.
//  3. plan: a backward displacement field on a coarse grid (~1/8 size): inside the body the
//     cross-section is scaled about the skeleton (skeleton stays put), outside it a narrow linear
//     push band returns the field to zero; then smoothed, the joints pinned, frozen regions and
//     the image border zeroed. Two calibration rounds push each contour point through the field
//     and scale its station's shift by target / realised, so the change in the image is the one
//     the gain table asks for. Last, checked to be fold-free (Jacobian determinant >= 0.32).
//  4. render: bicubic remap of the region the field touches. Fattening composites the warped
//     person over the untouched background (the body covers background, nothing bends);
//     slimming keeps the narrow push band (background next to the body is stretched over the
//     uncovered strip, straight lines parallel to the body stay straight).
#pragma once

#include <array>
#include <optional>
#include <span>

#include <opencv2/core.hpp>

#include "common/result.h"

namespace bodyshape::reshape {

enum class Goal { kSlimmer, kFatter };  // contract: "best" = slimmer, "worst" = fatter
enum class Gender { kMale, kFemale };

// BlazePose topology (33 points): 0 nose, 1-6 eyes, 7-8 ears, 9-10 mouth, 11/12 shoulders,
// 13/14 elbows, 15/16 wrists, 17-22 hand points, 23/24 hips, 25/26 knees, 27/28 ankles,
// 29/30 heels, 31/32 foot index. Odd = the person's left.
inline constexpr int kLandmarkCount = 33;
struct BodyLandmarks {
  std::array<cv::Point2f, kLandmarkCount> px{};  // image pixels (may lie outside the image)
  std::array<float, kLandmarkCount> visibility{};  // 0..1
};

struct ReshapeRequest {
  Goal goal = Goal::kSlimmer;
  Gender gender = Gender::kMale;
  float intensity = 1.0f;  // 0 = no change (output bit-identical), 1 = default, 2 = twice
};

// Backward map on a coarse grid: output pixel p samples the input at p + d(p). Grid node (i, j)
// sits at full-resolution position ((i + 0.5) * cell_px.width - 0.5, (j + 0.5) * ... - 0.5), the
// same convention as cv::resize, so bilinear upsampling is exact on the nodes.
struct WarpField {
  cv::Size image_size;
  cv::Size2f cell_px{1.f, 1.f};  // full-resolution pixels per grid cell
  cv::Mat dx, dy;                // CV_32F, grid size; empty = identity
  cv::Rect roi;                  // full-resolution pixels the field moves (empty = identity)
  // Fattening: the warped person is laid over the untouched background (see README). The mask
  // (CV_8U, image size) is kept to build the layer's alpha.
  bool composite_over_background = false;
  cv::Mat person_alpha;
  // Fattening: how far the hands' rigid translation moves each node (CV_32F, grid size; empty =
  // none). What a hand holds is not in the mask (a racket, a phone): where the hand moves it, the
  // warped image is shown instead of the original background, so the object goes with the hand.
  cv::Mat hand_carry_px;
  float min_jacobian = 1.f;  // of p -> p + d(p), checked on the grid

  bool identity() const { return dx.empty() || roi.empty(); }
  // d(p) at a full-resolution output position (bilinear on the grid).
  cv::Point2f displacement_at(cv::Point2f output_px) const;
  // Where the input pixel `input_px` ends up in the output (inverts the backward map).
  cv::Point2f forward(cv::Point2f input_px) const;
};

// `others` (optional): the other people in the photo; their face, hands and feet stay as the
// person's own do (a head leaning on the shoulder, a partner's hand on the waist rides along).
// kInvalidArgument: empty size, mask of another size/type, intensity outside 0..2 or not finite.
// Never fails on the body itself: missing or low-visibility parts are left unchanged.
Result<WarpField> plan_reshape(const BodyLandmarks& body, const cv::Mat& person_mask,
                               cv::Size image_size, const ReshapeRequest& request,
                               std::span<const BodyLandmarks> others = {});

// rgb: CV_8UC3 of field.image_size. Returns a new image of the same size and type.
cv::Mat render_reshape(const cv::Mat& rgb, const WarpField& field);

// The input mask (CV_8U or CV_32F) warped by the field the way the person is (bilinear), same type.
cv::Mat warp_mask(const cv::Mat& mask, const WarpField& field);

// Body widths in pixels from a mask, perpendicular to the torso / thigh axis, at the waist, the
// hips and mid-thigh (mean of the visible thighs), each the median of a short band of
// cross-sections around its station. nullopt where that part is not visible or
// not bounded by the body's contour on both sides (touching legs: the split half-way between them
// counts as a bound); such a width is not measurable.
struct BodyWidths {
  std::optional<float> waist_px, hips_px;
  std::array<std::optional<float>, 2> thighs_px;  // each thigh (the person's left, right)
  std::optional<float> thigh_px;                  // their mean (the ones measurable)
};
BodyWidths measure_widths(const BodyLandmarks& body, const cv::Mat& person_mask);

// Relative change of each width from `before` to `after`; NaN where either is not measurable.
// Mid-thigh: over the thighs measurable on both, so a thigh found on one mask only (a fattened
// thigh running past its search cap) does not read as a change of the mean.
struct WidthChanges {
  double waist = NAN, hips = NAN, thigh = NAN;
};
WidthChanges width_changes(const BodyWidths& before, const BodyWidths& after);

}  // namespace bodyshape::reshape

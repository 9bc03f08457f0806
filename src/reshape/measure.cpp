// measure_widths: the width measurements, from any person mask (the input's, a warped
// one, or one the person pipeline finds on the output).
#include <algorithm>
#include <cmath>
#include <vector>

#include "reshape/body_model.h"
#include "reshape/reshape.h"

namespace bodyshape::reshape {
namespace {

// Where the frame cuts across a body part (the hip line of a portrait cut at the hips), the field
// is held still at the border and a contour's change may grow only half a pixel per pixel from
// it (segment_plan.cpp, hold_the_change_off_the_frame): a width this close to that edge
// (fraction of the diagonal; as close as the acceptance deems a joint a guess) is the frame's,
// not the body's.
constexpr float kFrameCutMargin = 0.03f;

}  // namespace

BodyWidths measure_widths(const BodyLandmarks& body, const cv::Mat& person_mask) {
  BodyWidths widths;
  if (person_mask.empty()) return widths;
  const cv::Mat mask_u8 = mask_to_u8(person_mask);
  const BodyModel model = build_body_model(body, mask_u8.size());
  const float frame_cut_px =
      kFrameCutMargin * static_cast<float>(std::hypot(mask_u8.cols, mask_u8.rows));
  const bool hips_visible = body.visibility[23] >= kMinVisibility && body.visibility[24] >= kMinVisibility;
  for (const Segment& segment : model.segments) {
    auto width_at = [&](float t) -> std::optional<float> {
      const CrossSection section = measure_cross_section(segment, t, mask_u8);
      if (!section.valid) return std::nullopt;
      // A width is a width only between two edges of the body: the contour on both sides, or,
      // between touching legs, the split half-way to the other leg. A search that ran into its
      // cap or the image border measured something else (a raised arm, a cut-off body).
      for (int side = 0; side < 2; ++side) {
        if (!section.contour[side] && !section.at_partner[side]) return std::nullopt;
        const cv::Point2f contour = segment.beside(t, side, section.extent[side]);
        if (distance_to_frame_across(segment, contour, mask_u8.size()) < frame_cut_px) {
          return std::nullopt;
        }
      }
      return section.extent[0] + section.extent[1];
    };
    // One cross-section is fragile (a forearm crossing the waist, a fold of clothing, a hand on
    // the hip): the median of a short band of them around the station, measurable only where most
    // of the band is.
    auto band_width = [&](float t, float half_band) -> std::optional<float> {
      constexpr int kStations = 7;
      std::vector<float> found;
      for (int k = 0; k < kStations; ++k) {
        const float offset = half_band * (2.f * static_cast<float>(k) / (kStations - 1) - 1.f);
        if (const auto width = width_at(t + offset)) found.push_back(*width);
      }
      if (2 * found.size() <= kStations) return std::nullopt;
      std::nth_element(found.begin(), found.begin() + found.size() / 2, found.end());
      return found[found.size() / 2];
    };
    if (segment.kind == SegmentKind::kTorso && hips_visible) {
      widths.waist_px = band_width(kWaistT, kWaistHalfBand);
      widths.hips_px = band_width(kHipsT, kHipsHalfBand);
    }
    if (segment.kind == SegmentKind::kThigh) {
      widths.thighs_px[segment.side] = band_width(kMidThighT, kMidThighHalfBand);
    }
  }
  float thigh_sum = 0;
  int thigh_count = 0;
  for (const std::optional<float>& thigh : widths.thighs_px) {
    if (thigh) thigh_sum += *thigh, ++thigh_count;
  }
  if (thigh_count > 0) widths.thigh_px = thigh_sum / static_cast<float>(thigh_count);
  return widths;
}

WidthChanges width_changes(const BodyWidths& before, const BodyWidths& after) {
  auto change = [](std::optional<float> was, std::optional<float> is) {
    if (!was || !is || *was <= 0) return static_cast<double>(NAN);
    return static_cast<double>(*is - *was) / *was;
  };
  WidthChanges changes;
  changes.waist = change(before.waist_px, after.waist_px);
  changes.hips = change(before.hips_px, after.hips_px);
  float was = 0, is = 0;
  for (int side = 0; side < 2; ++side) {
    if (before.thighs_px[side] && after.thighs_px[side]) {
      was += *before.thighs_px[side];
      is += *after.thighs_px[side];
    }
  }
  if (was > 0) changes.thigh = change(was, is);
  return changes;
}

}  // namespace bodyshape::reshape

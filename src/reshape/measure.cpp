// measure_widths: the width measurements, from any person mask (the input's, a warped
// one, or one the person pipeline finds on the output).
#include <cmath>

#include "reshape/body_model.h"
#include "reshape/reshape.h"

namespace bodyshape::reshape {

BodyWidths measure_widths(const BodyLandmarks& body, const cv::Mat& person_mask) {
  BodyWidths widths;
  if (person_mask.empty()) return widths;
  const cv::Mat mask_u8 = mask_to_u8(person_mask);
  const BodyModel model = build_body_model(body, mask_u8.size());
  const bool hips_visible = body.visibility[23] >= kMinVisibility && body.visibility[24] >= kMinVisibility;
  float thigh_sum = 0;
  int thigh_count = 0;
  for (const Segment& segment : model.segments) {
    auto width_at = [&](float t) -> std::optional<float> {
      const CrossSection section = measure_cross_section(segment, t, mask_u8);
      if (!section.valid) return std::nullopt;
      // A width is a width only between two edges of the body: the contour on both sides, or,
      // between touching legs, the split half-way to the other leg. A search that ran into its
      // cap or the image border measured something else (a raised arm, a cut-off body).
      for (int side = 0; side < 2; ++side) {
        if (!section.contour[side] && !section.at_partner[side]) return std::nullopt;
      }
      return section.extent[0] + section.extent[1];
    };
    if (segment.kind == SegmentKind::kTorso && hips_visible) {
      widths.waist_px = width_at(kWaistT);
      widths.hips_px = width_at(kHipsT);
    }
    if (segment.kind == SegmentKind::kThigh) {
      if (const auto width = width_at(kMidThighT)) {
        thigh_sum += *width;
        ++thigh_count;
      }
    }
  }
  if (thigh_count > 0) widths.thigh_px = thigh_sum / static_cast<float>(thigh_count);
  return widths;
}

}  // namespace bodyshape::reshape

// The plan: for each body segment, stations along its axis with the contour shift the change asks
// for on either side (plan_segment). The rasteriser (rasterize.h) turns them into a field; the
// closed loop in plan.cpp calibrates them against it. Internal to src/reshape.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include <opencv2/core.hpp>

#include "reshape/body_model.h"
#include "reshape/field_math.h"
#include "reshape/reshape.h"

namespace bodyshape::reshape {

// Grid: about this many nodes along the longer side (1920 px -> 8 px cells). The change varies
// over tens of pixels, so a finer grid buys nothing; a coarser one blurs the contour shift.
constexpr float kGridNodes = 240.f;
// The grid's cell size (px) for an image, before it is fitted to a whole number of cells.
inline float grid_cell_px(cv::Size image_size) {
  return std::max(2.f, static_cast<float>(std::max(image_size.width, image_size.height)) /
                           kGridNodes);
}
// How wide the band along the image's edge is where the field is held still (px): the plan's caps
// at the frame and the rasterised field's hold both use it.
inline float still_border_px(cv::Size image_size) { return kBorderCells * grid_cell_px(image_size); }
// Push band beyond a moved contour, as a multiple of the contour's shift: the field returns to
// zero linearly over it, so |d(shift)/dn| <= 1/kBandPerShift = 0.67 and the Jacobian stays >= 0.33
// before smoothing (smoothing only raises it).
constexpr float kBandPerShift = 1.5f;
// How far beyond the old outline a change may reach, as a fraction of the image diagonal (the
// issue checks that background farther than 3 % of the diagonal from the body stays as it was).
// Slimming stretches background up to 0.5 x the shift beyond the outline; fattening covers it
// up to the whole shift. Only a close-up whose body fills the frame reaches these caps at
// intensity 1; above 1 they grow with the intensity.
constexpr float kSlimReach = 0.022f;
constexpr float kFattenReach = 0.026f;
// How fast a cap on a contour's move may grow along the segment's axis from where it binds (px
// per px): a cap held at one spot alone is a notch in the outline.
constexpr float kCapSlope = 0.5f;

inline float smoothstep01(float x) {
  x = std::clamp(x, 0.f, 1.f);
  return x * x * (3.f - 2.f * x);
}

// Values sampled at positions `t` along an axis, smoothed along it with a Gaussian of `sigma` (in
// t, cut at 3 sigma). T: anything with + and * float (cv::Point2f, cv::Vec2f).
template <typename T>
std::vector<T> smooth_along(const std::vector<T>& values, const std::vector<float>& t,
                            float sigma) {
  std::vector<T> smoothed(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    T sum = T();
    float weights = 0;
    for (size_t j = 0; j < values.size(); ++j) {
      const float d = (t[j] - t[i]) / sigma;
      if (std::abs(d) > 3.f) continue;
      const float w = std::exp(-0.5f * d * d);
      sum += values[j] * w;
      weights += w;
    }
    smoothed[i] = sum * (1.f / weights);
  }
  return smoothed;
}

// Arms move with the torso they hang beside or lie on (rasterize: `carried`).
inline bool carried_by_torso(SegmentKind kind) {
  return kind == SegmentKind::kUpperArm || kind == SegmentKind::kForearm;
}

// One cross-section's plan: source extents and the outward shift of each contour (negative =
// inward), both in pixels.
struct Station {
  std::array<float, 2> extent{}, shift{};
  float core = 0;  // |s| <= core stays put (the skeleton), when both contours are seen
  float t = 0;     // position on the segment's axis
  // Calibration (calibrate_shifts): which contours were seen, the shift the plan wants there
  // (`shift` becomes the command that realises it), and the most either side may move.
  std::array<bool, 2> seen{};
  std::array<float, 2> target{}, max_shift{};
  // Slimming: how far past the contour the body's own map reaches before the push band starts.
  // The mask's soft edge is where the photo's edge blur and halo lie: the band would stretch them
  // (3 x at its start) into streaks, and a jagged edge into teeth.
  std::array<float, 2> edge_margin{};
};

struct PlannedSegment {
  Segment segment;
  std::vector<Station> stations;  // evenly spaced over [t_first, t_last]
  float half_width_px = 1.f;      // typical, for blending and along-axis fall-off
  // The most a contour may move in when slimming (kSlimReach); calibration may not exceed it.
  float max_slim_shift_px = INFINITY;
};

// Caps on each station's move (per side; infinite where a station sets none), spread along the
// segment's axis: a cap grows by at most kCapSlope px per px from where it binds, or the one
// narrow spot it binds at would be a notch in the outline.
std::vector<std::array<float, 2>> spread_along_the_axis(
    const PlannedSegment& planned, const std::vector<std::array<float, 2>>& cap);

// One segment's stations: its cross-sections on the mask, the shift the gain table asks for at
// each (within the free space, the reach and the frame), smoothed along the axis.
PlannedSegment plan_segment(const Segment& segment, const BodyModel& model,
                            const cv::Mat& mask_u8, const ReshapeRequest& request);

// The station at position t on the axis, interpolated between its planned neighbours.
Station station_at(const PlannedSegment& planned, float t);

// How deep p lies inside the torso's or a thigh's outline (px; negative outside).
float depth_in_body(const std::vector<PlannedSegment>& planned, cv::Point2f p);

// A hand lying on the body keeps only its palm rigid; true when any did (plan again).
bool freeze_only_the_palm_on_the_body(const std::vector<PlannedSegment>& planned,
                                      BodyModel& model);

// The thigh's outer contour starts with the torso's hip shift of that side.
void inherit_hip_shift(std::vector<PlannedSegment>& planned);

// Every station's planned shift becomes the target its command must realise.
void set_targets(std::vector<PlannedSegment>& planned);

}  // namespace bodyshape::reshape

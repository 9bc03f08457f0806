// plan_reshape: landmarks + mask -> backward displacement field on a coarse grid. The stations of
// each segment (segment_plan.h) are rasterised (rasterize.h), then calibrated against what the
// field really does and held within the issue's window.
#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "reshape/body_model.h"
#include "reshape/field_math.h"
#include "reshape/rasterize.h"
#include "reshape/reshape.h"
#include "reshape/segment_plan.h"

namespace bodyshape::reshape {
namespace {

// The torso's position (0 shoulder line, 1 hip line) the frame must show for it to change: about
// mid-chest, below the armpits.
constexpr float kLeastTorsoInFrame = 0.3f;

// How far the field really moves a station's contour on `side` (outward positive): the contour
// point pushed through the field.
float realised_shift(const Segment& segment, const Station& station, int side,
                     const WarpField& field) {
  const cv::Point2f contour = segment.beside(station.t, side, station.extent[side]);
  return (field.forward(contour) - contour).dot(segment.outward(side));
}

// Closed loop: smoothing, blending with neighbouring segments and the freeze shave the contour
// shifts the stations ask for (by 20-50 % on real photos, more on thin parts).
// Each contour point is pushed through the rasterised field to see where it really lands, and the
// station's command is scaled by target / realised (bounded, smoothed along the axis, never past
// the side's limit), so the width change in the image is the one the gain table says.
// Arms carried by the torso are left as planned: their contours move with the torso as well.
void calibrate_shifts(std::vector<PlannedSegment>& planned, const WarpField& field) {
  constexpr float kMinRatio = 0.75f, kMaxRatio = 1.8f;
  // The command never exceeds the target by more than this overall (a contour that barely moves
  // sits in a frozen or blended-away spot: pushing harder would only steepen the field there).
  constexpr float kMaxGain = 1.7f;
  // Slimming's command may exceed the side's free-space limit a little: the realised shift, what
  // the limit protects, stays below the command.
  constexpr float kLimitSlack = 1.25f;
  for (PlannedSegment& p : planned) {
    if (carried_by_torso(p.segment.kind)) continue;
    const Segment& segment = p.segment;
    const int count = static_cast<int>(p.stations.size());
    std::vector<std::array<float, 2>> ratio(static_cast<size_t>(count), {1.f, 1.f});
    for (int i = 0; i < count; ++i) {
      const Station& station = p.stations[i];
      for (int side = 0; side < 2; ++side) {
        const float target = station.target[side];
        if (!station.seen[side] || std::abs(target) < 0.5f) continue;
        const float realised = realised_shift(segment, station, side, field);
        const float r = realised * target > 0 ? target / realised : kMaxRatio;
        ratio[i][side] = std::clamp(r, kMinRatio, kMaxRatio);
      }
    }
    // The most each command may be: 1.7 x its target, and its station's limit (never less than
    // the plan's own target there: the plan smoothed its shifts over the limits along the axis)
    // growing by at most kCapSlope px per px along the axis from where it binds. Held back alone,
    // a station whose limit dips (an outline meeting a held object at one cross-section) left a
    // notch across the whole cross-section, whose inside scales with the command (a strap down a
    // slimmed chest zigzagged).
    std::vector<std::array<float, 2>> limit(static_cast<size_t>(count)), seen_limit(limit.size());
    for (int i = 0; i < count; ++i) {
      const Station& station = p.stations[i];
      for (int side = 0; side < 2; ++side) {
        limit[i][side] = std::max(
            std::abs(station.target[side]),
            station.target[side] < 0
                ? std::min(kLimitSlack * station.max_shift[side], p.max_slim_shift_px)
                : station.max_shift[side]);
        // A station whose contour was not seen is not calibrated: its limit binds only itself.
        seen_limit[i][side] = station.seen[side] ? limit[i][side] : INFINITY;
      }
    }
    const std::vector<std::array<float, 2>> spread = spread_along_the_axis(p, seen_limit);
    for (int i = 0; i < count; ++i) {
      Station& station = p.stations[i];
      for (int side = 0; side < 2; ++side) {
        const float target = std::abs(station.target[side]);
        const float bound = std::min(limit[i][side], spread[i][side]);
        const float most = std::max(target, std::min(bound, kMaxGain * target));
        const float smoothed = 0.25f * ratio[std::max(0, i - 1)][side] + 0.5f * ratio[i][side] +
                               0.25f * ratio[std::min(count - 1, i + 1)][side];
        const float command = station.shift[side] * smoothed;
        station.shift[side] = std::copysign(std::min(std::abs(command), most), command);
      }
    }
  }
}

// Scales a segment's commands by `factor` around station `t` (within `half_band` in full, fading
// out over 0.15 of the axis beyond it).
void scale_around(PlannedSegment& planned, float t, float half_band, float factor) {
  for (Station& station : planned.stations) {
    const float away = std::max(0.f, std::abs(station.t - t) - half_band);
    const float weight = 1.f - smoothstep01(away / 0.15f);
    const float scale = 1.f - (1.f - factor) * weight;
    for (float& shift : station.shift) shift *= scale;
  }
}

// The torso and thighs whose widths the acceptance measures (each may be absent).
struct MeasuredSegments {
  PlannedSegment* torso = nullptr;
  std::vector<PlannedSegment*> thighs;
};
MeasuredSegments measured_segments(std::vector<PlannedSegment>& planned) {
  MeasuredSegments measured;
  for (PlannedSegment& p : planned) {
    if (p.segment.kind == SegmentKind::kTorso) measured.torso = &p;
    if (p.segment.kind == SegmentKind::kThigh) measured.thighs.push_back(&p);
  }
  return measured;
}

// The acceptance's widths, in WidthChanges' order.
enum MeasuredWidth : int { kWaistWidth, kHipsWidth, kThighWidth, kMeasuredWidths };

// Scales one measured width's commands (the thighs' share of the hip line goes with the hips).
void scale_width(MeasuredSegments& measured, MeasuredWidth width, float factor) {
  if (width == kThighWidth) {
    for (PlannedSegment* thigh : measured.thighs) {
      scale_around(*thigh, kMidThighT, kMidThighHalfBand, factor);
    }
    return;
  }
  if (!measured.torso) return;
  const bool waist = width == kWaistWidth;
  scale_around(*measured.torso, waist ? kWaistT : kHipsT, waist ? kWaistHalfBand : kHipsHalfBand,
               factor);
  if (width == kHipsWidth) {
    for (PlannedSegment* thigh : measured.thighs) scale_around(*thigh, 0.f, 0.05f, factor);
  }
}

// Two holds on what the input's mask warped by the field measures, the way the acceptance
// measures it (`measure_widths`; reading the field at the contour points read
// soccer_three_players' hips 2 points short). Each scales a region's commands around its station;
// true when any was, and the field must be rasterised again.
//
// The window: the gain table's entries are set for the bodies whose bone, arms and blending hold
// a region back; where nothing does (a narrow pelvis, a hip no hand rests on), calibration
// realises them in full and overshoots the issue's window. A waist, hip line or mid-thigh changed
// by more than kMostSlimming / kMostFattening x the intensity is scaled down to it.
//
// The sex's profile: where the region that sex changes most is held back (forearms folded across
// a man's waist, arms around a dog in a side view), the others are changed less, so the body
// still changes the way that sex does (the issue: the dominant change at least 1.3x the other;
// kLeastProfileRatio leaves room for the blending between stations), but never below the
// window's least change (kLeastSlimming / kLeastFattening x the intensity). Male: the waist over
// the hips; female: the hips and the mid-thigh over the waist.
constexpr float kMostSlimming = 0.19f, kMostFattening = 0.29f;
constexpr float kLeastSlimming = 0.09f, kLeastFattening = 0.11f;
constexpr float kLeastProfileRatio = 1.4f;
bool hold_within_the_issue(std::vector<PlannedSegment>& planned, const WidthChanges& changes,
                           const ReshapeRequest& request) {
  const bool slimmer = request.goal == Goal::kSlimmer;
  const float most = (slimmer ? kMostSlimming : kMostFattening) * request.intensity;
  const float least = (slimmer ? kLeastSlimming : kLeastFattening) * request.intensity;
  MeasuredSegments measured = measured_segments(planned);
  // |change| per width once held (NaN: not measurable), and the factor each gets.
  std::array<float, kMeasuredWidths> size = {}, factor = {1.f, 1.f, 1.f};
  const std::array<double, kMeasuredWidths> change = {changes.waist, changes.hips, changes.thigh};
  for (int k = 0; k < kMeasuredWidths; ++k) {
    size[k] = std::abs(static_cast<float>(change[k]));
    if (size[k] > most) factor[k] = most / size[k], size[k] = most;
  }
  auto hold_under = [&](MeasuredWidth secondary, float dominant) {
    if (std::isnan(size[secondary]) || std::isnan(dominant)) return;
    const float allowed = std::max(dominant / kLeastProfileRatio, least);
    if (size[secondary] > allowed) factor[secondary] *= allowed / size[secondary];
  };
  if (request.gender == Gender::kMale) {
    hold_under(kHipsWidth, size[kWaistWidth]);
  } else {
    // The smaller of the two dominant widths that can be measured bounds the waist.
    const float hips = size[kHipsWidth], thigh = size[kThighWidth];
    hold_under(kWaistWidth,
               std::isnan(hips) ? thigh : std::isnan(thigh) ? hips : std::min(hips, thigh));
  }
  bool held = false;
  for (int k = 0; k < kMeasuredWidths; ++k) {
    if (factor[k] >= 1.f) continue;
    scale_width(measured, static_cast<MeasuredWidth>(k), factor[k]);
    held = true;
  }
  return held;
}

// The other people's face, hands and feet the field cannot reach: each freeze costs work at every
// grid node in each of the three to four rasterisations (a group of ten, ~15 ms at 1080p), and
// one whose disc and widest fade end farther from the person's body than anything moves changes
// nothing. What moves lies within the largest fattening move and its band of the body, plus a
// body scale (a carried hand's fade, a segment's own fade past its outline) and a few cells of
// smoothing.
void leave_out_the_others_out_of_reach(BodyModel& model, const cv::Mat& off_body_px,
                                       cv::Size2f cell_px, cv::Size image_size,
                                       const ReshapeRequest& request) {
  const float diagonal = static_cast<float>(std::hypot(image_size.width, image_size.height));
  const float cell = std::max(cell_px.width, cell_px.height);
  const float largest_move = kFattenReach * std::max(1.f, request.intensity) * diagonal;
  const float moves_within = (1.f + kBandPerShift) * largest_move + model.scale_px + 4.f * cell;
  auto out_of_reach = [&](const Freeze& freeze) {
    if (!std::isfinite(freeze.center.x) || !std::isfinite(freeze.center.y)) return true;
    // The grid's distance, bilinear between nodes each within a cell's diagonal, and each a cell
    // off at most (a node whose cell holds any of the body is body): less two cells is a bound.
    // Off the image the edge's distance is read, which is never farther than the point's.
    const float from_body = sample_grid(off_body_px, freeze.center, cell_px) - 2.f * cell;
    return std::isfinite(from_body) &&
           from_body - freeze.radius_px - widest_fade_px(freeze, model.scale_px) > moves_within;
  };
  const auto others = model.frozen.begin() + static_cast<std::ptrdiff_t>(model.own_freezes);
  model.frozen.erase(std::remove_if(others, model.frozen.end(), out_of_reach), model.frozen.end());
}

// Whether the frame shows the torso below mid-chest (a contour at one of its cross-sections from
// kLeastTorsoInFrame down). A head-and-shoulders portrait shows no body to change: its outline
// there is the shoulders' bone and the arms hanging beside them, and the change would taper to
// the frame's edge within a few pixels (the field is held still at the border), squeezing the
// shoulders into a kink; the neck's change alone is not a body shape.
bool torso_in_frame(const Segment& torso, const cv::Mat& mask_u8) {
  constexpr int kSamples = 16;
  for (int i = 0; i <= kSamples; ++i) {
    const float t = kLeastTorsoInFrame + (torso.t_last - kLeastTorsoInFrame) *
                                             static_cast<float>(i) / static_cast<float>(kSamples);
    const CrossSection section = measure_cross_section(torso, t, mask_u8);
    if (section.valid && (section.contour[0] || section.contour[1])) return true;
  }
  return false;
}

}  // namespace

Result<WarpField> plan_reshape(const BodyLandmarks& body, const cv::Mat& person_mask,
                               cv::Size image_size, const ReshapeRequest& request,
                               std::span<const BodyLandmarks> others) {
  if (image_size.width <= 0 || image_size.height <= 0) {
    return make_error(ErrorCode::kInvalidArgument, "reshape: empty image size");
  }
  if (person_mask.size() != image_size ||
      (person_mask.type() != CV_8UC1 && person_mask.type() != CV_32FC1)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "reshape: person mask must be CV_8UC1 or CV_32FC1 of the image's size");
  }
  if (!std::isfinite(request.intensity) || request.intensity < 0.f || request.intensity > 2.f) {
    return make_error(ErrorCode::kInvalidArgument, "reshape: intensity must be within 0..2");
  }
  WarpField field;
  field.image_size = image_size;
  if (request.intensity == 0.f || image_size.width < 8 || image_size.height < 8) return field;

  const cv::Mat mask_u8 = mask_to_u8(person_mask);
  BodyModel model = build_body_model(body, image_size, others);
  const auto torso = std::find_if(model.segments.begin(), model.segments.end(),
                                  [](const Segment& s) { return s.kind == SegmentKind::kTorso; });
  if (torso != model.segments.end() && !torso_in_frame(*torso, mask_u8)) {
    std::erase_if(model.segments, [](const Segment& s) {
      return s.kind == SegmentKind::kTorso || s.kind == SegmentKind::kNeck;
    });
  }
  const float cell = grid_cell_px(image_size);
  const cv::Size grid(std::max(2, static_cast<int>(std::ceil(image_size.width / cell))),
                      std::max(2, static_cast<int>(std::ceil(image_size.height / cell))));
  field.cell_px = {static_cast<float>(image_size.width) / static_cast<float>(grid.width),
                   static_cast<float>(image_size.height) / static_cast<float>(grid.height)};
  const cv::Mat off_body_px = distance_off_body(mask_u8, grid, field.cell_px);
  leave_out_the_others_out_of_reach(model, off_body_px, field.cell_px, image_size, request);

  std::vector<PlannedSegment> planned;
  auto plan_segments = [&] {
    planned.clear();
    for (const Segment& segment : model.segments) {
      planned.push_back(plan_segment(segment, model, mask_u8, request));
    }
  };
  plan_segments();
  if (freeze_only_the_palm_on_the_body(planned, model)) plan_segments();
  inherit_hip_shift(planned);
  set_targets(planned);

  // Two corrections bring the realised shifts within a few % of the targets; each costs one
  // rasterisation (a few ms at 1080p).
  constexpr int kCalibrations = 2;
  FieldGrids grids;
  std::vector<cv::Point2f> hands_went;  // the hands' motion the round starts from
  for (int round = 0;; ++round) {
    const bool last = round == kCalibrations;
    hands_went = grids.hand_motion;
    grids = rasterize(planned, model, request.goal, hands_went, off_body_px, image_size, grid,
                      field.cell_px, last);
    field.dx = grids.dx;
    field.dy = grids.dy;
    field.roi = cv::Rect(cv::Point(0, 0), image_size);
    if (last) break;
    calibrate_shifts(planned, field);
  }
  field.roi = moved_region(field.dx, field.dy, field.cell_px, image_size);  // warp only that
  const WidthChanges changes =
      width_changes(measure_widths(body, mask_u8), measure_widths(body, warp_mask(mask_u8, field)));
  // Held, the last round runs again from the same hands' motion, so only the held regions change.
  if (hold_within_the_issue(planned, changes, request)) {
    grids = rasterize(planned, model, request.goal, hands_went, off_body_px, image_size, grid,
                      field.cell_px, true);
  }
  // A field that moves no pixel by half a pixel changes nothing anyone can see (what is left of a
  // body whose outline the frame cuts off, a tiny intensity): it is the identity, so the caller
  // can tell that there was no body to change.
  cv::Mat moves;
  cv::magnitude(grids.dx, grids.dy, moves);
  double most_px = 0;
  cv::minMaxLoc(moves, nullptr, &most_px);
  if (most_px < kVisiblePx) {
    WarpField identity;
    identity.image_size = image_size;
    return identity;
  }
  field.min_jacobian = grids.min_jacobian;
  field.dx = grids.dx;
  field.dy = grids.dy;
  field.roi = moved_region(field.dx, field.dy, field.cell_px, image_size);
  field.composite_over_background = request.goal == Goal::kFatter;
  if (field.composite_over_background) {
    field.person_alpha = mask_u8;
    field.hand_carry_px = grids.hand_carry_px;
  }
  return field;
}

}  // namespace bodyshape::reshape

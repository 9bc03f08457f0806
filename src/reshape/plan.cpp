// plan_reshape: landmarks + mask -> backward displacement field on a coarse grid.
#include <algorithm>
#include <cmath>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "reshape/body_model.h"
#include "reshape/field_math.h"
#include "reshape/gains.h"
#include "reshape/reshape.h"

namespace bodyshape::reshape {
namespace {

// Grid: about this many nodes along the longer side (1920 px -> 8 px cells). The change varies
// over tens of pixels, so a finer grid buys nothing; a coarser one blurs the contour shift.
constexpr float kGridNodes = 240.f;
// The grid's cell size (px) for an image, before it is fitted to a whole number of cells.
float grid_cell_px(cv::Size image_size) {
  return std::max(2.f, static_cast<float>(std::max(image_size.width, image_size.height)) /
                           kGridNodes);
}
// How wide the band along the image's edge is where the field is held still (px): the plan's caps
// at the frame and the rasterised field's hold both use it.
float still_border_px(cv::Size image_size) { return kBorderCells * grid_cell_px(image_size); }
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
// The soft edge slimming carries with the body (Station::edge_margin) is at most this fraction of
// the diagonal, so the band still ends within 3 % of it from the old outline (the acceptance's
// far background).
constexpr float kMaxEdgeMargin = 0.004f;
constexpr float kStraightArm = 0.52f;  // radians (30 degrees) the elbow may bend in a straight arm
constexpr float kFattenReach = 0.026f;
// How fast a cap on a contour's move may grow along the segment's axis from where it binds (px
// per px): a cap held at one spot alone is a notch in the outline.
constexpr float kCapSlope = 0.5f;
// Segments blend by softmin of their distance in units of their half-width; larger = sharper.
constexpr float kBlendSharpness = 5.f;
// The issue asks for > 0.3 everywhere; a little margin for the bilinear upsampling.
constexpr float kMinJacobian = 0.32f;
// Largest |(d - T) x grad(keep)| at a freeze's edge, and the widest fade (x body scale) that
// may buy it (see rasterize); past that the fold repair smooths what is left.
constexpr float kFreezeEdgeSlope = 0.6f;
// smoothstep's steepest slope over a fade of width w is kSmoothstepSteepest / w.
constexpr float kSmoothstepSteepest = 1.5f;
constexpr float kMaxFade = 0.4f;
// The torso's position (0 shoulder line, 1 hip line) the frame must show for it to change: about
// mid-chest, below the armpits.
constexpr float kLeastTorsoInFrame = 0.3f;

float smoothstep01(float x) {
  x = std::clamp(x, 0.f, 1.f);
  return x * x * (3.f - 2.f * x);
}

// The point at step `a` of `count` around a circle.
cv::Point2f on_circle(cv::Point2f center, float radius, int a, int count) {
  const float angle = 2.f * static_cast<float>(CV_PI) * static_cast<float>(a) / count;
  return center + radius * cv::Point2f(std::cos(angle), std::sin(angle));
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

struct Knot {
  float t, gain;
};

float interpolate(const std::vector<Knot>& knots, float t) {
  if (t <= knots.front().t) return knots.front().gain;
  for (size_t i = 1; i < knots.size(); ++i) {
    if (t <= knots[i].t) {
      const float w = (t - knots[i - 1].t) / std::max(1e-6f, knots[i].t - knots[i - 1].t);
      return knots[i - 1].gain + w * (knots[i].gain - knots[i - 1].gain);
    }
  }
  return knots.back().gain;
}

// Gain along a segment (t = 0 at its start joint): the region table shaped by joint tapers.
std::vector<Knot> gain_profile(SegmentKind kind, Goal goal, Gender gender) {
  auto g = [&](Region region) { return region_gain(goal, gender, region); };
  auto larger = [](float a, float b) { return std::abs(a) > std::abs(b) ? a : b; };
  const float elbow = kJointTaper * larger(g(Region::kUpperArms), g(Region::kForearms));
  const float knee = kJointTaper * larger(g(Region::kThighs), g(Region::kCalves));
  switch (kind) {
    case SegmentKind::kTorso:  // shoulder line -> hip line
      return {{0.f, 0.4f * g(Region::kChest)}, {0.25f, g(Region::kChest)}, {0.5f, g(Region::kWaist)},
              {0.78f, g(Region::kWaist)}, {0.98f, g(Region::kHips)}, {1.1f, g(Region::kHips)}};
    case SegmentKind::kNeck:  // shoulder line -> mouth; the face is frozen above
      return {{0.2f, 0.f}, {0.35f, g(Region::kNeck)}, {0.5f, g(Region::kNeck)}, {0.65f, 0.f}};
    case SegmentKind::kUpperArm:
      return {{0.f, 0.5f * g(Region::kUpperArms)}, {0.3f, g(Region::kUpperArms)},
              {0.75f, g(Region::kUpperArms)}, {1.f, elbow}};
    case SegmentKind::kForearm:
      return {{0.f, elbow}, {0.3f, g(Region::kForearms)}, {0.6f, g(Region::kForearms)},
              {0.95f, kEndTaper * g(Region::kForearms)}};
    case SegmentKind::kThigh:
      return {{0.f, g(Region::kHips)}, {0.3f, g(Region::kThighs)}, {0.7f, g(Region::kThighs)},
              {1.f, knee}};
    case SegmentKind::kCalf:
      return {{0.f, knee}, {0.35f, g(Region::kCalves)}, {0.65f, g(Region::kCalves)},
              {0.95f, kEndTaper * g(Region::kCalves)}};
  }
  return {{0.f, 0.f}};
}

// How much a segment may claim the pixels near its position t along the axis when segments blend:
// the hip line belongs to the torso, the thighs take over below it (their top follows the
// torso's hip contour, see inherit_hip_shift), so hips and thighs change as one smooth outline.
// The thigh's claim starts a quarter of its length above its joint, where the torso's fades.
float ownership(SegmentKind kind, float t) {
  const auto ramp = smoothstep01;
  switch (kind) {
    case SegmentKind::kTorso: return 1.f - ramp((t - 1.02f) / 0.25f);
    case SegmentKind::kThigh: return ramp((t + 0.25f) / 0.55f);
    case SegmentKind::kNeck: return ramp((t - 0.1f) / 0.15f) * (1.f - ramp((t - 0.65f) / 0.15f));
    default: return 1.f;
  }
}

// Whether `next` goes on from the end of `kind` along a limb (upper arm -> forearm, thigh -> calf).
bool continues_limb(SegmentKind kind, SegmentKind next) {
  return (kind == SegmentKind::kUpperArm && next == SegmentKind::kForearm) ||
         (kind == SegmentKind::kThigh && next == SegmentKind::kCalf);
}

bool carried_by_torso(SegmentKind kind) {
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

// A hand resting against the hip or thigh merges with it in the mask, so the cross-sections at
// its height end at the hand's far edge (or run through it to the search cap). The body's own
// outline there is the one its neighbours see: those contours are interpolated along the axis
// from the nearest cross-sections above and below that end clear of every hand.
void see_past_hands(const Segment& segment, const std::vector<Freeze>& frozen,
                    const std::vector<Station>& stations, std::vector<CrossSection>& sections) {
  const int count = static_cast<int>(sections.size());
  for (int side = 0; side < 2; ++side) {
    std::vector<bool> on_hand(sections.size(), false);
    for (int i = 0; i < count; ++i) {
      const CrossSection& section = sections[i];
      if (!section.valid || section.at_partner[side]) continue;
      on_hand[i] = on_a_hand(frozen, segment.beside(stations[i].t, side, section.extent[side]));
    }
    auto clear = [&](int i) {
      return sections[i].valid && sections[i].contour[side] && !on_hand[i];
    };
    for (int i = 0; i < count; ++i) {
      if (!on_hand[i]) continue;
      int before = i - 1, after = i + 1;
      while (before >= 0 && !clear(before)) --before;
      while (after < count && !clear(after)) ++after;
      if (before < 0 && after >= count) continue;
      const int a = before >= 0 ? before : after, b = after < count ? after : before;
      const float w =
          a == b ? 0.f : (stations[i].t - stations[a].t) / (stations[b].t - stations[a].t);
      sections[i].extent[side] = (1 - w) * sections[a].extent[side] + w * sections[b].extent[side];
      sections[i].gap[side] = (1 - w) * sections[a].gap[side] + w * sections[b].gap[side];
      sections[i].contour[side] = true;
    }
  }
}

// A torso's outline that runs on past the contour search (a back leaning away from the axis,
// seen from behind) is followed: where a side's search ran into its cap next to a station that
// sees that side, the search runs on to kFollowCap x the cap, and a contour found there is taken
// when it continues the neighbour's (within kFollowSlope px per px along the axis), station by
// station away from the seen one. Without it the seen stations carried their whole change up to
// where the outline left the search and the hidden ones none: the outline turned a corner there,
// a shelf when fattening (Sintel's leaning figure: 28.7 px of shift over 13 px of the axis).
// An outline within an arm's reach of its axis, or on a hand, is not taken: that is the arm lying
// against the side (a hand on the hip), which the torso would then carry. Limbs are not followed:
// an arm's outline running on past its short cap is the torso it lies against.
void follow_the_outline_past_the_cap(const Segment& segment, const BodyModel& model,
                                     const cv::Mat& mask_u8, const std::vector<Station>& stations,
                                     std::vector<CrossSection>& sections) {
  constexpr float kFollowCap = 1.6f, kFollowSlope = 0.5f;
  const int count = static_cast<int>(sections.size());
  if (count < 2) return;
  const float step_px = (stations[1].t - stations[0].t) * segment.length();
  auto by_an_arm = [&](cv::Point2f p) {
    if (on_a_hand(model.frozen, p)) return true;
    for (const Segment& limb : model.segments) {
      if (limb.kind != SegmentKind::kUpperArm && limb.kind != SegmentKind::kForearm) continue;
      const float length = limb.length();
      const float t = std::clamp((p - limb.start).dot(limb.direction()), 0.f, length) / length;
      if (cv::norm(p - limb.at(t)) <= limb.cap_px) return true;
    }
    return false;
  };
  auto past_the_cap = [&](int i, int side) {
    const CrossSection& section = sections[i];
    return section.valid && !section.contour[side] && !section.at_partner[side] &&
           section.extent[side] >= segment.cap_px - 1.f;
  };
  for (int side = 0; side < 2; ++side) {
    for (const int direction : {1, -1}) {
      for (int k = 1; k < count; ++k) {
        const int i = direction > 0 ? k : count - 1 - k, from = i - direction;
        if (!past_the_cap(i, side) || !sections[from].valid || !sections[from].contour[side]) {
          continue;
        }
        const CrossSection far = measure_cross_section(segment, stations[i].t, mask_u8,
                                                       &model.frozen, kFollowCap * segment.cap_px);
        const float jump = std::abs(far.extent[side] - sections[from].extent[side]);
        if (!far.contour[side] || jump > kFollowSlope * step_px + 1.f ||
            by_an_arm(segment.beside(stations[i].t, side, far.extent[side]))) {
          continue;
        }
        sections[i].extent[side] = far.extent[side];
        sections[i].contour[side] = true;
        sections[i].gap[side] = far.gap[side];
        sections[i].blur[side] = far.blur[side];
      }
    }
  }
}

// How far from `origin` (inside `frame`) a ray along the unit vector `direction` leaves it.
float distance_to_edge(const cv::Rect2f& frame, cv::Point2f origin, cv::Point2f direction) {
  float far = INFINITY;
  if (direction.x > 1e-6f) far = std::min(far, (frame.br().x - origin.x) / direction.x);
  if (direction.x < -1e-6f) far = std::min(far, (frame.x - origin.x) / direction.x);
  if (direction.y > 1e-6f) far = std::min(far, (frame.br().y - origin.y) / direction.y);
  if (direction.y < -1e-6f) far = std::min(far, (frame.y - origin.y) / direction.y);
  return std::max(0.f, far);
}

// Caps on each station's move (per side; infinite where a station sets none), spread along the
// segment's axis: a cap grows by at most kCapSlope px per px from where it binds, or the one
// narrow spot it binds at would be a notch in the outline.
std::vector<std::array<float, 2>> spread_along_the_axis(
    const PlannedSegment& planned, const std::vector<std::array<float, 2>>& cap) {
  const std::vector<Station>& stations = planned.stations;
  std::vector<std::array<float, 2>> spread(stations.size(), {INFINITY, INFINITY});
  for (size_t i = 0; i < stations.size(); ++i) {
    for (size_t j = 0; j < stations.size(); ++j) {
      const float apart = std::abs(stations[i].t - stations[j].t) * planned.segment.length();
      for (int side = 0; side < 2; ++side) {
        spread[i][side] = std::min(spread[i][side], cap[j][side] + kCapSlope * apart);
      }
    }
  }
  return spread;
}

// Near the frame the field is held still over the border's last cells (kBorderCells), so a
// change that reaches the frame ends there within a few pixels. Two ways that showed:
// - Slimming's push band ends 0.5 x the shift beyond the old contour. Where the image's edge lies
//   closer, the band had much of its move left where the border begins, and folded (a waist-up
//   portrait whose arm reaches the frame's corner: 10 px of move held to nothing over 6 px, det
//   -0.58). A side slims no more than leaves kBandAtTheBorder x the border's width of move there.
// - A body part the frame cuts across (an arm or a waist-up torso running out of the bottom
//   edge) kept its whole change up to the border and was sheared there into a smear (a seated
//   man's upper arm: 15 px of move held to nothing over 13 px). A contour's change may grow only
//   kCapSlope px per px of its distance from the border along the edges the segment's axis runs
//   into, in both goals.
// Each cap is spread along the axis (spread_along_the_axis).
void hold_the_change_off_the_frame(PlannedSegment& planned, const std::vector<bool>& valid,
                                   cv::Size image_size, Goal goal) {
  constexpr float kBandAtTheBorder = 0.45f;
  const Segment& segment = planned.segment;
  std::vector<Station>& stations = planned.stations;
  const float border_px = still_border_px(image_size);
  const cv::Rect2f frame(0.f, 0.f, static_cast<float>(image_size.width - 1),
                         static_cast<float>(image_size.height - 1));
  std::vector<std::array<float, 2>> cap(stations.size(), {INFINITY, INFINITY});
  for (size_t i = 0; i < stations.size(); ++i) {
    if (!valid[i]) continue;  // off the image or the body: the border hold alone
    for (int side = 0; side < 2; ++side) {
      if (goal == Goal::kSlimmer) {
        // Beyond the old contour the band has (0.5 x |shift| - u) / 1.5 of its move left at u;
        // at u = room (where the border begins) that is at most kBandAtTheBorder x border_px.
        const float room =
            distance_to_edge(frame, segment.at(stations[i].t), segment.outward(side)) -
            border_px - stations[i].extent[side] - stations[i].edge_margin[side];
        cap[i][side] = std::max(0.f, 2.f * room + 3.f * kBandAtTheBorder * border_px);
      }
      const cv::Point2f contour = segment.beside(stations[i].t, side, stations[i].extent[side]);
      const float to_edge = distance_to_frame_across(segment, contour, image_size);
      cap[i][side] = std::min(cap[i][side], kCapSlope * std::max(0.f, to_edge - border_px));
    }
  }
  const std::vector<std::array<float, 2>> spread = spread_along_the_axis(planned, cap);
  for (size_t i = 0; i < stations.size(); ++i) {
    for (int side = 0; side < 2; ++side) {
      const float most = spread[i][side];
      if (!std::isfinite(most)) continue;
      stations[i].shift[side] = std::clamp(stations[i].shift[side], -most, most);
      stations[i].max_shift[side] = std::min(stations[i].max_shift[side], most);
    }
  }
}

PlannedSegment plan_segment(const Segment& segment, const BodyModel& model,
                            const cv::Mat& mask_u8, const ReshapeRequest& request) {
  const std::vector<Freeze>& frozen = model.frozen;
  PlannedSegment planned;
  planned.segment = segment;
  const float diagonal = static_cast<float>(std::hypot(mask_u8.cols, mask_u8.rows));
  // The reach grows with the intensity: twice the change asked for may cover (or stretch) twice
  // as much background.
  const float reach = std::max(1.f, request.intensity) * diagonal;
  planned.max_slim_shift_px = kSlimReach * reach / (kBandPerShift - 1.f);
  const float max_fatten_shift_px = kFattenReach * reach;
  const std::vector<Knot> profile = gain_profile(segment.kind, request.goal, request.gender);
  const float span = segment.t_last - segment.t_first;
  const int count = std::clamp(static_cast<int>(segment.length() * span / 3.f), 4, 48);
  std::vector<Station>& stations = planned.stations;
  stations.resize(static_cast<size_t>(count));
  std::vector<bool> valid(stations.size(), false);
  float width_sum = 0;
  int width_count = 0;
  std::vector<CrossSection> sections(stations.size());
  for (int i = 0; i < count; ++i) {
    stations[i].t = segment.t_first + span * static_cast<float>(i) / static_cast<float>(count - 1);
    // Off the body a station has no limit of its own; the reach cap still holds there.
    stations[i].max_shift.fill(request.goal == Goal::kFatter ? max_fatten_shift_px
                                                             : planned.max_slim_shift_px);
    sections[i] = measure_cross_section(segment, stations[i].t, mask_u8, &frozen);
  }
  if (segment.kind == SegmentKind::kTorso) {
    follow_the_outline_past_the_cap(segment, model, mask_u8, stations, sections);
  }
  if (segment.kind == SegmentKind::kTorso || segment.kind == SegmentKind::kThigh) {
    see_past_hands(segment, frozen, stations, sections);
  }
  // How much tissue a side has, for its share of the change: the contour's distance averaged
  // over kProfileWindow of the axis either way. Fat follows the body, not the clothing's edges:
  // scaling each cross-section's own extent would make a hem or a waistband jut out.
  constexpr float kProfileWindow = 0.08f;
  auto tissue = [&](int i, int side) {
    float sum = 0;
    int n = 0;
    for (int j = 0; j < count; ++j) {
      if (!sections[j].valid || !sections[j].contour[side]) continue;
      if (std::abs(stations[j].t - stations[i].t) > kProfileWindow) continue;
      sum += sections[j].extent[side];
      ++n;
    }
    return n > 0 ? sum / static_cast<float>(n) : sections[i].extent[side];
  };
  // Where a side carries the change alone (its partner contour hidden between touching thighs),
  // as a share of the cross-sections within kCarryWindow either way: the carried share ramps in
  // and out along the axis, so the outline does not step where legs merging inside shorts part
  // at the hem.
  constexpr float kCarryWindow = 0.12f;
  auto carries_alone = [&](int i, int side) {
    int alone = 0, n = 0;
    for (int j = 0; j < count; ++j) {
      if (!sections[j].valid || !sections[j].contour[side]) continue;
      if (std::abs(stations[j].t - stations[i].t) > kCarryWindow) continue;
      alone += sections[j].contour[1 - side] ? 0 : 1;
      ++n;
    }
    return n > 0 ? static_cast<float>(alone) / static_cast<float>(n) : 0.f;
  };
  for (int i = 0; i < count; ++i) {
    const float t = stations[i].t;
    const CrossSection& section = sections[i];
    if (!section.valid) continue;
    valid[i] = true;
    Station& station = stations[i];
    station.extent = section.extent;
    for (int side = 0; side < 2; ++side) {
      // The soft edge and a pixel more; a quarter of the free space at most (the band still ends
      // short of the next body part), and 0.4 % of the diagonal (it still ends within 3 %).
      if (request.goal == Goal::kSlimmer && section.contour[side] && !section.at_partner[side]) {
        station.edge_margin[side] = std::min(
            {section.blur[side] + 1.f, 0.25f * section.gap[side], kMaxEdgeMargin * diagonal});
      }
    }
    width_sum += section.extent[0] + section.extent[1];
    ++width_count;
    const float gain = interpolate(profile, t) * request.intensity;
    std::array<float, 2> wanted{}, limit{};
    for (int side = 0; side < 2; ++side) {
      if (!section.contour[side]) continue;
      // A side whose contour is not seen stays put. Between touching thighs the seen (outer) side
      // carries the thigh's change: when slimming the whole width change (a contour moving in
      // cannot balloon), when fattening 1.75 x its own share (the whole would balloon out);
      // elsewhere (an arm against the torso, the other thigh met at
      // a squat's hip line, the image edge) a side carries only its own share: doubling it on one
      // side grows a lump.
      const float own = tissue(i, side);
      const float most_carried = segment.kind != SegmentKind::kThigh ? 1.f
                                 : request.goal == Goal::kSlimmer   ? 2.f
                                                                    : 1.75f;
      const float carry = 1.f + (most_carried - 1.f) * carries_alone(i, side);
      const float width = section.contour[1 - side]
                              ? carry * own
                              : std::min(station.extent[0] + station.extent[1], carry * own);
      wanted[side] = gain * width;
      // Slimming: the band ends 0.5 x shift outside the old contour; keep it inside half the
      // free space so it never pulls on the next body part (an arm, the other leg).
      limit[side] = wanted[side] < 0 ? std::min(section.gap[side], planned.max_slim_shift_px)
                                     : max_fatten_shift_px;
    }
    // The skeleton's core stays put: the hip joints near the hip line, the shoulders at the top.
    const float core = segment.hip_core_px * smoothstep01((t - 0.55f) / 0.45f) +
                       segment.shoulder_core_px * (1.f - smoothstep01(t / 0.3f));
    station.core = std::min({core, 0.8f * station.extent[0], 0.8f * station.extent[1]});
    if (section.contour[0] && section.contour[1]) {
      for (int side = 0; side < 2; ++side) {
        // Slimming cannot take more than 60 % of the tissue outside the core.
        wanted[side] = std::max(wanted[side], -0.6f * (station.extent[side] - station.core));
      }
    }
    // What one side may not take (narrow gap) the other side takes, so the width still changes.
    for (int side = 0; side < 2; ++side) {
      const float excess = std::max(0.f, std::abs(wanted[side]) - limit[side]);
      if (excess <= 0) continue;
      wanted[side] = std::copysign(limit[side], wanted[side]);
      if (section.contour[1 - side]) wanted[1 - side] += std::copysign(excess, wanted[side]);
    }
    for (int side = 0; side < 2; ++side) {
      station.shift[side] = std::copysign(std::min(std::abs(wanted[side]), limit[side]), wanted[side]);
      station.seen[side] = section.contour[side];
      if (section.contour[side] && section.contour[1 - side] && wanted[side] < 0) {
        station.max_shift[side] = std::min(limit[side], 0.6f * (station.extent[side] - station.core));
      } else {
        station.max_shift[side] = limit[side];
      }
      station.max_shift[side] = std::max(station.max_shift[side], std::abs(station.shift[side]));
    }
  }
  planned.half_width_px = width_count > 0 ? 0.5f * width_sum / static_cast<float>(width_count)
                                          : 0.5f * segment.cap_px;
  // Stations off the body keep their neighbours' extents and do not move.
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < count; ++i) {
      const int from = pass == 0 ? i - 1 : count - i;
      const int to = pass == 0 ? i : count - 1 - i;
      if (from < 0 || from >= count) continue;
      if (!valid[to] && (valid[from] || stations[from].extent[0] > 0)) {
        if (stations[to].extent[0] == 0 && stations[to].extent[1] == 0) {
          stations[to].extent = stations[from].extent;
        }
      }
    }
  }
  // Contours are noisy (hair, clothing folds) and change abruptly where clothing does (a hem, a
  // waistband, legs that merge inside shorts): fat under them does not. The shifts are smoothed
  // along the axis with a Gaussian of kShiftSigma (in t), so no hem juts out or pinches in.
  // A seen contour's shift is averaged over the stations that see it: one hidden behind an arm (a
  // forearm across the waist in a side view) or off the body asks for nothing, and averaging its
  // zero in took up to half the change from the seen contour beside it (woman_with_dog_field's
  // belly under the arm: -10 px asked, -5.7 after smoothing). A hidden side keeps the plain
  // average, which tapers its neighbours' change into it.
  constexpr float kShiftSigma = 0.06f;
  std::vector<cv::Vec2f> shifts(stations.size()), seen(stations.size());
  std::vector<float> ts(stations.size());
  for (int i = 0; i < count; ++i) {
    seen[i] = {stations[i].seen[0] ? 1.f : 0.f, stations[i].seen[1] ? 1.f : 0.f};
    shifts[i] = cv::Vec2f(stations[i].shift[0], stations[i].shift[1]).mul(seen[i]);
    ts[i] = stations[i].t;
  }
  const std::vector<cv::Vec2f> averaged = smooth_along(shifts, ts, kShiftSigma);
  const std::vector<cv::Vec2f> seen_share = smooth_along(seen, ts, kShiftSigma);
  for (int i = 0; i < count; ++i) {
    for (int side = 0; side < 2; ++side) {
      const float share = stations[i].seen[side] ? seen_share[i][side] : 1.f;  // > 0 when seen
      stations[i].shift[side] = averaged[i][side] / share;
    }
  }
  std::vector<cv::Vec2f> margins(stations.size());  // one blurry cross-section is no reason to jut
  for (int i = 0; i < count; ++i) {
    margins[i] = {stations[i].edge_margin[0], stations[i].edge_margin[1]};
  }
  margins = smooth_along(margins, ts, kShiftSigma);
  for (int i = 0; i < count; ++i) stations[i].edge_margin = {margins[i][0], margins[i][1]};
  hold_the_change_off_the_frame(planned, valid, mask_u8.size(), request.goal);
  return planned;
}

// Source position of output position s (signed distance from the axis) across one cross-section:
// inside the new contours a linear map onto the old ones, outside a push band back to identity.
// The contours here are the mask's plus the station's edge margin (slimming: the soft edge moves
// with the body).
float source_offset(float s, const Station& station) {
  const float a = station.extent[0] + station.edge_margin[0];
  const float b = station.extent[1] + station.edge_margin[1];
  const float a_new = std::max(0.f, a + station.shift[0]), b_new = std::max(0.f, b + station.shift[1]);
  if (s >= -a_new && s <= b_new) {
    const float core = station.core;
    // Each side's tissue between the core (or the axis) and its contour stretches or shrinks on
    // its own, so the skeleton stays put even when only one side moves.
    if (std::abs(s) <= core) return s;
    const float old_edge = s > 0 ? b : a, new_edge = s > 0 ? b_new : a_new;
    if (new_edge - core < 1e-3f) return s;
    const float magnitude = core + (std::abs(s) - core) * (old_edge - core) / (new_edge - core);
    return std::copysign(magnitude, s);
  }
  const int side = s > 0 ? 1 : 0;
  const float shift = station.shift[side];
  const float beyond = side == 1 ? s - b_new : -a_new - s;
  const float band = kBandPerShift * std::abs(shift) + 1e-3f;
  const float remaining = shift * std::max(0.f, 1.f - beyond / band);
  return side == 1 ? s - remaining : s + remaining;
}

Station station_at(const PlannedSegment& planned, float t) {
  const Segment& segment = planned.segment;
  const int count = static_cast<int>(planned.stations.size());
  const float position = std::clamp((t - segment.t_first) / (segment.t_last - segment.t_first), 0.f,
                                    1.f) * static_cast<float>(count - 1);
  const int i = std::min(count - 2, static_cast<int>(position));
  const float w = position - static_cast<float>(i);
  const Station& lo = planned.stations[i];
  const Station& hi = planned.stations[i + 1];
  Station station;
  for (int side = 0; side < 2; ++side) {
    station.extent[side] = (1 - w) * lo.extent[side] + w * hi.extent[side];
    station.shift[side] = (1 - w) * lo.shift[side] + w * hi.shift[side];
    station.edge_margin[side] = (1 - w) * lo.edge_margin[side] + w * hi.edge_margin[side];
  }
  station.core = (1 - w) * lo.core + w * hi.core;
  return station;
}

// How deep p lies inside the torso's or a thigh's outline (px; negative outside).
float depth_in_body(const std::vector<PlannedSegment>& planned, cv::Point2f p) {
  float depth = -INFINITY;
  for (const PlannedSegment& planned_segment : planned) {
    const Segment& segment = planned_segment.segment;
    if (segment.kind != SegmentKind::kTorso && segment.kind != SegmentKind::kThigh) continue;
    const float t = (p - segment.start).dot(segment.direction()) / std::max(1e-3f, segment.length());
    if (t < segment.t_first || t > segment.t_last) continue;
    const float s = (p - segment.start).dot(segment.normal());
    depth = std::max(depth, station_at(planned_segment, t).extent[s > 0 ? 1 : 0] - std::abs(s));
  }
  return depth;
}

// A hand lying on the body (folded arms: its disc inside the torso's or a thigh's outline) is
// drawn on top of it, its fingers tucked under the other arm. Where the fingertips estimated past
// the knuckles widen its disc (by more than 5 % of the shoulder width), that disc and the fade it
// needs to stay fold-free reached the silhouette's edge beside the other elbow and held the waist
// back (the business suit: -9.6 % waist against -9.3 % hips, slimmer male). Such a hand keeps
// only its palm (wrist and knuckles, the landmarks seen) rigid. True when any did: the segments
// must then be planned again (their cross-sections look past the hands).
bool freeze_only_the_palm_on_the_body(const std::vector<PlannedSegment>& planned,
                                      BodyModel& model) {
  bool changed = false;
  for (Freeze& hand : model.frozen) {
    if (!hand.rides_along || hand.radius_px - hand.palm_radius_px <= 0.05f * model.scale_px) continue;
    if (depth_in_body(planned, hand.center) < hand.radius_px) continue;
    hand.center = hand.palm_center;
    hand.radius_px = hand.palm_radius_px;
    changed = true;
  }
  return changed;
}

// The thigh's outer contour starts where the torso's hip contour ends: near the hip joint the thigh
// takes the torso's shift of that side and hands over to its own by t = 0.35.
void inherit_hip_shift(std::vector<PlannedSegment>& planned) {
  const PlannedSegment* torso = nullptr;
  for (const PlannedSegment& p : planned) {
    if (p.segment.kind == SegmentKind::kTorso) torso = &p;
  }
  if (!torso) return;
  const Station hip = station_at(*torso, kHipsT);
  for (PlannedSegment& thigh : planned) {
    if (thigh.segment.kind != SegmentKind::kThigh) continue;
    const cv::Point2f outward = thigh.segment.start - torso->segment.end;  // from the mid-hip
    const int thigh_side = thigh.segment.normal().dot(outward) > 0 ? 1 : 0;
    const int torso_side = torso->segment.normal().dot(outward) > 0 ? 1 : 0;
    const int count = static_cast<int>(thigh.stations.size());
    for (int i = 0; i < count; ++i) {
      const float t = thigh.segment.t_first + (thigh.segment.t_last - thigh.segment.t_first) *
                                                  static_cast<float>(i) / static_cast<float>(count - 1);
      const float own = smoothstep01(t / 0.35f);
      float& shift = thigh.stations[i].shift[thigh_side];
      shift = own * shift + (1.f - own) * hip.shift[torso_side];
    }
  }
}

// Every station's planned shift becomes the target its command must realise.
void set_targets(std::vector<PlannedSegment>& planned) {
  for (PlannedSegment& p : planned) {
    for (Station& station : p.stations) station.target = station.shift;
  }
}

// The skeleton stays put: blending, smoothing, the freeze and the calibration's larger commands
// leave a few pixels of motion at the joints; each pinned joint takes its own offset back out with
// a smooth bump (its gradient, offset / radius, stays small next to the contour's).
// `keep` (grid size): the freeze's weights; the bump never moves what it froze.
void pin_joints(const BodyModel& model, cv::Size2f cell_px, cv::Mat& dx, cv::Mat& dy,
                const cv::Mat& keep) {
  // The bump's steepest slope is 1.5 x offset / radius: a radius of 3 x the offset keeps it at
  // 0.5, so a joint right at a moved outline (a hip landmark on the silhouette's edge) cannot
  // fold.
  constexpr float kRadiusPerOffset = 3.f;
  const float base_radius = kPinRadius * model.scale_px;
  // Bumps of nearby joints overlap (hip and knee in a squat): a few rounds settle them all.
  for (int round = 0; round < 4; ++round) {
    for (const cv::Point2f& pin : model.pinned) {
      const cv::Point2f offset(sample_grid(dx, pin, cell_px), sample_grid(dy, pin, cell_px));
      const float size = static_cast<float>(cv::norm(offset));
      if (size < 0.05f) continue;
      // A joint deep inside a strongly moving part (a hip under folded arms' hands) is only
      // partly pinned: a wider bump would move the face and background around it.
      const float radius = std::clamp(kRadiusPerOffset * size, std::max(1.f, base_radius),
                                      std::max(1.f, 2.f * base_radius));
      const cv::Point2f applied = offset * std::min(1.f, radius / (kRadiusPerOffset * size));
      const cv::Rect near(cv::Point(static_cast<int>((pin.x - radius) / cell_px.width) - 1,
                                    static_cast<int>((pin.y - radius) / cell_px.height) - 1),
                          cv::Point(static_cast<int>((pin.x + radius) / cell_px.width) + 2,
                                    static_cast<int>((pin.y + radius) / cell_px.height) + 2));
      const cv::Rect nodes = near & cv::Rect(cv::Point(0, 0), dx.size());
      for (int j = nodes.y; j < nodes.y + nodes.height; ++j) {
        for (int i = nodes.x; i < nodes.x + nodes.width; ++i) {
          const float distance = static_cast<float>(cv::norm(grid_to_pixel(i, j, cell_px) - pin));
          const float weight = (1.f - smoothstep01(distance / radius)) * keep.at<float>(j, i);
          dx.at<float>(j, i) -= weight * applied.x;
          dy.at<float>(j, i) -= weight * applied.y;
        }
      }
    }
  }
}

// At each grid node, how far (px) it lies outside the person mask (0 inside), to a cell: a node
// whose cell holds any of the body counts as body (a thin arm stays body), and the distance is
// taken on the grid (a full-resolution distance transform costs ~8 ms at 1080p).
cv::Mat distance_off_body(const cv::Mat& mask_u8, cv::Size grid, cv::Size2f cell_px) {
  cv::Mat body_share;
  cv::resize(mask_u8 >= 128, body_share, grid, 0, 0, cv::INTER_AREA);
  cv::Mat distance;
  cv::distanceTransform(body_share == 0, distance, cv::DIST_L2, cv::DIST_MASK_PRECISE);
  return distance * std::min(cell_px.width, cell_px.height);
}

// The grids of one rasterised plan: the field after smoothing, freezing and (on the last round)
// the fold repair, whose minimum Jacobian it reports.
struct FieldGrids {
  cv::Mat dx, dy;
  float min_jacobian = 1.f;
  std::vector<cv::Point2f> hand_motion;  // each freeze's rigid offset (zero for face and feet)
  cv::Mat hand_carry_px;  // how far the hands' rigid translation moves each node (px)
};

// The field may grow from the image's edge by at most kCapSlope px per px, whatever moves it.
// The stations' caps (hold_the_change_off_the_frame) bound the outlines; this bounds the rest: a
// torso whose hip line lies just above the bottom edge carries its change past its last
// cross-section (the fade past a segment's end), and that was held to nothing over the border's
// last cells, a smear (a suit portrait turned 12 degrees: its buttons dragged sideways).
void taper_into_the_frame(cv::Size image_size, cv::Size2f cell_px, cv::Mat& dx, cv::Mat& dy) {
  for (int j = 0; j < dx.rows; ++j) {
    float* x = dx.ptr<float>(j);
    float* y = dy.ptr<float>(j);
    for (int i = 0; i < dx.cols; ++i) {
      const float most =
          kCapSlope * std::max(0.f, distance_to_border(grid_to_pixel(i, j, cell_px), image_size));
      const float moves = std::hypot(x[i], y[i]);
      if (moves > most) {
        x[i] *= most / moves;
        y[i] *= most / moves;
      }
    }
  }
}

// `repair_folds`: run the fold repair (enforce_min_jacobian) on the result; calibration rounds
// skip it, so they compensate what smoothing and blending lose, never what the repair takes back
// where the body folds over itself (boosting those spots would only fold them more).
// `hand_motion` (the previous round's FieldGrids::hand_motion, or empty): where each hand went.
FieldGrids rasterize(const std::vector<PlannedSegment>& planned, const BodyModel& model, Goal goal,
                     const std::vector<cv::Point2f>& hand_motion, const cv::Mat& off_body_px,
                     cv::Size image_size, cv::Size grid, cv::Size2f cell_px, bool repair_folds) {
  cv::Mat dx(grid, CV_32F, cv::Scalar(0)), dy(grid, CV_32F, cv::Scalar(0));

  // Axis data once per segment; `reach_px`: beyond it the segment's own field is zero.
  struct Axis {
    cv::Point2f start, direction, normal;
    float length, reach_px, half_width_px;
    // The limb goes on past this end (elbow, knee): the next segment starts where this one ends.
    bool continues_before = false, continues_after = false;
  };
  std::vector<Axis> axes;
  int torso = -1;
  float torso_max_shift = 0;
  for (size_t k = 0; k < planned.size(); ++k) {
    if (planned[k].segment.kind != SegmentKind::kTorso) continue;
    torso = static_cast<int>(k);
    for (const Station& station : planned[k].stations) {
      torso_max_shift = std::max({torso_max_shift, std::abs(station.shift[0]), std::abs(station.shift[1])});
    }
  }
  for (const PlannedSegment& p : planned) {
    float reach = 0;
    for (const Station& station : p.stations) {
      for (int side = 0; side < 2; ++side) {
        reach = std::max(reach, station.extent[side] +
                                    (1.f + kBandPerShift) * std::abs(station.shift[side]));
      }
    }
    if (carried_by_torso(p.segment.kind)) reach += (1.f + kBandPerShift) * torso_max_shift;
    const float half_width = std::max(1.f, p.half_width_px);
    axes.push_back({p.segment.start, p.segment.direction(), p.segment.normal(),
                    std::max(1e-3f, p.segment.length()), reach + 0.6f * half_width + 2.f,
                    half_width});
  }
  // Only at a joint that lies on the body: a guessed elbow off the mask (its arm leaving the
  // frame) measures whatever it finds past it.
  const float on_body_px = std::max(cell_px.width, cell_px.height);
  for (size_t k = 0; k < planned.size(); ++k) {
    for (size_t n = 0; n < planned.size(); ++n) {
      const cv::Point2f joint = planned[k].segment.end;
      if (!continues_limb(planned[k].segment.kind, planned[n].segment.kind) ||
          cv::norm(joint - planned[n].segment.start) > 0.5f ||
          sample_grid(off_body_px, joint, cell_px) > on_body_px) {
        continue;
      }
      axes[k].continues_after = true;
      axes[n].continues_before = true;
    }
  }
  // A segment's own backward offset at p: the cross-section's scaling and push band, faded out
  // beyond the segment's ends. `off_body` (px): how far p lies outside the person mask.
  auto own_offset = [&](size_t k, float t, float s, float off_body) -> cv::Point2f {
    const Axis& axis = axes[k];
    const Segment& segment = planned[k].segment;
    // Past its ends a segment's change fades over 0.6 x its half-width, except where torso and
    // thigh meet: there the body goes on past both (a squat's buttock lies behind the hip joint,
    // beyond the torso's last cross-section and before the thigh's first), so both reach 1.5 x
    // their half-width into it and the hip's change carries across instead of dipping in a notch.
    const float before_px = (segment.t_first - t) * axis.length;
    const float after_px = (t - segment.t_last) * axis.length;
    const bool hip_side = (segment.kind == SegmentKind::kTorso && after_px > 0) ||
                          (segment.kind == SegmentKind::kThigh && before_px > 0);
    const float outside_px = std::max({0.f, before_px, after_px});
    const float fade =
        1.f - smoothstep01(outside_px / ((hip_side ? 1.5f : 0.6f) * axis.half_width_px + 1.f));
    if (fade <= 0.f) return {0, 0};
    const float offset = (source_offset(s, station_at(planned[k], t)) - s) * fade;
    // Past its ends the end's cross-section stands in for the body, but the outline may narrow
    // there (a sloping shoulder above the chest's first cross-section, a close-up turned on its
    // side): background beyond the mask then takes the change only within a push band of the
    // mask, as it does beside a contour, so background farther out stays exact. Where torso
    // and thigh meet, the other segment's own cross-sections already measure the outline.
    const float past_end =
        hip_side ? 0.f : smoothstep01(outside_px / (0.1f * axis.half_width_px + 1.f));
    const float within =
        std::max(0.f, 1.f - off_body / (kBandPerShift * std::abs(offset) + 1.f));
    return offset * (1.f - past_end * (1.f - within)) * axis.normal;
  };
  // Past an elbow or knee the next segment goes on with the limb, and this one's change has faded
  // (own_offset, carry): it hands its blend weight over at the same rate, or it would hold the
  // joint's outline back (a bump at a slimmed arm's elbow, the upper arm and forearm both
  // pulling towards zero there).
  auto handover = [&](size_t k, float t) {
    const Axis& axis = axes[k];
    const Segment& segment = planned[k].segment;
    const float past_px = std::max({0.f, axis.continues_before ? segment.t_first - t : 0.f,
                                    axis.continues_after ? t - segment.t_last : 0.f}) *
                          axis.length;
    return 1.f - smoothstep01(past_px / (0.6f * axis.half_width_px + 1.f));
  };
  // An arm lying against or across the torso (hands on hips, folded arms) moves with the torso
  // under it: the torso's offset at the arm's axis (`carried`), carried rigidly across the arm and
  // returned to zero beyond the arm's contour over a push band (slope <= 1 / kBandPerShift).
  // That offset is sampled along the arm's axis and smoothed along it (Gaussian, sigma
  // kCarrySigma in t): an arm hanging next to the torso sits in the torso's push band, which falls
  // off fast across it, so the raw offset bends the arm into kinks where its distance to the torso
  // changes (the elbow, the sleeve's hem).
  constexpr int kCarrySamples = 33;
  constexpr float kCarrySigma = 0.08f;
  std::vector<float> carry_t(kCarrySamples);
  for (int n = 0; n < kCarrySamples; ++n) carry_t[n] = static_cast<float>(n) / (kCarrySamples - 1);
  std::vector<std::vector<cv::Point2f>> carried(planned.size());
  std::vector<bool> turned_to_hand(planned.size(), false);  // forearms the ramp below turned
  for (size_t k = 0; k < planned.size() && torso >= 0; ++k) {
    if (!carried_by_torso(planned[k].segment.kind)) continue;
    const Axis& axis = axes[k];
    const Axis& body = axes[static_cast<size_t>(torso)];
    std::vector<cv::Point2f> raw(kCarrySamples);
    for (int n = 0; n < kCarrySamples; ++n) {
      const cv::Point2f on_axis = axis.start + carry_t[n] * axis.length * axis.direction;
      const float body_t = (on_axis - body.start).dot(body.direction) / body.length;
      const float body_s = (on_axis - body.start).dot(body.normal);
      raw[n] = own_offset(static_cast<size_t>(torso), body_t, body_s, 0.f);  // the arm is body
    }
    carried[k] = smooth_along(raw, carry_t, kCarrySigma);
    // A forearm ends at its hand, which moves rigidly (with the hip it hangs against, say): where
    // the hand moves farther than the forearm's end, the forearm turns about the elbow to meet it
    // (a ramp along the arm) instead of bending where the hand's fade begins. The hand's motion
    // is the previous rasterisation's (calibration runs three), so the first round has none.
    if (planned[k].segment.kind != SegmentKind::kForearm || hand_motion.empty()) continue;
    const cv::Point2f wrist = planned[k].segment.end;
    for (size_t j = 0; j < model.frozen.size(); ++j) {
      const Freeze& hand = model.frozen[j];
      if (!hand.rides_along || cv::norm(hand.center - wrist) > hand.radius_px) continue;
      if (cv::norm(hand_motion[j]) <= cv::norm(carried[k].back())) break;
      const cv::Point2f miss = hand_motion[j] - carried[k].back();
      for (int n = 0; n < kCarrySamples; ++n) carried[k][n] += carry_t[n] * miss;
      turned_to_hand[k] = true;
      break;
    }
  }
  // Slimming: an arm whose forearm was turned to its hand turns as a whole about the shoulder, so
  // it keeps its angle instead of angling at an elbow the waist holds back (a woman's hip slims
  // more than her waist). A straight arm (the elbow bent by less than 30 degrees): the elbow moves
  // its share of the hand's move (by length). A bent one: the elbow turns with the angle that
  // takes the hand across. Fattening pushes the arm out, where it may angle.
  for (size_t k = 0; k < planned.size() && goal == Goal::kSlimmer; ++k) {
    if (planned[k].segment.kind != SegmentKind::kUpperArm || carried[k].empty()) continue;
    for (size_t f = 0; f < planned.size(); ++f) {
      if (planned[f].segment.kind != SegmentKind::kForearm || carried[f].empty() ||
          cv::norm(planned[f].segment.start - planned[k].segment.end) > 0.5f) {
        continue;
      }
      const float bend = std::acos(std::clamp(
          planned[k].segment.direction().dot(planned[f].segment.direction()), -1.f, 1.f));
      const cv::Point2f shoulder = carried[k].front(), hand = carried[f].back();
      cv::Point2f elbow;
      if (bend <= kStraightArm) {
        const float upper = axes[k].length, lower = axes[f].length;
        elbow = shoulder + upper / (upper + lower) * (hand - shoulder);
      } else {
        // A bent arm beside the body turns rigidly about the shoulder by the angle that takes the
        // hand across (the move along the arm, which would bend the elbow, is left to the
        // forearm's turn). Folded arms, the wrist on the body, stay as the torso carries them:
        // turned, they held the business suit's waist back (-12.5 -> -11.3 %, slimmer male).
        // Only where the forearm was turned to a seen hand that moves with the body.
        if (!turned_to_hand[f] || depth_in_body(planned, planned[f].segment.end) >= 0.f) break;
        // The hand leads (taken in with the hip): where the shoulder moves more (a hand raised to
        // the chest while the shoulders slim), turning the arm would swing the elbow out instead.
        if (cv::norm(hand) <= cv::norm(shoulder)) break;
        const cv::Point2f arm = planned[f].segment.end - planned[k].segment.start;
        const cv::Point2f upper_arm = planned[k].segment.end - planned[k].segment.start;
        const float turn = arm.cross(hand - shoulder) / std::max(1.f, arm.dot(arm));
        // A hand near the shoulder (a forearm folded up) would swing the elbow far: it moves no
        // farther than the hand does from the shoulder.
        const float most = static_cast<float>(cv::norm(hand - shoulder));
        const float swing = std::abs(turn) * static_cast<float>(cv::norm(upper_arm));
        elbow = shoulder + turn * std::min(1.f, most / std::max(swing, 1e-3f)) *
                               cv::Point2f(-upper_arm.y, upper_arm.x);
      }
      if (cv::norm(elbow) <= cv::norm(carried[k].back())) break;
      const cv::Point2f upper_miss = elbow - carried[k].back();
      const cv::Point2f lower_miss = elbow - carried[f].front();
      for (int n = 0; n < kCarrySamples; ++n) {
        carried[k][n] += carry_t[n] * upper_miss;
        carried[f][n] += (1.f - carry_t[n]) * lower_miss;
      }
      break;
    }
  }
  auto carry = [&](size_t k, float t, float s) -> cv::Point2f {
    if (carried[k].empty()) return {0, 0};
    const Axis& axis = axes[k];
    const float position = std::clamp(t, 0.f, 1.f) * (kCarrySamples - 1);
    const int n = std::min(kCarrySamples - 2, static_cast<int>(position));
    const float w = position - static_cast<float>(n);
    const cv::Point2f moved = (1 - w) * carried[k][n] + w * carried[k][n + 1];
    const float magnitude = static_cast<float>(cv::norm(moved));
    if (magnitude < 1e-3f) return {0, 0};
    // The band starts at the arm's moved edge (as the torso's push band does), so slimming
    // stretches background only 0.5 x the move beyond the old outline.
    const Station station = station_at(planned[k], t);
    const cv::Point2f side_normal = s > 0 ? axis.normal : -axis.normal;
    const float new_edge = station.extent[s > 0 ? 1 : 0] - moved.dot(side_normal);
    const float beyond = std::max(std::abs(s) - new_edge,
                                  std::max({0.f, -t, t - 1.f}) * axis.length);  // past the ends
    return moved * std::clamp(1.f - beyond / (kBandPerShift * magnitude + 1.f), 0.f, 1.f);
  };
  // The hip line is handed from the torso to the thighs (ownership). Without thighs (the legs out
  // of sight) nothing takes it over: the torso's own change fades past its end (own_offset), and
  // its blend weight fading too was normalised away until the weight fell under the cut-off,
  // where the change stopped dead (a notch in a long coat below the hip line).
  const bool has_thighs = std::any_of(planned.begin(), planned.end(), [](const PlannedSegment& p) {
    return p.segment.kind == SegmentKind::kThigh;
  });
  cv::parallel_for_(cv::Range(0, grid.height), [&](const cv::Range& rows) {
    std::vector<float> distances(planned.size()), along(planned.size());
    for (int j = rows.start; j < rows.end; ++j) {
      for (int i = 0; i < grid.width; ++i) {
        const cv::Point2f p = grid_to_pixel(i, j, cell_px);
        float nearest = INFINITY;
        bool reached = false;
        for (size_t k = 0; k < planned.size(); ++k) {
          const Axis& axis = axes[k];
          along[k] = (p - axis.start).dot(axis.direction) / axis.length;
          const cv::Point2f closest =
              axis.start + std::clamp(along[k], 0.f, 1.f) * axis.length * axis.direction;
          const float distance_px = static_cast<float>(cv::norm(p - closest));
          reached = reached || distance_px < axis.reach_px;
          distances[k] = distance_px / axis.half_width_px;
          nearest = std::min(nearest, distances[k]);
        }
        if (!reached) continue;
        cv::Point2f sum(0, 0);
        float weight_sum = 0;
        for (size_t k = 0; k < planned.size(); ++k) {
          const float softmin = kBlendSharpness * (distances[k] - nearest);
          if (softmin > 9.f) continue;
          const float t = along[k];
          const float weight = std::exp(-softmin) *
                               (has_thighs ? ownership(planned[k].segment.kind, t) : 1.f) *
                               handover(k, t);
          if (weight < 1e-4f) continue;
          weight_sum += weight;
          const float s = (p - axes[k].start).dot(axes[k].normal);
          sum += weight * (own_offset(k, t, s, off_body_px.at<float>(j, i)) + carry(k, t, s));
        }
        if (weight_sum > 0) {
          dx.at<float>(j, i) = sum.x / weight_sum;
          dy.at<float>(j, i) = sum.y / weight_sum;
        }
      }
    }
  });

  // Smooth (sigma = 1 node); then face and feet are frozen, hands translated rigidly by the
  // body's motion under their centre, and the image border held.
  cv::GaussianBlur(dx, dx, cv::Size(5, 5), 1.0, 1.0, cv::BORDER_REPLICATE);
  cv::GaussianBlur(dy, dy, cv::Size(5, 5), 1.0, 1.0, cv::BORDER_REPLICATE);
  std::vector<cv::Point2f> translation(model.frozen.size(), {0, 0});
  for (size_t k = 0; k < model.frozen.size(); ++k) {
    const cv::Point2f center = model.frozen[k].center;
    if (!model.frozen[k].rides_along || center.x < 0 || center.y < 0 ||
        center.x > static_cast<float>(image_size.width - 1) ||
        center.y > static_cast<float>(image_size.height - 1)) {
      continue;
    }
    translation[k] = {sample_grid(dx, center, cell_px), sample_grid(dy, center, cell_px)};
    // A hand held beside the body (its centre outside the torso's and thighs' outlines, its disc
    // reaching inside one, e.g. hanging against the hip) moves with the body under it, rigidly,
    // with the fastest motion there (sampled out to 1.5 x its radius, where the hip's contour
    // next to a small hand lies): fattening pushes it out, slimming takes it in with the hip.
    // At its centre's motion (the push band's tail) the hip was held back next to it: a dent when
    // fattening, a bump when slimming (the hip kept a third of its change at the hand). A hand
    // away from the body, or lying on it (folded arms), keeps its centre's motion.
    if (depth_in_body(planned, center) < 0.f) {
      const float radius = model.frozen[k].radius_px;
      constexpr int kRing = 16;
      cv::Point2f fastest = translation[k];
      bool touches = false;
      for (int ring = 1; ring <= 3; ++ring) {
        for (int a = 0; a < kRing; ++a) {
          const float r = 0.5f * static_cast<float>(ring) * radius;
          const cv::Point2f q = on_circle(center, r, a, kRing);
          touches = touches || depth_in_body(planned, q) >= 0.f;
          const cv::Point2f d(sample_grid(dx, q, cell_px), sample_grid(dy, q, cell_px));
          if (cv::norm(d) > cv::norm(fastest)) fastest = d;
        }
      }
      if (touches) translation[k] = fastest;
    }
  }
  // The freeze blends d * keep + (1 - keep) * T: its edge adds (d - T) x grad(keep) to the
  // gradient, so a fixed fade folds where the body next to a hand (or the neck under the face)
  // moves much more than the hand itself. Each fade is widened to keep that term below
  // kFreezeEdgeSlope; wider would move more background around a hand, narrower would fold.
  std::vector<float> fade(model.frozen.size());
  for (size_t k = 0; k < model.frozen.size(); ++k) {
    const Freeze& frozen = model.frozen[k];
    const float widest = std::max(frozen.fade_px, kMaxFade * model.scale_px);
    // Fattening, a hand moves no farther than its widest fade carries from still background
    // within kFreezeEdgeSlope. Pushed farther by a fattening hip (intensity 2: 60 px where the
    // fade could carry 23), the fade folded at its edge, the repair left lumps in the hip and the
    // thigh beside it changed less than at intensity 1, and the background in the fade (which
    // fattening shows, so that what the hand holds goes with it) bent. Slimming keeps the whole
    // motion: there the hand goes in with the hip, or the hip keeps a bump at the hand.
    if (frozen.rides_along && goal == Goal::kFatter) {
      const float carried = kFreezeEdgeSlope * widest / kSmoothstepSteepest;
      const float moved = static_cast<float>(cv::norm(translation[k]));
      if (moved > carried) translation[k] *= carried / moved;
    }
    float most = 0;
    constexpr int kRing = 24;
    for (int ring = 1; ring <= 2; ++ring) {
      const float radius = frozen.radius_px + 0.5f * static_cast<float>(ring) * frozen.fade_px;
      for (int a = 0; a < kRing; ++a) {
        const cv::Point2f p = on_circle(frozen.center, radius, a, kRing);
        const cv::Point2f d(sample_grid(dx, p, cell_px), sample_grid(dy, p, cell_px));
        most = std::max(most, static_cast<float>(cv::norm(d - translation[k])));
      }
    }
    // Never wider than kMaxFade x scale, so a hand carried far by the torso drags no large disc
    // of background (or the face) along.
    fade[k] = std::clamp(kSmoothstepSteepest * most / kFreezeEdgeSlope, frozen.fade_px, widest);
  }
  const float border_px = still_border_px(image_size);
  cv::Mat keep_map(grid, CV_32F), rigid_dx(grid, CV_32F), rigid_dy(grid, CV_32F);
  cv::parallel_for_(cv::Range(0, grid.height), [&](const cv::Range& rows) {
    for (int j = rows.start; j < rows.end; ++j) {
      for (int i = 0; i < grid.width; ++i) {
        const cv::Point2f p = grid_to_pixel(i, j, cell_px);
        // The face and feet never move, even inside a hand's fade (a hand raised to the chin):
        // what they cover takes no part of the hands' translation.
        float keep = 1.f, riding_sum = 0.f, still = 0.f;
        cv::Point2f rigid_sum(0, 0);
        for (size_t k = 0; k < model.frozen.size(); ++k) {
          const Freeze& frozen = model.frozen[k];
          const float beyond = static_cast<float>(cv::norm(p - frozen.center)) - frozen.radius_px;
          float covered = 1.f - smoothstep01(beyond / std::max(1.f, fade[k]));
          keep = std::min(keep, 1.f - covered);
          if (frozen.rides_along) {
            riding_sum += covered;
            rigid_sum += covered * translation[k];
          } else {
            still = std::max(still, covered);
          }
        }
        const cv::Point2f rigid =
            riding_sum > 0 ? (1.f - still) * rigid_sum / riding_sum : cv::Point2f(0, 0);
        const float border = smoothstep01(distance_to_border(p, image_size) / border_px);
        keep_map.at<float>(j, i) = keep * border;
        rigid_dx.at<float>(j, i) = (1.f - keep) * border * rigid.x;
        rigid_dy.at<float>(j, i) = (1.f - keep) * border * rigid.y;
      }
    }
  });
  FieldGrids out;
  out.hand_motion = translation;
  cv::magnitude(rigid_dx, rigid_dy, out.hand_carry_px);
  out.dx = dx.mul(keep_map) + rigid_dx;
  out.dy = dy.mul(keep_map) + rigid_dy;
  taper_into_the_frame(image_size, cell_px, out.dx, out.dy);
  pin_joints(model, cell_px, out.dx, out.dy, keep_map);
  // The fold repair may give a joint back a little motion where it sits right at a moved outline
  // (a hip landmark on the silhouette's edge): no fold is worth a pixel-exact joint.
  if (repair_folds) {
    out.min_jacobian = enforce_min_jacobian(out.dx, out.dy, keep_map, rigid_dx, rigid_dy, cell_px,
                                            kMinJacobian);
  }
  return out;
}

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
    const float widest_fade = std::max(freeze.fade_px, kMaxFade * model.scale_px);
    return std::isfinite(from_body) &&
           from_body - freeze.radius_px - widest_fade > moves_within;
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

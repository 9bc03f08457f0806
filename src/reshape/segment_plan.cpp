// plan_segment and its helpers: where each segment's contours are and how far each moves.
#include "reshape/segment_plan.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "reshape/gains.h"

namespace bodyshape::reshape {

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

namespace {

// The soft edge slimming carries with the body (Station::edge_margin) is at most this fraction of
// the diagonal, so the band still ends within 3 % of it from the old outline (the acceptance's
// far background).
constexpr float kMaxEdgeMargin = 0.004f;

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

}  // namespace

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

void set_targets(std::vector<PlannedSegment>& planned) {
  for (PlannedSegment& p : planned) {
    for (Station& station : p.stations) station.target = station.shift;
  }
}

}  // namespace bodyshape::reshape

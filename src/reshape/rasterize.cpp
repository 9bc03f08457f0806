// rasterize: the stations of every segment -> one smooth, fold-free backward field on the grid.
#include "reshape/rasterize.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace bodyshape::reshape {
namespace {

constexpr float kStraightArm = 0.52f;  // radians (30 degrees) the elbow may bend in a straight arm

// Segments blend by softmin of their distance in units of their half-width; larger = sharper.
constexpr float kBlendSharpness = 5.f;
// The issue asks for > 0.3 everywhere; a little margin for the bilinear upsampling.
constexpr float kMinJacobian = 0.32f;
// Largest |(d - T) x grad(keep)| at a freeze's edge, and the widest fade (x body scale) that
// may buy it (see rasterize); past that the fold repair smooths what is left.
constexpr float kFreezeEdgeSlope = 0.6f;
// smoothstep's steepest slope over a fade of width w is kSmoothstepSteepest / w.
constexpr float kSmoothstepSteepest = 1.5f;

// The point at step `a` of `count` around a circle.
cv::Point2f on_circle(cv::Point2f center, float radius, int a, int count) {
  const float angle = 2.f * static_cast<float>(CV_PI) * static_cast<float>(a) / count;
  return center + radius * cv::Point2f(std::cos(angle), std::sin(angle));
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


// Every segment's own change, and the torso's under the arms it carries, blended at each grid
// node by a softmin of the node's distance to their axes; not yet smoothed or frozen.
void blend_segments(const std::vector<PlannedSegment>& planned, const BodyModel& model, Goal goal,
                    const std::vector<cv::Point2f>& hand_motion, const cv::Mat& off_body_px,
                    cv::Size grid, cv::Size2f cell_px, cv::Mat& dx, cv::Mat& dy) {
  dx = cv::Mat(grid, CV_32F, cv::Scalar(0));
  dy = cv::Mat(grid, CV_32F, cv::Scalar(0));
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
}

// How far each freeze moves as a whole: the face and feet not at all, a hand with the body's
// motion under its centre (or beside it, below).
std::vector<cv::Point2f> rigid_motion_of_the_freezes(const cv::Mat& dx, const cv::Mat& dy,
                                                     const std::vector<PlannedSegment>& planned,
                                                     const BodyModel& model, cv::Size image_size,
                                                     cv::Size2f cell_px) {
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
  return translation;
}

// Each freeze's fade (px). The freeze blends d * keep + (1 - keep) * T: its edge adds
// (d - T) x grad(keep) to the gradient, so a fixed fade folds where the body next to a hand (or
// the neck under the face) moves much more than the hand itself. Each fade is widened to keep that
// term below kFreezeEdgeSlope; wider would move more background around a hand, narrower would
// fold. Fattening also bounds a hand's `translation` to what its widest fade can carry.
std::vector<float> fades_of_the_freezes(const cv::Mat& dx, const cv::Mat& dy, const BodyModel& model,
                                        Goal goal, cv::Size2f cell_px,
                                        std::vector<cv::Point2f>& translation) {
  std::vector<float> fade(model.frozen.size());
  for (size_t k = 0; k < model.frozen.size(); ++k) {
    const Freeze& frozen = model.frozen[k];
    const float widest = widest_fade_px(frozen, model.scale_px);
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
    fade[k] = std::clamp(kSmoothstepSteepest * most / kFreezeEdgeSlope, frozen.fade_px, widest);
  }
  return fade;
}
}  // namespace

cv::Mat distance_off_body(const cv::Mat& mask_u8, cv::Size grid, cv::Size2f cell_px) {
  cv::Mat body_share;
  cv::resize(mask_u8 >= 128, body_share, grid, 0, 0, cv::INTER_AREA);
  cv::Mat distance;
  cv::distanceTransform(body_share == 0, distance, cv::DIST_L2, cv::DIST_MASK_PRECISE);
  return distance * std::min(cell_px.width, cell_px.height);
}

FieldGrids rasterize(const std::vector<PlannedSegment>& planned, const BodyModel& model, Goal goal,
                     const std::vector<cv::Point2f>& hand_motion, const cv::Mat& off_body_px,
                     cv::Size image_size, cv::Size grid, cv::Size2f cell_px, bool repair_folds) {
  cv::Mat dx, dy;
  blend_segments(planned, model, goal, hand_motion, off_body_px, grid, cell_px, dx, dy);
  // Smooth (sigma = 1 node); then face and feet are frozen, hands translated rigidly by the
  // body's motion under their centre, and the image border held.
  cv::GaussianBlur(dx, dx, cv::Size(5, 5), 1.0, 1.0, cv::BORDER_REPLICATE);
  cv::GaussianBlur(dy, dy, cv::Size(5, 5), 1.0, 1.0, cv::BORDER_REPLICATE);
  std::vector<cv::Point2f> translation =
      rigid_motion_of_the_freezes(dx, dy, planned, model, image_size, cell_px);
  const std::vector<float> fade = fades_of_the_freezes(dx, dy, model, goal, cell_px, translation);
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

}  // namespace bodyshape::reshape

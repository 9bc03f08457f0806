// The body as the planner sees it: skeleton segments from the landmarks and, for cross-sections
// along each segment, where the mask's contour lies on either side, measured perpendicular to it.
// Internal to src/reshape; measure_widths and plan_reshape share it so they measure alike.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <vector>

#include <opencv2/core.hpp>

#include "reshape/gains.h"
#include "reshape/reshape.h"

namespace bodyshape::reshape {

// A landmark counts when the model is at least this sure it is visible (MediaPipe's own demos
// draw landmarks above 0.5).
inline constexpr float kMinVisibility = 0.5f;

// Stations on the torso axis (0 = shoulder line, 1 = hip line) where the widths are read.
inline constexpr float kWaistT = 0.62f;  // between the lowest rib and the iliac crest
inline constexpr float kHipsT = 1.0f;    // hip-joint line: greater trochanters, widest in front view
inline constexpr float kMidThighT = 0.5f;
// Each width is the median over a band of cross-sections this far either side of its station
// (in t): the waist and thigh bands span about 5 % of the torso / thigh length each way, the
// hips' stays close to the hip line, where the width changes fastest along the body.
inline constexpr float kWaistHalfBand = 0.06f, kHipsHalfBand = 0.04f, kMidThighHalfBand = 0.08f;

enum class SegmentKind { kTorso, kNeck, kUpperArm, kForearm, kThigh, kCalf };

struct Segment {
  SegmentKind kind;
  cv::Point2f start, end;   // axis, pixels
  float t_first = 0, t_last = 1;  // the part of the axis that carries cross-sections
  float cap_px = 0;         // contour search limit on each side of the axis
  // Thighs: the side facing the other thigh stops halfway to it (legs may touch).
  cv::Point2f partner_start, partner_end;
  bool has_partner = false;
  // Torso: half the hip-joint and shoulder-joint distances across the axis. Cross-sections keep
  // this core (the skeleton) in place and move only the tissue outside it.
  float hip_core_px = 0, shoulder_core_px = 0;
  // Limbs: whose they are, 0 = the person's left (odd landmarks), 1 = right; -1 torso and neck.
  int side = -1;

  cv::Point2f at(float t) const { return start + t * (end - start); }
  cv::Point2f direction() const;  // unit, start -> end
  cv::Point2f normal() const;     // unit, direction rotated +90 degrees; side 1 = +normal
  cv::Point2f outward(int side) const { return side == 1 ? normal() : -normal(); }
  // The point `distance` px from the axis at t on `side` (a cross-section's contour at its extent).
  cv::Point2f beside(float t, int side, float distance) const {
    return at(t) + distance * outward(side);
  }
  float length() const;
};

struct Freeze {
  cv::Point2f center;
  float radius_px = 0;  // no change inside
  float fade_px = 0;    // then back to full change over this distance
  // Hands: not deformed, but translated rigidly with the body around them (a hand resting on the
  // hip moves with the hip's contour instead of pinning it). Face and feet: not moved at all.
  bool rides_along = false;
  // Hands: the radius that covers the palm alone (wrist and knuckles, not the fingertips
  // estimated past them), for a hand lying on the body whose fingers are tucked out of sight.
  cv::Point2f palm_center;
  float palm_radius_px = 0;
};

struct BodyModel {
  float scale_px = 0;  // shoulder width (or a stand-in): the unit for caps and margins
  std::vector<Segment> segments;
  std::vector<Freeze> frozen;  // face, hands, feet: the person's, then the other people's
  size_t own_freezes = 0;      // how many of `frozen` are the person's
  // Joints the change must not move (visible shoulders, hips, knees): the field is pulled back to
  // zero at each, over kPinRadius x scale_px around it.
  std::vector<cv::Point2f> pinned;
};
inline constexpr float kPinRadius = 0.15f;

// `others`: the other people in the photo (their face, hands and feet are frozen too).
BodyModel build_body_model(const BodyLandmarks& body, cv::Size image_size,
                           std::span<const BodyLandmarks> others = {});

// The mask as 8-bit probability (CV_8U 0..255); CV_32F 0..1 is converted.
cv::Mat mask_to_u8(const cv::Mat& person_mask);

struct CrossSection {
  bool valid = false;            // axis point inside the image and on the body
  std::array<float, 2> extent{};  // distance from the axis to the contour, side 0 = -normal
  std::array<bool, 2> contour{};  // false: the search stopped (cap, image border, partner)
  std::array<bool, 2> at_partner{};  // the search stopped half-way to the other thigh
  std::array<float, 2> gap{};     // free space beyond the contour before the next body part
  std::array<float, 2> blur{};    // how far beyond the contour the mask's soft edge reaches
};

// `hands` (optional): the free space beyond a contour runs through them (a hand is frozen, so the
// change next to it cannot drag it along). `search_px` (optional): how far the contour search
// runs instead of the segment's cap.
CrossSection measure_cross_section(const Segment& segment, float t, const cv::Mat& mask_u8,
                                   const std::vector<Freeze>* hands = nullptr,
                                   float search_px = 0.f);

// How far `p` lies from the frame's edges that `segment`'s axis runs into (those it meets at
// more than 30 degrees off parallel): where the frame cuts across a body part (an arm or a
// waist-up torso running out of the bottom edge). Infinite when the axis runs into none.
float distance_to_frame_across(const Segment& segment, cv::Point2f p, cv::Size image_size);

// Inside a hand's freeze disc (Freeze::rides_along).
bool on_a_hand(const std::vector<Freeze>& frozen, cv::Point2f p);

}  // namespace bodyshape::reshape

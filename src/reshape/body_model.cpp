#include "reshape/body_model.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>

namespace bodyshape::reshape {
namespace {

// BlazePose indices.
constexpr int kNose = 0, kMouthLeft = 9, kMouthRight = 10;
constexpr int kShoulder[2] = {11, 12}, kElbow[2] = {13, 14}, kWrist[2] = {15, 16};
constexpr int kHip[2] = {23, 24}, kKnee[2] = {25, 26}, kAnkle[2] = {27, 28};
constexpr int kHand[2][4] = {{15, 17, 19, 21}, {16, 18, 20, 22}};
constexpr int kFoot[2][3] = {{27, 29, 31}, {28, 30, 32}};

// Contour search caps, in units of the body scale (shoulder width). A relaxed adult's half-widths
// are about 0.3-0.5 (torso), 0.2 (thigh), 0.12 (upper arm); the caps leave room for arms resting
// against the torso, clothing and heavier bodies, but stop a search running along a raised arm.
// A thigh whose partner is hidden behind it (a side view) spans both legs: half-widths of 0.42-0.46
// (woman_with_dog_field), which fattened by the most (30 %) need 0.6.
constexpr float kTorsoCap = 0.9f, kNeckCap = 0.3f, kUpperArmCap = 0.3f, kForearmCap = 0.22f;
constexpr float kThighCap = 0.6f, kCalfCap = 0.3f;
// How far beyond a contour to look for the next body part (the free space the push band may use).
constexpr float kGapSearch = 0.4f;

float distance(cv::Point2f a, cv::Point2f b) { return static_cast<float>(cv::norm(a - b)); }

uint8_t mask_at(const cv::Mat& mask, cv::Point2f p) {
  const int x = static_cast<int>(std::lround(p.x)), y = static_cast<int>(std::lround(p.y));
  return mask.at<uint8_t>(y, x);
}

bool inside(const cv::Mat& mask, cv::Point2f p) {
  return p.x >= 0 && p.y >= 0 && p.x <= static_cast<float>(mask.cols - 1) &&
         p.y <= static_cast<float>(mask.rows - 1);
}

constexpr uint8_t kOnBody = 128;  // probability 0.5
constexpr uint8_t kOffBody = 13;  // 0.05: past the soft edge

// A body the frame cuts off (a chest-up portrait's sides) ends in the mask a few pixels short of
// the image's edge, where the segmentation's soft edge meets the border: no outline, and no room
// to move one. A contour this close to the edge (fraction of the image's long side; the field is
// held still over about as wide a band at the border) is the frame's.
constexpr float kFrameMargin = 0.015f;

}  // namespace

float distance_to_frame_across(const Segment& segment, cv::Point2f p, cv::Size image_size) {
  constexpr float kRunsInto = 0.5f;  // |cos| of the angle between the axis and the edge's normal
  const cv::Point2f along = segment.direction();
  const float right = static_cast<float>(image_size.width - 1);
  const float bottom = static_cast<float>(image_size.height - 1);
  float distance = INFINITY;
  if (std::abs(along.x) > kRunsInto) distance = std::min({distance, p.x, right - p.x});
  if (std::abs(along.y) > kRunsInto) distance = std::min({distance, p.y, bottom - p.y});
  return distance;
}

cv::Point2f Segment::direction() const {
  const cv::Point2f axis = end - start;
  const float length = std::max(1e-6f, static_cast<float>(cv::norm(axis)));
  return axis / length;
}

cv::Point2f Segment::normal() const {
  const cv::Point2f u = direction();
  return {-u.y, u.x};
}

float Segment::length() const { return distance(start, end); }

namespace {

bool seen(const BodyLandmarks& body, int i) {
  return body.visibility[i] >= kMinVisibility && std::isfinite(body.px[i].x) &&
         std::isfinite(body.px[i].y);
}

cv::Point2f midpoint(const BodyLandmarks& body, int a, int b) {
  return 0.5f * (body.px[a] + body.px[b]);
}

// Shoulder line to hip line (0 without both shoulders seen). Hidden hips are still predicted
// (below an upper-body photo's edge) and count.
float torso_length_px(const BodyLandmarks& body) {
  const bool shoulders = seen(body, kShoulder[0]) && seen(body, kShoulder[1]);
  const bool hips_known = std::isfinite(body.px[kHip[0]].x) && std::isfinite(body.px[kHip[1]].x);
  if (!shoulders || !hips_known) return 0.f;
  return distance(midpoint(body, kShoulder[0], kShoulder[1]), midpoint(body, kHip[0], kHip[1]));
}

// Shoulder width; side views have narrow shoulders in the image, so never less than 0.6 x torso
// length (adult biacromial width / shoulder-hip distance is about 0.75-0.85).
float body_scale_px(const BodyLandmarks& body, cv::Size image_size) {
  const bool shoulders = seen(body, kShoulder[0]) && seen(body, kShoulder[1]);
  float scale = shoulders ? distance(body.px[kShoulder[0]], body.px[kShoulder[1]]) : 0.f;
  scale = std::max(scale, 0.6f * torso_length_px(body));
  const float diagonal = static_cast<float>(std::hypot(image_size.width, image_size.height));
  return scale > 1.f ? scale : 0.1f * diagonal;
}

// Face: the box around landmarks 0-10, generously enlarged so the jaw, hair line and ears stay
// out of the change (the acceptance box is the same box enlarged 20 %).
Freeze face_freeze(const BodyLandmarks& body, float scale) {
  cv::Point2f lo = body.px[kNose], hi = body.px[kNose];
  for (int i = 0; i <= kMouthRight; ++i) {
    lo = {std::min(lo.x, body.px[i].x), std::min(lo.y, body.px[i].y)};
    hi = {std::max(hi.x, body.px[i].x), std::max(hi.y, body.px[i].y)};
  }
  const float half_diagonal = 0.5f * distance(lo, hi);
  const float radius = std::max(1.5f * half_diagonal, 0.25f * scale);
  Freeze face;
  face.center = 0.5f * (lo + hi);
  face.radius_px = radius;
  face.fade_px = std::max(0.5f * radius, 0.1f * scale);
  return face;
}

// The parts of `body` that never change shape: the face and feet (still) and the seen hands
// (riding along with the body under them).
void add_freezes(const BodyLandmarks& body, float scale, std::vector<Freeze>& frozen) {
  frozen.push_back(face_freeze(body, scale));
  // A disc around `points` (radius: `spread` x the farthest from `center`, plus a margin).
  auto freeze_disc = [&](cv::Point2f center, std::initializer_list<cv::Point2f> points,
                         float spread, bool rides_along) {
    float radius = 0;
    for (const cv::Point2f& p : points) radius = std::max(radius, distance(center, p));
    Freeze disc;
    disc.center = center;
    disc.radius_px = spread * radius + 0.05f * scale;
    disc.fade_px = 0.15f * scale;
    disc.rides_along = rides_along;
    frozen.push_back(disc);
  };
  for (int side = 0; side < 2; ++side) {
    // The hand's landmarks are the wrist and the knuckles; the fingers reach about as far again
    // past the knuckles (0.8 x wrist -> knuckles), so the disc covers that estimated tip too.
    // A hand the model does not see (behind the dog it hugs, in a pocket, below the frame) is a
    // guess: there is no hand to keep, and carrying what lies at the guess (the dog, the torso of
    // a side view) with the body would drag it along.
    const int* hand = kHand[side];
    const cv::Point2f wrist = body.px[hand[0]];
    const cv::Point2f knuckles = 0.5f * (body.px[hand[1]] + body.px[hand[2]]);
    const cv::Point2f tip = knuckles + 0.8f * (knuckles - wrist);
    const cv::Point2f pinky = body.px[hand[1]], index = body.px[hand[2]], thumb = body.px[hand[3]];
    if (seen(body, hand[0])) {
      freeze_disc(0.5f * (wrist + tip), {wrist, pinky, index, thumb, tip}, 1.15f, true);
      Freeze& disc = frozen.back();
      disc.palm_center = 0.5f * (wrist + knuckles);
      for (const cv::Point2f& p : {wrist, pinky, index, thumb}) {
        disc.palm_radius_px = std::max(disc.palm_radius_px, distance(disc.palm_center, p));
      }
      disc.palm_radius_px = 1.15f * disc.palm_radius_px + 0.05f * scale;
    }
    const int* foot = kFoot[side];
    const cv::Point2f heel = body.px[foot[1]], toe = body.px[foot[2]], ankle = body.px[foot[0]];
    freeze_disc((ankle + heel + toe) * (1.f / 3.f), {ankle, heel, toe}, 1.3f, false);
  }
}

}  // namespace

BodyModel build_body_model(const BodyLandmarks& body, cv::Size image_size,
                           std::span<const BodyLandmarks> others) {
  BodyModel model;
  auto visible = [&](int i) { return seen(body, i); };
  auto mid = [&](int a, int b) { return midpoint(body, a, b); };

  const bool shoulders = visible(kShoulder[0]) && visible(kShoulder[1]);
  const bool hips_known = std::isfinite(body.px[kHip[0]].x) && std::isfinite(body.px[kHip[1]].x);
  const cv::Point2f shoulder_mid = mid(kShoulder[0], kShoulder[1]);
  const cv::Point2f hip_mid = mid(kHip[0], kHip[1]);
  const float torso_length = torso_length_px(body);
  const float scale = body_scale_px(body, image_size);
  model.scale_px = scale;

  auto add = [&](SegmentKind kind, cv::Point2f start, cv::Point2f end, float t_first, float t_last,
                 float cap, int side = -1) {
    if (distance(start, end) < 2.f) return;
    Segment segment{kind, start, end, t_first, t_last, cap * scale, {}, {}, false};
    segment.side = side;
    model.segments.push_back(segment);
  };

  if (shoulders && hips_known && torso_length > 2.f) {
    add(SegmentKind::kTorso, shoulder_mid, hip_mid, 0.08f, 1.06f, kTorsoCap);
    Segment& torso = model.segments.back();
    torso.hip_core_px =
        0.5f * std::abs((body.px[kHip[0]] - body.px[kHip[1]]).dot(torso.normal()));
    torso.shoulder_core_px =
        0.5f * std::abs((body.px[kShoulder[0]] - body.px[kShoulder[1]]).dot(torso.normal()));
  }
  if (shoulders && visible(kMouthLeft) && visible(kMouthRight)) {
    add(SegmentKind::kNeck, shoulder_mid, mid(kMouthLeft, kMouthRight), 0.2f, 0.65f, kNeckCap);
  }
  for (int side = 0; side < 2; ++side) {
    if (visible(kShoulder[side]) && visible(kElbow[side])) {
      add(SegmentKind::kUpperArm, body.px[kShoulder[side]], body.px[kElbow[side]], 0.15f, 1.f,
          kUpperArmCap, side);
    }
    if (visible(kElbow[side]) && visible(kWrist[side])) {
      add(SegmentKind::kForearm, body.px[kElbow[side]], body.px[kWrist[side]], 0.f, 0.95f,
          kForearmCap, side);
    }
    if (visible(kKnee[side]) && visible(kAnkle[side])) {
      add(SegmentKind::kCalf, body.px[kKnee[side]], body.px[kAnkle[side]], 0.f, 0.95f, kCalfCap,
          side);
    }
  }
  const bool thigh_visible[2] = {visible(kHip[0]) && visible(kKnee[0]),
                                 visible(kHip[1]) && visible(kKnee[1])};
  for (int side = 0; side < 2; ++side) {
    if (!thigh_visible[side]) continue;
    add(SegmentKind::kThigh, body.px[kHip[side]], body.px[kKnee[side]], 0.05f, 1.f, kThighCap,
        side);
    if (thigh_visible[1 - side] && !model.segments.empty() &&
        model.segments.back().kind == SegmentKind::kThigh) {
      Segment& thigh = model.segments.back();
      thigh.partner_start = body.px[kHip[1 - side]];
      thigh.partner_end = body.px[kKnee[1 - side]];
      thigh.has_partner = true;
    }
  }

  for (int joint : {kShoulder[0], kShoulder[1], kHip[0], kHip[1], kKnee[0], kKnee[1]}) {
    const cv::Point2f p = body.px[joint];
    if (visible(joint) && p.x >= 0 && p.y >= 0 && p.x < static_cast<float>(image_size.width) &&
        p.y < static_cast<float>(image_size.height)) {
      model.pinned.push_back(p);
    }
  }

  add_freezes(body, scale, model.frozen);
  model.own_freezes = model.frozen.size();
  // The other people's face, hands and feet stay as the person's own do: a head leaning on the
  // shoulder is not pulled in with the background when it slims, nor covered by the shoulder
  // when it fattens; a hand on the waist rides along with it. The detector may find the same
  // body twice (woman_with_dog_field: a second box whose nose, shoulders and hips lie within
  // 2-19 px of the first's): that is no one else, and its guessed hands (behind the dog) would
  // carry the dog along with the body.
  for (const BodyLandmarks& other : others) {
    constexpr float kSameBody = 0.5f;  // mean distance of nose, shoulders and hips / scale
    float apart = 0;
    for (int i : {kNose, kShoulder[0], kShoulder[1], kHip[0], kHip[1]}) {
      apart += distance(other.px[i], body.px[i]) / 5.f;
    }
    if (!(apart >= kSameBody * scale)) continue;
    add_freezes(other, body_scale_px(other, image_size), model.frozen);
  }
  return model;
}

cv::Mat mask_to_u8(const cv::Mat& person_mask) {
  if (person_mask.type() == CV_8UC1) return person_mask;
  cv::Mat converted;
  person_mask.convertTo(converted, CV_8U, 255.0);
  return converted;
}

bool on_a_hand(const std::vector<Freeze>& frozen, cv::Point2f p) {
  for (const Freeze& hand : frozen) {
    if (hand.rides_along && cv::norm(p - hand.center) < hand.radius_px) return true;
  }
  return false;
}

CrossSection measure_cross_section(const Segment& segment, float t, const cv::Mat& mask_u8,
                                   const std::vector<Freeze>* hands, float search_px) {
  CrossSection section;
  const cv::Point2f origin = segment.at(t);
  if (!inside(mask_u8, origin) || mask_at(mask_u8, origin) < kOnBody) return section;
  const cv::Point2f normal = segment.normal();
  const float gap_search = kGapSearch / kTorsoCap * segment.cap_px;
  const float frame_margin =
      std::max(3.f, kFrameMargin * static_cast<float>(std::max(mask_u8.cols, mask_u8.rows)));

  for (int side = 0; side < 2; ++side) {
    const cv::Point2f step = side == 0 ? -normal : normal;
    float cap = search_px > 0.f ? search_px : segment.cap_px;
    bool partner_cap = false;
    if (segment.has_partner) {
      const cv::Point2f partner =
          segment.partner_start + t * (segment.partner_end - segment.partner_start);
      const float toward = (partner - origin).dot(step);
      if (toward > 0 && 0.5f * toward < cap) cap = 0.5f * toward, partner_cap = true;
    }
    float extent = cap;
    bool contour = false;
    float previous_value = mask_at(mask_u8, origin);
    for (float r = 1.f; r <= cap; r += 1.f) {
      const cv::Point2f p = origin + r * step;
      if (!inside(mask_u8, p)) {
        extent = r - 1.f;
        break;
      }
      const float value = mask_at(mask_u8, p);
      if (value < kOnBody) {
        // Sub-pixel crossing of the 0.5 level between the last two samples.
        const float fraction = (previous_value - kOnBody) / std::max(1.f, previous_value - value);
        extent = r - 1.f + std::clamp(fraction, 0.f, 1.f);
        contour = true;
        break;
      }
      previous_value = value;
    }
    if (contour && !inside(mask_u8, origin + (extent + frame_margin) * step)) contour = false;
    section.extent[side] = extent;
    section.contour[side] = contour;
    section.at_partner[side] = !contour && partner_cap && extent >= cap - 1.f;
    float gap = gap_search, blur = -1.f;
    if (contour) {
      for (float r = std::ceil(extent) + 1.f; r <= extent + gap_search; r += 1.f) {
        const cv::Point2f p = origin + r * step;
        if (!inside(mask_u8, p)) break;  // the image border: free space as far as the field goes
        const uint8_t value = mask_at(mask_u8, p);
        if (blur < 0.f && value < kOffBody) blur = r - extent;
        if (value >= kOnBody && !(hands && on_a_hand(*hands, p))) {
          gap = r - extent;
          break;
        }
      }
    }
    section.gap[side] = gap;
    section.blur[side] = blur < 0.f ? 0.f : std::min(blur, gap);
  }
  section.valid = true;
  return section;
}

}  // namespace bodyshape::reshape

// The acceptance on the shared photos, with the official MediaPipe landmarks and mask.
// Widths are measured on the input mask warped by the same field (measure_widths); once the person
// pipeline lands, the lead re-runs it on the output instead.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <vector>

#include <gtest/gtest.h>

#include "reshape_testdata.h"

namespace bodyshape::reshape {
namespace {

using testdata::evaluate;
using testdata::load_reference_photo;
using testdata::median_of;
using testdata::Quality;

constexpr Goal kGoals[] = {Goal::kSlimmer, Goal::kFatter};
constexpr Gender kGenders[] = {Gender::kMale, Gender::kFemale};

// The body's outline on the left of row y: the first on-body pixel (mask >= 0.5) at or right of
// x_from; nullopt when the row has none.
std::optional<cv::Point2f> left_outline(const cv::Mat& mask_u8, int y, int x_from) {
  const uint8_t* row = mask_u8.ptr<uint8_t>(y);
  for (int x = std::max(0, x_from); x < mask_u8.cols; ++x) {
    if (row[x] >= 128) return cv::Point2f(static_cast<float>(x), static_cast<float>(y));
  }
  return std::nullopt;
}

// The deepest dip along an outline's moves (row by row): how far a row's move falls below the
// smaller of the largest moves above and below it. A dent (fattening) or a bump (slimming) that
// the outline would otherwise show as one curve.
double deepest_dip(const std::vector<double>& moves) {
  double dip = 0;
  for (size_t i = 0; i < moves.size(); ++i) {
    const double above = *std::max_element(moves.begin(), moves.begin() + i + 1);
    const double below = *std::max_element(moves.begin() + i, moves.end());
    dip = std::max(dip, std::min(above, below) - moves[i]);
  }
  return dip;
}

std::string label(const std::string& name, Goal goal, Gender gender) {
  return name + (goal == Goal::kSlimmer ? " best " : " worst ") +
         (gender == Gender::kMale ? "male" : "female");
}

// Full body, front-ish view, hands away from the hips: the whole width acceptance holds.
// (Other photos: see bench/reshape.cpp's report and src/reshape/README.md for where and why
// the measured change falls short: folded arms cover the waist, wide stances.)
TEST(ReshapePhotos, WidthsChangeAsAskedWithTheGendersProfile) {
  const auto photo = load_reference_photo("man_baseball_batter");
  ASSERT_TRUE(photo);
  for (Goal goal : kGoals) {
    for (Gender gender : kGenders) {
      const Quality q = evaluate(*photo, {goal, gender, 1.f});
      const auto [waist, hips, thigh] = width_changes(q.before, q.after);
      const double lo = goal == Goal::kSlimmer ? -0.20 : 0.10;
      const double hi = goal == Goal::kSlimmer ? -0.08 : 0.30;
      SCOPED_TRACE(label(photo->name, goal, gender));
      for (double change : {waist, hips, thigh}) {
        EXPECT_GE(change, lo);
        EXPECT_LE(change, hi);
      }
      if (gender == Gender::kMale) {
        EXPECT_GE(std::abs(waist), 1.3 * std::abs(hips));
      } else {
        EXPECT_GE(std::abs(hips), 1.3 * std::abs(waist));
        EXPECT_GE(std::abs(thigh), 1.3 * std::abs(waist));
      }
    }
  }
}

TEST(ReshapePhotos, IntensityTwoIsAboutTwiceTheChange) {
  const auto photo = load_reference_photo("man_baseball_batter");
  ASSERT_TRUE(photo);
  for (Goal goal : kGoals) {
    const Quality one = evaluate(*photo, {goal, Gender::kMale, 1.f});
    const Quality two = evaluate(*photo, {goal, Gender::kMale, 2.f});
    const double ratio = width_changes(two.before, two.after).waist /
                         width_changes(one.before, one.after).waist;
    // Not exactly 2: slimming stops at the free space next to the body, smoothing shaves peaks.
    EXPECT_GE(ratio, 1.5);
    EXPECT_LE(ratio, 2.3);
    EXPECT_GT(two.min_jacobian, 0.3);
  }
}

// Every photo with a person: face and far background untouched, skeleton in place, no folds.
TEST(ReshapePhotos, FaceBackgroundSkeletonAndFoldsOnEveryPhoto) {
  for (const std::string& name : testdata::reference_photos_with_person()) {
    const auto photo = load_reference_photo(name);
    ASSERT_TRUE(photo) << name;
    for (Goal goal : kGoals) {
      for (Gender gender : kGenders) {
        SCOPED_TRACE(label(name, goal, gender));
        cv::Mat after;
        const Quality q = evaluate(*photo, {goal, gender, 1.f}, &after);
        EXPECT_EQ(after.size(), photo->rgb.size());
        EXPECT_GE(q.face_psnr_db, 45.0);
        // Close-ups included: the reach caps keep background beyond 3 % of the diagonal exact.
        EXPECT_GE(q.background_psnr_db, 40.0);
        EXPECT_GT(q.min_jacobian, 0.3);
        // Skeleton points on the torso/leg axes (the limbs' joints may be carried by a growing
        // torso), on every photo: the squat, the side view and the seated office worker included.
        for (int i : {0, 11, 12, 23, 24, 25, 26, 27, 28}) {
          if (!std::isnan(q.landmark_shift[i])) {
            EXPECT_LE(q.landmark_shift[i], 0.01) << "landmark " << i;
          }
        }
      }
    }
  }
}

// Where the torso's last cross-sections and the thigh's first meet, the body goes on past both:
// a squat's buttock lies behind the hip joint. Fattening must move that outline as one curve,
// without a dip between the torso's change and the thigh's (a notch under the buttock).
TEST(ReshapePhotos, SquatButtockGrowsWithoutANotch) {
  const auto photo = load_reference_photo("exif_orientation6_woman_squat");
  ASSERT_TRUE(photo);
  auto field = plan_reshape(photo->body, photo->mask, photo->rgb.size(),
                            {Goal::kFatter, Gender::kFemale, 1.f});
  ASSERT_TRUE(field.ok()) << field.error().message;
  const float hip_y = 0.5f * (photo->body.px[23].y + photo->body.px[24].y);
  const float knee_y = 0.5f * (photo->body.px[25].y + photo->body.px[26].y);
  const float shoulder_y = 0.5f * (photo->body.px[11].y + photo->body.px[12].y);
  // The outline on the buttock's side (image left here), from the waist to mid-thigh height.
  std::vector<double> moves;
  for (int y = static_cast<int>(hip_y - 0.3f * (hip_y - shoulder_y));
       y <= static_cast<int>(hip_y + 0.5f * (knee_y - hip_y)); y += 4) {
    const std::optional<cv::Point2f> edge = left_outline(photo->mask, y, 0);
    if (edge) moves.push_back(cv::norm(field->forward(*edge) - *edge));
  }
  ASSERT_GE(moves.size(), 10u);
  const double median = median_of(moves);
  EXPECT_GT(median, 5.0);
  // Measured: the smallest move is 0.38 x the median with the notch, 0.74 x without it.
  EXPECT_GE(*std::min_element(moves.begin(), moves.end()), 0.6 * median);
}

// A hand hanging against the hip: fattening grows the hip beside it in one smooth curve, pushing
// the hand out, instead of holding the outline back around the hand in a dent.
TEST(ReshapePhotos, GrowingHipPushesTheHandOut) {
  const auto photo = load_reference_photo("woman_standing_front_studio");
  ASSERT_TRUE(photo);
  for (Gender gender : kGenders) {
    SCOPED_TRACE(label(photo->name, Goal::kFatter, gender));
    auto field = plan_reshape(photo->body, photo->mask, photo->rgb.size(),
                              {Goal::kFatter, gender, 1.f});
    ASSERT_TRUE(field.ok()) << field.error().message;
    // The hip's outline on the image's left (the person's right hand hangs there), from above the
    // wrist to well below the finger tips, searched from 25 px right of the wrist so the hand's
    // own outline is never taken for the hip's.
    const cv::Point2f wrist = photo->body.px[16], index = photo->body.px[20];
    std::vector<double> moves;
    for (int y = static_cast<int>(wrist.y) - 40; y <= static_cast<int>(index.y) + 120; y += 4) {
      const std::optional<cv::Point2f> edge =
          left_outline(photo->mask, y, static_cast<int>(wrist.x) + 25);
      if (edge) moves.push_back(-(field->forward(*edge) - *edge).x);
    }
    // The deepest dent. Measured: 7.5 px (male) when the hand moved with its centre, < 1 px now.
    EXPECT_LE(deepest_dip(moves), 2.0);
    EXPECT_GT(field->min_jacobian, 0.3f);
  }
}

// The same hand at intensity 2: the hip beside it pushes it out twice as far, farther than the
// hand's widest fade carries from the still background around it. The fade folded, the repair
// left lumps, and widths changed less than at intensity 1 or barely more (before the hand's move
// was capped at what its fade carries, at 1 -> 2: male waist +26.1 -> +29.2 %, thigh +18.7 ->
// +17.0 %; female thigh +26.6 -> +25.2 %; now male waist / hips / thigh +26.1 / +19.0 / +18.7 ->
// +50.6 / +24.1 / +34.1 %, female waist / hips +13.3 / +23.5 -> +22.7 / +30.4 %). Fattening twice
// as much must change every width more than once.
TEST(ReshapePhotos, FatteningTwiceAsMuchBesideAHandChangesMore) {
  const auto photo = load_reference_photo("woman_standing_front_studio");
  ASSERT_TRUE(photo);
  for (Gender gender : kGenders) {
    SCOPED_TRACE(label(photo->name, Goal::kFatter, gender));
    const Quality one = evaluate(*photo, {Goal::kFatter, gender, 1.f});
    const Quality two = evaluate(*photo, {Goal::kFatter, gender, 2.f});
    const WidthChanges at_one = width_changes(one.before, one.after);
    const WidthChanges at_two = width_changes(two.before, two.after);
    std::printf("%s: waist %+.1f -> %+.1f, hips %+.1f -> %+.1f, thigh %+.1f -> %+.1f %%\n",
                gender == Gender::kMale ? "male" : "female", 100 * at_one.waist,
                100 * at_two.waist, 100 * at_one.hips, 100 * at_two.hips, 100 * at_one.thigh,
                100 * at_two.thigh);
    // Each width measurable at both (a thigh fattened by half may run past its search).
    int compared = 0;
    for (const auto& [once, twice] : {std::pair{at_one.waist, at_two.waist},
                                      std::pair{at_one.hips, at_two.hips},
                                      std::pair{at_one.thigh, at_two.thigh}}) {
      if (std::isnan(once) || std::isnan(twice)) continue;
      EXPECT_GT(twice, 1.2 * once);
      ++compared;
    }
    EXPECT_GE(compared, 2);
    EXPECT_GT(two.min_jacobian, 0.3);
  }
}

// The same hand when slimming: the hip beside it slims in one smooth curve and takes the hand in
// with it, rigidly, instead of keeping a third of its change at the hand (a bump). Where the hand
// merges with the hip in the mask, the hip's own outline is the straight line between the rows
// just above and just below the hand.
TEST(ReshapePhotos, ShrinkingHipTakesTheHandIn) {
  const auto photo = load_reference_photo("woman_standing_front_studio");
  ASSERT_TRUE(photo);
  const cv::Point2f wrist = photo->body.px[16], index = photo->body.px[20];
  const int top = static_cast<int>(wrist.y) - 60, bottom = static_cast<int>(index.y) + 80;
  std::vector<cv::Point2f> hip;  // the hip's outline, row by row from top to bottom
  std::vector<bool> at_hand;
  // Searched from 25 px right of the wrist, past the forearm: a row that is on the body right
  // there is one where the hand touches the hip.
  const int x_from = static_cast<int>(wrist.x) + 25;
  for (int y = top; y <= bottom; ++y) {
    const std::optional<cv::Point2f> edge = left_outline(photo->mask, y, x_from);
    ASSERT_TRUE(edge);
    hip.push_back(*edge);
    at_hand.push_back(edge->x <= static_cast<float>(x_from) + 1.f);
  }
  // From the first row to the last that is clear of the hand (the forearm may reach x_from above).
  while (!hip.empty() && at_hand.front()) hip.erase(hip.begin()), at_hand.erase(at_hand.begin());
  while (!hip.empty() && at_hand.back()) hip.pop_back(), at_hand.pop_back();
  ASSERT_GE(hip.size(), 60u);
  for (size_t i = 0; i < hip.size(); ++i) {
    if (!at_hand[i]) continue;
    size_t a = i, b = i;
    while (at_hand[a]) --a;
    while (at_hand[b]) ++b;
    const float w = static_cast<float>(i - a) / static_cast<float>(b - a);
    hip[i].x = (1 - w) * hip[a].x + w * hip[b].x;
  }
  for (float intensity : {1.f, 2.f}) {
    for (Gender gender : kGenders) {
      SCOPED_TRACE(label(photo->name, Goal::kSlimmer, gender) + " x" + std::to_string(intensity));
      auto field = plan_reshape(photo->body, photo->mask, photo->rgb.size(),
                                {Goal::kSlimmer, gender, intensity});
      ASSERT_TRUE(field.ok()) << field.error().message;
      std::vector<double> moves;  // inward (+x)
      for (size_t i = 0; i < hip.size(); i += 4) moves.push_back((field->forward(hip[i]) - hip[i]).x);
      // The deepest bump against the median move. Measured: 0.9-1.7 x the median when the hand
      // stayed (6-14 px), 0.03-0.12 x now.
      const double median = median_of(moves);
      EXPECT_GT(median, 5.0);
      EXPECT_LE(deepest_dip(moves), 0.2 * median) << "median inward move " << median;
      // The hand moves in with the hip, as one piece.
      const cv::Point2f hand_move = field->forward(wrist) - wrist;
      EXPECT_GT(hand_move.x, 0.5 * moves.front());
      for (int i : {18, 20, 22}) {
        const cv::Point2f p = photo->body.px[i];
        EXPECT_LT(cv::norm((field->forward(p) - p) - hand_move), 0.5) << "hand landmark " << i;
      }
      EXPECT_GT(field->min_jacobian, 0.3f);
    }
  }
}

TEST(ReshapePhotos, IntensityZeroIsBitIdentical) {
  for (const char* name : {"woman_standing_front_studio", "three_people_office"}) {
    const auto photo = load_reference_photo(name);
    ASSERT_TRUE(photo);
    auto field = plan_reshape(photo->body, photo->mask, photo->rgb.size(),
                              {Goal::kFatter, Gender::kFemale, 0.f});
    ASSERT_TRUE(field.ok());
    EXPECT_EQ(cv::norm(render_reshape(photo->rgb, *field), photo->rgb, cv::NORM_INF), 0.0);
  }
}

TEST(ReshapePhotos, UpperBodyPhotosChangeOnlyWhatIsVisible) {
  const auto photo = load_reference_photo("woman_upper_body_smiling");  // hips not visible
  ASSERT_TRUE(photo);
  const BodyWidths widths = measure_widths(photo->body, photo->mask);
  EXPECT_FALSE(widths.hips_px.has_value());
  EXPECT_FALSE(widths.thigh_px.has_value());
  const Quality q = evaluate(*photo, {Goal::kFatter, Gender::kFemale, 2.f});
  EXPECT_GE(q.face_psnr_db, 45.0);
  EXPECT_GT(q.min_jacobian, 0.3);
}

}  // namespace
}  // namespace bodyshape::reshape

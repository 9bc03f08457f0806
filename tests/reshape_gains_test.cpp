// The region table's profile: sex-specific fat distribution and the goal's sign.
#include <gtest/gtest.h>

#include "reshape/gains.h"

namespace bodyshape::reshape {
namespace {

float gain(Goal goal, Gender gender, Region region) { return region_gain(goal, gender, region); }

TEST(ReshapeGains, SignFollowsGoal) {
  for (int r = 0; r < kRegionCount; ++r) {
    for (Gender gender : {Gender::kMale, Gender::kFemale}) {
      EXPECT_LT(gain(Goal::kSlimmer, gender, static_cast<Region>(r)), 0.f);
      EXPECT_GT(gain(Goal::kFatter, gender, static_cast<Region>(r)), 0.f);
    }
  }
}

TEST(ReshapeGains, MaleIsAndroidFemaleIsGynoid) {
  for (Goal goal : {Goal::kSlimmer, Goal::kFatter}) {
    auto m = [&](Region r) { return std::abs(gain(goal, Gender::kMale, r)); };
    auto f = [&](Region r) { return std::abs(gain(goal, Gender::kFemale, r)); };
    // Android: belly first, then chest; waist >= 1.3x hips (the acceptance ratio).
    EXPECT_GE(m(Region::kWaist), 1.3f * m(Region::kHips));
    EXPECT_GT(m(Region::kWaist), m(Region::kChest));
    EXPECT_GT(m(Region::kNeck), f(Region::kNeck));
    // Gynoid: hips and thighs >= 1.3x waist, upper arms before forearms.
    EXPECT_GE(f(Region::kHips), 1.3f * f(Region::kWaist));
    EXPECT_GE(f(Region::kThighs), 1.3f * f(Region::kWaist));
    EXPECT_GT(f(Region::kUpperArms), f(Region::kForearms));
    EXPECT_GT(f(Region::kHips), m(Region::kHips));
  }
}

TEST(ReshapeGains, ExtremitiesChangeLittle) {
  for (Goal goal : {Goal::kSlimmer, Goal::kFatter}) {
    for (Gender gender : {Gender::kMale, Gender::kFemale}) {
      const float biggest = std::max({std::abs(gain(goal, gender, Region::kWaist)),
                                      std::abs(gain(goal, gender, Region::kHips))});
      EXPECT_LE(std::abs(gain(goal, gender, Region::kCalves)), 0.4f * biggest);
      EXPECT_LE(std::abs(gain(goal, gender, Region::kForearms)), 0.4f * biggest);
    }
  }
  EXPECT_LT(kEndTaper, kJointTaper);
  EXPECT_LT(kJointTaper, 0.5f);
}

TEST(ReshapeGains, NamesAreDistinct) {
  for (int a = 0; a < kRegionCount; ++a) {
    for (int b = a + 1; b < kRegionCount; ++b) {
      EXPECT_NE(region_name(static_cast<Region>(a)), region_name(static_cast<Region>(b)));
    }
  }
}

}  // namespace
}  // namespace bodyshape::reshape

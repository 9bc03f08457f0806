#include "reshape/gains.h"

namespace bodyshape::reshape {
namespace {

// Relative width change at intensity 1 (magnitude; the goal gives the sign).
//
// Ordering between regions (which change first and most) follows the sex-specific fat
// distribution: android pattern (men): abdomen/belly first, then chest, shoulders, nape of the
// neck; gynoid pattern (women): hips, thighs, buttocks, then waist and upper arms.
//   - Vague J., "The degree of masculine differentiation of obesities", Am J Clin Nutr 4:20 (1956).
//   - Karastergiou K. et al., "Sex differences in human adipose tissues - the biology of pear
//     shape", Biol Sex Differ 3:13 (2012).
//   - ../shared/RESHAPE-NOTES.md ("Sex-specific fat distribution").
// Magnitudes are a product choice: at intensity 1 the width change a user sees (measured by
// re-running the person pipeline on the output, perpendicular to the axis) must land in 8-20 %
// (slimmer) / 10-30 % (fatter) at waist, hips and mid-thigh (issue's acceptance), the dominant
// region at least 1.3x the other. The planner's calibration realises each entry in the image as
// far as bone, free space and the fold bound allow; the entries were set so that the medians over
// the shared photos sit mid-window (src/reshape/README.md lists them). Gaining is a little larger
// than losing, as fat gain in adults is not limited by the lean body underneath; the hip line's
// slimming is held back by the pelvis (the hip joints stay), so its entry is larger than the
// change it yields. Calves and forearms carry little fat in either pattern.
//
//                          neck  chest waist hips  thighs calves u.arms forearms
constexpr std::array<std::array<float, kRegionCount>, 4> kGainTable = {{
    /* slimmer, male   */ {0.06f, 0.11f, 0.20f, 0.13f, 0.17f, 0.05f, 0.10f, 0.05f},
    /* slimmer, female */ {0.04f, 0.08f, 0.12f, 0.23f, 0.215f, 0.06f, 0.12f, 0.05f},
    /* fatter,  male   */ {0.08f, 0.12f, 0.26f, 0.13f, 0.20f, 0.06f, 0.10f, 0.05f},
    /* fatter,  female */ {0.04f, 0.08f, 0.13f, 0.26f, 0.295f, 0.08f, 0.14f, 0.05f},
}};

}  // namespace

std::string_view region_name(Region region) {
  switch (region) {
    case Region::kNeck: return "neck";
    case Region::kChest: return "chest";
    case Region::kWaist: return "waist";
    case Region::kHips: return "hips";
    case Region::kThighs: return "thighs";
    case Region::kCalves: return "calves";
    case Region::kUpperArms: return "upper_arms";
    case Region::kForearms: return "forearms";
  }
  return "?";
}

float region_gain(Goal goal, Gender gender, Region region) {
  const int row = (goal == Goal::kFatter ? 2 : 0) + (gender == Gender::kFemale ? 1 : 0);
  const float magnitude = kGainTable[row][static_cast<int>(region)];
  return goal == Goal::kFatter ? magnitude : -magnitude;
}

}  // namespace bodyshape::reshape

// The one table of per-region width changes (relative change of the body's width across the
// region at intensity 1), by goal and gender. Tests assert this profile; the planner reads it.
#pragma once

#include <array>
#include <string_view>

#include "reshape/reshape.h"

namespace bodyshape::reshape {

enum class Region { kNeck, kChest, kWaist, kHips, kThighs, kCalves, kUpperArms, kForearms };
inline constexpr int kRegionCount = 8;

std::string_view region_name(Region region);

// Signed relative width change at intensity 1: negative for kSlimmer, positive for kFatter.
// Hands, feet and the face are not regions: they never change.
float region_gain(Goal goal, Gender gender, Region region);

// Where a joint sits between two regions, the change tapers to this fraction of the larger
// neighbour's (elbow, knee); at the wrist and ankle to kEndTaper. Source: RESHAPE-NOTES.md
// ("more at the waist/belly or hips and thighs, less at joints, little at wrists and ankles").
inline constexpr float kJointTaper = 0.35f;
inline constexpr float kEndTaper = 0.2f;

}  // namespace bodyshape::reshape

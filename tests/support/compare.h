// The one helper for comparing numbers (../shared/STYLE.md): mean and max absolute error, asserted
// against a tolerance whose reason is stated at the call site.
#pragma once

#include <span>
#include <string>

#include <gtest/gtest.h>

namespace bodyshape::testing {

struct ErrorStats {
  double mean_abs = 0;
  double max_abs = 0;
  size_t max_index = 0;
  double value_range = 0;  // max - min of the expected values
};

ErrorStats error_stats(std::span<const float> actual, std::span<const float> expected);

// EXPECT-style check: sizes equal, max |actual - expected| <= max_abs_tolerance, mean <= mean_tol.
::testing::AssertionResult near_all(std::span<const float> actual, std::span<const float> expected,
                                    double max_abs_tolerance, double mean_abs_tolerance,
                                    const std::string& reason);

}  // namespace bodyshape::testing

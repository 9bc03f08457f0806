#include "support/compare.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace bodyshape::testing {

ErrorStats error_stats(std::span<const float> actual, std::span<const float> expected) {
  ErrorStats stats;
  const size_t count = std::min(actual.size(), expected.size());
  if (count == 0) return stats;
  double sum = 0;
  float lo = expected[0], hi = expected[0];
  for (size_t i = 0; i < count; ++i) {
    const double error = std::abs(static_cast<double>(actual[i]) - expected[i]);
    sum += error;
    if (error > stats.max_abs || std::isnan(error)) {
      stats.max_abs = std::isnan(error) ? INFINITY : error;
      stats.max_index = i;
    }
    lo = std::min(lo, expected[i]);
    hi = std::max(hi, expected[i]);
  }
  stats.mean_abs = sum / static_cast<double>(count);
  stats.value_range = static_cast<double>(hi) - lo;
  return stats;
}

::testing::AssertionResult near_all(std::span<const float> actual, std::span<const float> expected,
                                    double max_abs_tolerance, double mean_abs_tolerance,
                                    const std::string& reason) {
  if (actual.size() != expected.size()) {
    return ::testing::AssertionFailure()
           << "size " << actual.size() << " != expected " << expected.size();
  }
  const ErrorStats stats = error_stats(actual, expected);
  std::ostringstream text;
  text << "max|err| " << stats.max_abs << " at " << stats.max_index << " (tol " << max_abs_tolerance
       << "), mean|err| " << stats.mean_abs << " (tol " << mean_abs_tolerance << "), range "
       << stats.value_range << "; tolerance because: " << reason;
  if (stats.max_abs <= max_abs_tolerance && stats.mean_abs <= mean_abs_tolerance) {
    return ::testing::AssertionSuccess() << text.str();
  }
  return ::testing::AssertionFailure() << text.str();
}

}  // namespace bodyshape::testing

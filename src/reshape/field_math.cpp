#include "reshape/field_math.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace bodyshape::reshape {

float sample_grid(const cv::Mat& grid, cv::Point2f p, cv::Size2f cell) {
  const float gx = std::clamp((p.x + 0.5f) / cell.width - 0.5f, 0.f, static_cast<float>(grid.cols - 1));
  const float gy = std::clamp((p.y + 0.5f) / cell.height - 0.5f, 0.f, static_cast<float>(grid.rows - 1));
  const int i = std::min(static_cast<int>(gx), grid.cols - 2);
  const int j = std::min(static_cast<int>(gy), grid.rows - 2);
  const float u = gx - static_cast<float>(i), v = gy - static_cast<float>(j);
  const float* row0 = grid.ptr<float>(j);
  const float* row1 = grid.ptr<float>(j + 1);
  return (1 - v) * ((1 - u) * row0[i] + u * row0[i + 1]) + v * ((1 - u) * row1[i] + u * row1[i + 1]);
}

float min_jacobian(const cv::Mat& dx, const cv::Mat& dy, cv::Size2f cell, cv::Mat* per_cell) {
  float result = 1.f;
  if (per_cell) per_cell->create(dx.rows - 1, dx.cols - 1, CV_32F);
  for (int j = 0; j + 1 < dx.rows; ++j) {
    const float *x0 = dx.ptr<float>(j), *x1 = dx.ptr<float>(j + 1);
    const float *y0 = dy.ptr<float>(j), *y1 = dy.ptr<float>(j + 1);
    for (int i = 0; i + 1 < dx.cols; ++i) {
      const float xx[2] = {(x0[i + 1] - x0[i]) / cell.width, (x1[i + 1] - x1[i]) / cell.width};
      const float yx[2] = {(y0[i + 1] - y0[i]) / cell.width, (y1[i + 1] - y1[i]) / cell.width};
      const float xy[2] = {(x1[i] - x0[i]) / cell.height, (x1[i + 1] - x0[i + 1]) / cell.height};
      const float yy[2] = {(y1[i] - y0[i]) / cell.height, (y1[i + 1] - y0[i + 1]) / cell.height};
      float cell_min = INFINITY;
      for (int row = 0; row < 2; ++row) {
        for (int column = 0; column < 2; ++column) {
          const float det = (1 + xx[row]) * (1 + yy[column]) - xy[column] * yx[row];
          cell_min = std::min(cell_min, det);
        }
      }
      if (per_cell) per_cell->at<float>(j, i) = cell_min;
      result = std::min(result, cell_min);
    }
  }
  return result;
}

namespace {

// The fold repair's uniform last resort may keep as little as this share of the change; below,
// it scales down around the folds only. The business suit's slimming (male) keeps 0.80 of it
// uniformly and its waist / hips ratio with it; scaled locally, around the folded arms on the
// waist, the ratio fell from 1.29 to 1.04.
constexpr float kLeastUniformShare = 0.75f;

// The grid nodes (CV_8U, 255) at the cells whose minimum determinant is below `threshold`,
// dilated by `widen` nodes.
cv::Mat bad_nodes(const cv::Mat& per_cell, float threshold, cv::Size grid, int widen) {
  cv::Mat nodes(grid, CV_8U, cv::Scalar(0));
  nodes(cv::Rect(0, 0, per_cell.cols, per_cell.rows)).setTo(255, per_cell < threshold);
  cv::dilate(nodes, nodes, cv::Mat(), cv::Point(-1, -1), widen);
  return nodes;
}

// 0..1 per grid node: 1 around the cells whose minimum determinant is below `threshold`
// (dilated by 3 nodes), blurred with `sigma` nodes so a repair weighted by it blends in.
cv::Mat near_bad_cells(const cv::Mat& per_cell, float threshold, cv::Size grid, double sigma) {
  const cv::Mat node_bad = bad_nodes(per_cell, threshold, grid, 3);
  cv::Mat weight;
  node_bad.convertTo(weight, CV_32F, 1.0 / 255.0);
  cv::GaussianBlur(weight, weight, cv::Size(0, 0), sigma, sigma, cv::BORDER_REPLICATE);
  return weight;
}

// The largest s in [0, 1] (to 2^-steps) for which `fold_free(s)` holds, given that it holds at 0.
template <typename Check>
float largest_passing(Check fold_free, int steps) {
  float lo = 0.f, hi = 1.f;
  for (int step = 0; step < steps; ++step) {
    const float mid = 0.5f * (lo + hi);
    if (fold_free(mid)) lo = mid; else hi = mid;
  }
  return lo;
}

}  // namespace

float enforce_min_jacobian(cv::Mat& dx, cv::Mat& dy, const cv::Mat& keep, const cv::Mat& rigid_dx,
                           const cv::Mat& rigid_dy, cv::Size2f cell, float target) {
  if (dx.rows < 2 || dx.cols < 2) return 1.f;
  cv::Mat per_cell;
  // Each attempt blends in kRepairStep of the smoothing: a full step lifted the skateboarder's
  // folding cells from 0.30 to 0.57 and took 30 % of the thigh's slimming beside them with it;
  // small steps stop just past the target (0.41 there, 6.6 of 7.1 px kept).
  constexpr float kRepairStep = 0.3f;
  constexpr int kRepairSteps = 36;
  for (int attempt = 0; attempt < kRepairSteps; ++attempt) {
    if (min_jacobian(dx, dy, cell, &per_cell) >= target) break;
    // Nodes around the cells that fold or nearly do, widened so the repair blends in.
    const cv::Mat weight = near_bad_cells(per_cell, target + 0.1f, dx.size(), 1.0);
    dx -= rigid_dx;  // the free part; the hands' translation is added back unchanged
    dy -= rigid_dy;
    cv::Mat dx_smooth, dy_smooth;
    cv::GaussianBlur(dx, dx_smooth, cv::Size(7, 7), 1.5, 1.5, cv::BORDER_REPLICATE);
    cv::GaussianBlur(dy, dy_smooth, cv::Size(7, 7), 1.5, 1.5, cv::BORDER_REPLICATE);
    // Only the change is scaled by `keep` (frozen: none); the field itself already carries the
    // freeze, and multiplying it by `keep` again on every attempt would steepen the freeze's edge.
    const cv::Mat change_weight = kRepairStep * weight.mul(keep);
    dx += (dx_smooth - dx).mul(change_weight) + rigid_dx;
    dy += (dy_smooth - dy).mul(change_weight) + rigid_dy;
  }
  float result = min_jacobian(dx, dy, cell, &per_cell);
  if (result >= target) return result;
  // Still folding somewhere (folded arms, a limb crossing the torso): damp the field around the
  // bad cells with a wide, gentle weight (a steep one would add gradient of its own), so one
  // awkward spot does not shrink the change everywhere else. Stops as soon as a step fails to help.
  for (int attempt = 0; attempt < 12 && result < target; ++attempt) {
    const cv::Mat weight = near_bad_cells(per_cell, target + 0.05f, dx.size(), 4.0);
    double peak = 0;
    cv::minMaxLoc(weight, nullptr, &peak);
    if (peak <= 0) break;
    const cv::Mat damp = 1.f - (0.2f / static_cast<float>(peak)) * weight;
    cv::Mat next_dx = (dx - rigid_dx).mul(damp) + rigid_dx;
    cv::Mat next_dy = (dy - rigid_dy).mul(damp) + rigid_dy;
    cv::Mat next_per_cell;
    const float next = min_jacobian(next_dx, next_dy, cell, &next_per_cell);
    if (next <= result) break;
    dx = next_dx, dy = next_dy, per_cell = next_per_cell, result = next;
  }
  if (result >= target) return result;
  // Still folding (a hand's rigid motion against a frozen face, two hands moving apart: neither
  // may the smoothing above touch). The largest uniform scale that is fold-free keeps the gender
  // profile's ratios, so it is taken when it costs little.
  const float uniform = largest_passing(
      [&](float s) { return min_jacobian(dx * s, dy * s, cell) >= target; }, 12);
  if (uniform < kLeastUniformShare) {
    // It would take much of the change everywhere for a fold at one spot (70-77 % of a turned
    // three_people_office's, 37-47 % of a turned business suit's fattening): scale the field,
    // hands included, down around the folds only, by a factor that is s on them and returns to 1
    // with a Gaussian of the distance from them (the narrowest falloff that can be fold-free;
    // the largest such s).
    cv::Mat from_bad;
    cv::distanceTransform(~bad_nodes(per_cell, target + 0.05f, dx.size(), 1), from_bad,
                          cv::DIST_L2, cv::DIST_MASK_PRECISE);
    for (const float sigma : {4.f, 8.f, 16.f}) {  // nodes
      cv::Mat around;  // 1 on the folds, falling to 0 away from them
      cv::exp(from_bad.mul(from_bad) * (-0.5f / (sigma * sigma)), around);
      auto fold_free = [&](float s) {
        const cv::Mat factor = 1.f - (1.f - s) * around;
        return min_jacobian(dx.mul(factor), dy.mul(factor), cell) >= target;
      };
      if (!fold_free(0.f)) continue;
      const cv::Mat factor = 1.f - (1.f - largest_passing(fold_free, 10)) * around;
      dx = dx.mul(factor);
      dy = dy.mul(factor);
      return min_jacobian(dx, dy, cell);
    }
  }
  dx *= uniform;
  dy *= uniform;
  return min_jacobian(dx, dy, cell);
}

cv::Rect region_of_nodes(const cv::Mat& nodes, cv::Size2f cell, cv::Size image_size) {
  const cv::Rect marked = cv::boundingRect(nodes);
  if (marked.empty()) return {};
  const cv::Point2f lo = grid_to_pixel(marked.x - 1, marked.y - 1, cell);
  const cv::Point2f hi = grid_to_pixel(marked.br().x, marked.br().y, cell);
  const cv::Rect region(cv::Point(static_cast<int>(std::floor(lo.x)), static_cast<int>(std::floor(lo.y))),
                        cv::Point(static_cast<int>(std::ceil(hi.x)) + 1, static_cast<int>(std::ceil(hi.y)) + 1));
  return region & cv::Rect(cv::Point(0, 0), image_size);
}

cv::Rect moved_region(const cv::Mat& dx, const cv::Mat& dy, cv::Size2f cell, cv::Size image_size) {
  return region_of_nodes(cv::abs(dx) + cv::abs(dy) > kStillPx, cell, image_size);
}

void build_maps(const WarpField& field, cv::Rect roi, cv::Mat& map_x, cv::Mat& map_y) {
  map_x.create(roi.size(), CV_32F);
  map_y.create(roi.size(), CV_32F);
  const cv::Mat& dx = field.dx;
  const cv::Mat& dy = field.dy;
  const cv::Size2f cell = field.cell_px;
  cv::parallel_for_(cv::Range(0, roi.height), [&](const cv::Range& rows) {
    std::vector<int> column(static_cast<size_t>(roi.width));
    std::vector<float> weight(static_cast<size_t>(roi.width));
    for (int x = 0; x < roi.width; ++x) {
      const float gx = std::clamp((static_cast<float>(roi.x + x) + 0.5f) / cell.width - 0.5f, 0.f,
                                  static_cast<float>(dx.cols - 1));
      column[x] = std::min(static_cast<int>(gx), dx.cols - 2);
      weight[x] = gx - static_cast<float>(column[x]);
    }
    for (int y = rows.start; y < rows.end; ++y) {
      const float gy = std::clamp((static_cast<float>(roi.y + y) + 0.5f) / cell.height - 0.5f, 0.f,
                                  static_cast<float>(dx.rows - 1));
      const int j = std::min(static_cast<int>(gy), dx.rows - 2);
      const float v = gy - static_cast<float>(j);
      const float *x0 = dx.ptr<float>(j), *x1 = dx.ptr<float>(j + 1);
      const float *y0 = dy.ptr<float>(j), *y1 = dy.ptr<float>(j + 1);
      float* out_x = map_x.ptr<float>(y);
      float* out_y = map_y.ptr<float>(y);
      for (int x = 0; x < roi.width; ++x) {
        const int i = column[x];
        const float u = weight[x];
        const float top_x = x0[i] + u * (x0[i + 1] - x0[i]), bottom_x = x1[i] + u * (x1[i + 1] - x1[i]);
        const float top_y = y0[i] + u * (y0[i + 1] - y0[i]), bottom_y = y1[i] + u * (y1[i + 1] - y1[i]);
        out_x[x] = static_cast<float>(roi.x + x) + top_x + v * (bottom_x - top_x);
        out_y[x] = static_cast<float>(roi.y + y) + top_y + v * (bottom_y - top_y);
      }
    }
  });
}

}  // namespace bodyshape::reshape

// Grid arithmetic shared by the planner and the renderer: node positions, bilinear sampling,
// the Jacobian check and the full-resolution maps.
#pragma once

#include <algorithm>

#include <opencv2/core.hpp>

#include "reshape/reshape.h"

namespace bodyshape::reshape {

// Node (i, j) in full-resolution pixels (cv::resize's half-pixel convention).
inline cv::Point2f grid_to_pixel(int i, int j, cv::Size2f cell) {
  return {(static_cast<float>(i) + 0.5f) * cell.width - 0.5f,
          (static_cast<float>(j) + 0.5f) * cell.height - 0.5f};
}

// Bilinear sample of a grid (CV_32F) at full-resolution position p; clamped at the edges.
float sample_grid(const cv::Mat& grid, cv::Point2f p, cv::Size2f cell);

// Smallest det(I + grad d) over the grid's cells (each cell's four corners, as the bilinear
// upsampling sees them). Optionally writes the per-cell minimum (grid size - 1).
float min_jacobian(const cv::Mat& dx, const cv::Mat& dy, cv::Size2f cell, cv::Mat* per_cell = nullptr);

// Where det < target: smooth the field locally (then reapply the freeze: d * keep + rigid, where
// rigid is the hands' translation), and as a last resort scale the field down: as a whole when
// that keeps most of it, else around the folds only. Returns the final minimum determinant.
float enforce_min_jacobian(cv::Mat& dx, cv::Mat& dy, const cv::Mat& keep, const cv::Mat& rigid_dx,
                           const cv::Mat& rigid_dy, cv::Size2f cell, float target);

// A node that moves less than this (px, |dx| + |dy|) counts as still: nothing is rendered for it.
inline constexpr float kStillPx = 0.01f;
// The field returns to zero over this many grid cells at the image's edge.
inline constexpr float kBorderCells = 3.f;
// How far a position lies from the nearest edge of an image of `size` (px; negative outside).
inline float distance_to_border(cv::Point2f p, cv::Size size) {
  return std::min({p.x, p.y, static_cast<float>(size.width - 1) - p.x,
                   static_cast<float>(size.height - 1) - p.y});
}
// The least move that shows: a field moving no node this far is the identity.
inline constexpr float kVisiblePx = 0.5f;

// Full-resolution bounding box of the pixels that grid nodes marked in `nodes` (CV_8U, non-zero)
// reach through bilinear upsampling; empty when none is marked.
cv::Rect region_of_nodes(const cv::Mat& nodes, cv::Size2f cell, cv::Size image_size);

// Full-resolution bounding box of the pixels the field moves (nodes moving kStillPx or more).
cv::Rect moved_region(const cv::Mat& dx, const cv::Mat& dy, cv::Size2f cell, cv::Size image_size);

// Absolute source coordinates (CV_32F) for every output pixel of `roi`, for cv::remap.
void build_maps(const WarpField& field, cv::Rect roi, cv::Mat& map_x, cv::Mat& map_y);

}  // namespace bodyshape::reshape

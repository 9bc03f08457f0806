// The offline commands of the CLI: one photo in, JSON or an image file out, on the same code the
// service runs. Each returns the process exit code and prints errors to stderr.
//
//   bodyshape pose photo.jpg --model full                  -> landmarks as JSON on stdout
//   bodyshape segment photo.jpg -o mask.png --overlay o.png -> 8-bit mask (probability x 255)
//   bodyshape segment s3://bucket/key -o mask.png          -> the same, read from the object store
//   bodyshape predict photo.jpg --goal best --gender female -o after.png --side-by-side
#pragma once

#include <string>

#include "server/config.h"

namespace bodyshape::cli {

struct PoseCommand {
  std::string image;
  std::string model = "full";  // lite | full | heavy
};
int run_pose(const server::Config& config, const PoseCommand& command);

struct SegmentCommand {
  std::string image;      // a file path, or s3://bucket/key through the configured object store
  std::string output;     // mask PNG
  std::string source = "pose";  // pose | selfie | selfie-landscape
  std::string overlay;    // optional: skeleton and mask drawn on the photo
};
int run_segment(const server::Config& config, const SegmentCommand& command);

struct PredictCommand {
  std::string image;
  std::string goal = "best";  // best | worst
  std::string gender;         // male | female
  double intensity = 1.0;
  std::string output;
  bool side_by_side = false;
};
int run_predict(const server::Config& config, const PredictCommand& command);

}  // namespace bodyshape::cli

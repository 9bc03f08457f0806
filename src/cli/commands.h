// The offline commands of the CLI: one photo in, JSON or an image file out, on the same code the
// service runs. Each returns the process exit code and prints errors to stderr. `segment` and
// `predict` also take many photos and a directory (batch mode, cli/batch.h).
//
//   bodyshape pose photo.jpg --model full                  -> landmarks as JSON on stdout
//   bodyshape segment photo.jpg -o mask.png --overlay o.png -> 8-bit mask (probability x 255)
//   bodyshape segment s3://bucket/key -o mask.png          -> the same, read from the object store
//   bodyshape predict photo.jpg --goal best --gender female -o after.png --side-by-side
//   bodyshape predict in/*.jpg --goal best --gender female -o out/  -> out/<stem>.png per photo
#pragma once

#include <string>
#include <vector>

#include "server/config.h"

namespace bodyshape::cli {

struct PoseCommand {
  std::string image;
  std::string model = "full";  // lite | full | heavy
};
int run_pose(const server::Config& config, const PoseCommand& command);

// Several images, or an output that is a directory or ends with '/', is batch mode: one PNG per
// image in that directory (and in `overlay`, a directory too); exit 1 if any photo failed.
struct SegmentCommand {
  std::vector<std::string> images;  // file paths, or s3://bucket/key through the object store
  std::string output;               // mask PNG (probability x 255), or a directory
  std::string source = "pose";      // pose | selfie | selfie-landscape
  std::string overlay;              // optional: skeleton and mask drawn on the photo
};
int run_segment(const server::Config& config, const SegmentCommand& command);

struct PredictCommand {
  std::vector<std::string> images;  // as SegmentCommand::images
  std::string goal = "best";  // best | worst
  std::string gender;         // male | female
  double intensity = 1.0;
  std::string output;  // result PNG, or a directory
  bool side_by_side = false;
};
int run_predict(const server::Config& config, const PredictCommand& command);

}  // namespace bodyshape::cli

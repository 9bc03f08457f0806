// Batch mode of `segment` and `predict`: many photos in, one PNG per photo in a directory, run on a
// pool of workers (each its own PoseEstimator, all sharing one loaded PoseModels). A photo that
// fails is listed with its reason and never stops the others.
//
//   bodyshape predict in/*.jpg -o out/ --goal best --gender female  -> out/<stem>.png per photo
//   bodyshape segment in/*.jpg -o out/ --overlay looks/              -> masks, and overlays too
//
//   BatchProgress progress(std::cerr, isatty(STDERR_FILENO), inputs.size());
//   BatchSummary summary = run_batch(estimators, inputs.size(), process_photo, progress);
//   progress.summary(summary);  // exit code: summary.failed.empty() ? 0 : 1
#pragma once

#include <functional>
#include <iosfwd>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"
#include "person/person.h"

namespace bodyshape::cli {

// Batch mode when several photos are given, or the output is an existing directory or ends with
// '/'. One photo and a file output is the single-photo command.
bool is_batch(const std::vector<std::string>& inputs, const std::string& output);

// dir/<input stem>.png; for s3://bucket/key the key's stem.
std::string batch_output_path(const std::string& dir, const std::string& input);

// Why each input must not run (empty if it may): its outputs in `output_dirs` would replace an
// earlier input's outputs (same stem), or one of the input photos themselves.
std::vector<std::string> batch_conflicts(const std::vector<std::string>& inputs,
                                         const std::vector<std::string>& output_dirs);

struct BatchOutcome {
  std::string input;
  std::string error;  // empty when the photo's outputs were written
  double ms = 0;
};

struct BatchSummary {
  size_t total = 0;
  size_t done = 0;
  std::vector<BatchOutcome> failed;  // in the order they finished
  double total_ms = 0;
};

// Reports each finished photo: a bar redrawn in place on a terminal, else one line per photo
// ("[3/10] a.jpg ok 123 ms") that a log file or CI can keep. Thread-safe.
class BatchProgress {
 public:
  BatchProgress(std::ostream& out, bool terminal, size_t total);
  void finished(const BatchOutcome& outcome);
  // "5 photos: 3 done, 2 failed in 2.4 s", then one line per failure with its reason.
  void summary(const BatchSummary& summary);

 private:
  std::mutex mutex_;
  std::ostream& out_;
  bool terminal_;
  size_t total_;
  size_t finished_ = 0;
};

// process(worker, i) for every i in [0, count), each worker on its own thread taking the next
// photo as it frees up; an error Status is the photo's failure.
using ProcessPhoto = std::function<Status(person::PoseEstimator& worker, size_t index)>;
BatchSummary run_batch(std::vector<person::PoseEstimator>& workers,
                       const std::vector<std::string>& inputs, const ProcessPhoto& process,
                       BatchProgress& progress);

}  // namespace bodyshape::cli

#include "cli/batch.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <ostream>
#include <set>
#include <stdexcept>
#include <thread>

namespace bodyshape::cli {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string file_name(const std::string& input) {
  return std::filesystem::path(input).filename().string();
}

}  // namespace

bool is_batch(const std::vector<std::string>& inputs, const std::string& output) {
  if (inputs.size() > 1 || output.ends_with('/')) return true;
  std::error_code ignored;
  return std::filesystem::is_directory(output, ignored);
}

std::string batch_output_path(const std::string& dir, const std::string& input) {
  return (std::filesystem::path(dir) / std::filesystem::path(input).stem()).string() + ".png";
}

std::vector<std::string> batch_conflicts(const std::vector<std::string>& inputs,
                                         const std::vector<std::string>& output_dirs) {
  namespace fs = std::filesystem;
  std::error_code ignored;
  std::set<fs::path> input_files;
  for (const std::string& input : inputs) input_files.insert(fs::weakly_canonical(input, ignored));
  std::map<std::string, std::string> first_by_stem;
  std::vector<std::string> conflicts;
  for (const std::string& input : inputs) {
    const auto [first, added] = first_by_stem.emplace(fs::path(input).stem().string(), input);
    std::string conflict = added ? std::string() : "same output name as " + first->second;
    for (const std::string& dir : output_dirs) {
      const std::string output = batch_output_path(dir, input);
      if (conflict.empty() && input_files.contains(fs::weakly_canonical(output, ignored))) {
        conflict = "its output " + output + " would overwrite an input photo";
      }
    }
    conflicts.push_back(std::move(conflict));
  }
  return conflicts;
}

BatchProgress::BatchProgress(std::ostream& out, bool terminal, size_t total)
    : out_(out), terminal_(terminal), total_(total) {}

void BatchProgress::finished(const BatchOutcome& outcome) {
  std::lock_guard lock(mutex_);
  ++finished_;
  const std::string name = file_name(outcome.input);
  const std::string count = "[" + std::to_string(finished_) + "/" + std::to_string(total_) + "]";
  if (!terminal_) {
    out_ << count << " " << name << " "
         << (outcome.error.empty() ? "ok" : "failed: " + outcome.error) << " "
         << static_cast<long>(outcome.ms) << " ms\n"
         << std::flush;
    return;
  }
  constexpr size_t kBarWidth = 30;
  const size_t filled = total_ == 0 ? kBarWidth : kBarWidth * finished_ / total_;
  // "\r\033[K": back to the line's start and clear it, so the bar is redrawn in place.
  out_ << "\r\033[K";
  if (!outcome.error.empty()) out_ << name << " failed: " << outcome.error << "\n";
  out_ << "[" << std::string(filled, '#') << std::string(kBarWidth - filled, '.') << "] " << count
       << " " << name;
  if (finished_ == total_) out_ << "\n";
  out_ << std::flush;
}

void BatchProgress::summary(const BatchSummary& summary) {
  std::lock_guard lock(mutex_);
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.1f", summary.total_ms / 1000.0);
  out_ << summary.total << " photos: " << summary.done << " done, " << summary.failed.size()
       << " failed in " << seconds << " s\n";
  for (const BatchOutcome& failure : summary.failed) {
    out_ << "  failed " << failure.input << ": " << failure.error << "\n";
  }
  out_ << std::flush;
}

BatchSummary run_batch(std::vector<person::PoseEstimator>& workers,
                       const std::vector<std::string>& inputs, const ProcessPhoto& process,
                       BatchProgress& progress) {
  const auto started = Clock::now();
  BatchSummary summary;
  summary.total = inputs.size();
  std::mutex summary_mutex;
  std::atomic<size_t> next{0};
  auto work = [&](person::PoseEstimator& worker) {
    for (size_t index = next++; index < inputs.size(); index = next++) {
      const auto photo_started = Clock::now();
      Status status = Ok{};
      // One photo's bug (an OpenCV exception on an odd image) must not take the others down.
      try {
        status = process(worker, index);
      } catch (const std::exception& error) {
        status = make_error(ErrorCode::kInternal, error.what());
      }
      const BatchOutcome outcome{.input = inputs[index],
                                 .error = status ? std::string() : status.error().message,
                                 .ms = ms_since(photo_started)};
      {
        std::lock_guard lock(summary_mutex);
        if (status) {
          ++summary.done;
        } else {
          summary.failed.push_back(outcome);
        }
      }
      progress.finished(outcome);
    }
  };
  {
    std::vector<std::jthread> threads;
    for (person::PoseEstimator& worker : workers) threads.emplace_back(work, std::ref(worker));
  }
  summary.total_ms = ms_since(started);
  return summary;
}

}  // namespace bodyshape::cli

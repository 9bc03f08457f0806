// Timing hooks for the stages a request passes through, so the HTTP edge can export per-stage
// latency (server/metrics.h) while api/ stays free of HTTP and of any metrics library.
//
//   StageTimer timer(deps.stages, Stage::kDecode);  // records the scope's duration on exit
//   ...                                             // a null sink records nothing (tests, CLI)
#pragma once

#include <chrono>

namespace bodyshape {

enum class Stage {
  kDecode,   // base64 + image decode
  kQueue,    // waiting for a free inference worker
  kPerson,   // pose detection + landmarks + person mask
  kReshape,  // warp field + rendering
  kEncode,   // result image / mask serialisation
};
inline constexpr int kStageCount = 5;

inline const char* stage_name(Stage stage) {
  switch (stage) {
    case Stage::kDecode:
      return "decode";
    case Stage::kQueue:
      return "queue";
    case Stage::kPerson:
      return "person";
    case Stage::kReshape:
      return "reshape";
    case Stage::kEncode:
      return "encode";
  }
  return "unknown";
}

// Receives one duration per finished stage; implementations must be thread-safe.
class StageSink {
 public:
  virtual void record(Stage stage, double seconds) = 0;

 protected:
  ~StageSink() = default;
};

class StageTimer {
 public:
  StageTimer(StageSink* sink, Stage stage)
      : sink_(sink), stage_(stage), start_(std::chrono::steady_clock::now()) {}
  StageTimer(const StageTimer&) = delete;
  StageTimer& operator=(const StageTimer&) = delete;
  ~StageTimer() { stop(); }

  // Records now instead of at scope exit; later calls do nothing.
  void stop() {
    if (!sink_) return;
    sink_->record(stage_,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
    sink_ = nullptr;
  }

 private:
  StageSink* sink_;
  Stage stage_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace bodyshape

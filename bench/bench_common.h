// What every benchmark prints (../shared/STYLE.md): a header (CPU, threads, build type, commit,
// date, load) and one row per case: name  min  median  max  unit  ratio-vs-anchor.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace bodyshape::bench {

inline std::string cpu_name() {
  std::ifstream info("/proc/cpuinfo");
  std::string line;
  while (std::getline(info, line)) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown CPU";
}

inline std::string load_average() {
  std::ifstream file("/proc/loadavg");
  std::string one, five;
  file >> one >> five;
  return one + " " + five;
}

inline std::string git_commit() {
  std::string commit = "unknown";
  if (FILE* pipe = popen("git -C " BODYSHAPE_SOURCE_DIR " rev-parse --short HEAD 2>/dev/null", "r")) {
    char buffer[64] = {};
    if (std::fgets(buffer, sizeof buffer, pipe)) commit = buffer;
    pclose(pipe);
    while (!commit.empty() && (commit.back() == '\n' || commit.back() == ' ')) commit.pop_back();
  }
  return commit;
}

inline void print_header(const std::string& title, const std::string& threads) {
  char date[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M", std::gmtime(&now));
#ifdef NDEBUG
  const char* build = "Release";
#else
  const char* build = "Debug";
#endif
  std::printf("# %s\n# cpu: %s x%u | threads: %s | build: %s | commit: %s | date: %s UTC\n",
              title.c_str(), cpu_name().c_str(), std::thread::hardware_concurrency(),
              threads.c_str(), build, git_commit().c_str(), date);
  std::printf("# load average (1, 5 min) at start: %s\n", load_average().c_str());
  std::printf("%-44s %9s %9s %9s %5s %8s\n", "name", "min", "median", "max", "unit", "ratio");
}

struct Stats {
  double min = 0, median = 0, max = 0;
};

// Runs `work` `warmup` times uncounted, then `runs` times; milliseconds of each counted run.
inline Stats time_ms(const std::function<void()>& work, int runs, int warmup = 2) {
  for (int i = 0; i < warmup; ++i) work();
  std::vector<double> samples;
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    work();
    samples.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
  }
  std::sort(samples.begin(), samples.end());
  return {samples.front(), samples[samples.size() / 2], samples.back()};
}

// ratio = anchor / median (> 1 = faster than the anchor); anchor 0 prints "-".
inline void print_row(const std::string& name, const Stats& stats, const char* unit,
                      double anchor = 0) {
  char ratio[16] = "-";
  if (anchor > 0) std::snprintf(ratio, sizeof ratio, "%.2f", anchor / stats.median);
  std::printf("%-44s %9.2f %9.2f %9.2f %5s %8s\n", name.c_str(), stats.min, stats.median,
              stats.max, unit, ratio);
}

}  // namespace bodyshape::bench

// base64 throughput and PNG/JPEG/WebP encode time on a 1920x1080 photo: the numbers behind
// PngSettings' defaults in src/image/image.h. Prints numbers, never passes or fails.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "image/image.h"
#include "support/testdata.h"

namespace {

using namespace bodyshape::image;
using Clock = std::chrono::steady_clock;

std::string cpu_name() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown CPU";
}

std::string command_output(const std::string& command) {
  std::string out;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buffer[128];
    while (fgets(buffer, sizeof buffer, pipe) != nullptr) out += buffer;
    pclose(pipe);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out.empty() ? "unknown" : out;
}

struct Stats {
  double min, median, max;
};

Stats time_ms(int runs, const std::function<void()>& work) {
  work();  // warm-up
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto start = Clock::now();
    work();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  return {ms.front(), ms[ms.size() / 2], ms.back()};
}

void row(const std::string& name, double min, double median, double max, const char* unit,
         double anchor_median) {
  std::printf("%-34s %10.2f %10.2f %10.2f  %-5s %6.2f\n", name.c_str(), min, median, max, unit,
              anchor_median > 0 ? median / anchor_median : 1.0);
}

// Throughput rows: best time -> max MB/s.
void throughput_row(const std::string& name, size_t bytes, const Stats& t, double anchor_mb_s) {
  auto mb_s = [&](double ms) { return bytes / 1e6 / (ms / 1e3); };
  row(name, mb_s(t.max), mb_s(t.median), mb_s(t.min), "MB/s", anchor_mb_s);
}

// A 1920x1080 photo with real camera detail: the 3000 px astronaut photo cropped to 16:9 and
// shrunk.
cv::Mat photo_1080p() {
  const std::vector<uint8_t> jpeg = bodyshape::testing::read_bytes(
      bodyshape::testing::shared_path("testdata/images/large_astronaut_moon_3000px.jpg"));
  const cv::Mat full = decode_image(jpeg).value();
  const int crop_height = full.cols * 9 / 16;
  const cv::Mat crop = full(cv::Rect(0, (full.rows - crop_height) / 2, full.cols, crop_height));
  cv::Mat photo;
  cv::resize(crop, photo, cv::Size(1920, 1080), 0, 0, cv::INTER_AREA);
  return photo;
}

}  // namespace

int main() {
  char date[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M", std::localtime(&now));
  std::printf(
      "# bench_image_codecs  cpu: %s  threads: %u (OpenCV %d)  build: %s  commit: %s  date: %s\n",
      cpu_name().c_str(), std::thread::hardware_concurrency(), cv::getNumThreads(),
#ifdef NDEBUG
      "optimised (NDEBUG)",
#else
      "debug (asserts on)",
#endif
      command_output("git -C " BODYSHAPE_SOURCE_DIR " rev-parse --short HEAD 2>/dev/null").c_str(),
      date);
  std::printf("%-34s %10s %10s %10s  %-5s %6s\n", "name", "min", "median", "max", "unit", "ratio");

  const cv::Mat photo = photo_1080p();

  // base64 of ~16 MB of PNG bytes (the service's real payload; incompressible like any image).
  std::vector<uint8_t> payload;
  const std::vector<uint8_t> png = encode_image(photo, ImageFormat::kPng);
  while (payload.size() < 16'000'000) payload.insert(payload.end(), png.begin(), png.end());
  std::string text;
  const Stats encode_t = time_ms(10, [&] { text = base64_encode(payload); });
  std::string wrapped;
  for (size_t i = 0; i < text.size(); i += 76) wrapped.append(text, i, 76).append("\r\n");
  const Stats decode_t = time_ms(10, [&] { (void)base64_decode(text).value(); });
  const Stats wrapped_t = time_ms(10, [&] { (void)base64_decode(wrapped).value(); });
  const double decode_mb_s = text.size() / 1e6 / (decode_t.median / 1e3);
  throughput_row("base64_decode (input MB/s)", text.size(), decode_t, 0);
  throughput_row("base64_decode_wrapped76", wrapped.size(), wrapped_t, decode_mb_s);
  throughput_row("base64_encode (output MB/s)", text.size(), encode_t, decode_mb_s);

  // PNG settings, anchor = the default. Size rows say what each setting costs on the wire.
  struct PngCase {
    const char* name;
    PngSettings settings;
  };
  const PngCase cases[] = {
      {"png preset rle (default)", PngSettings{}},
      {"png preset default-strategy", {-1, 0}},
      {"png preset huffman-only", {-1, 2}},
      {"png level1 default-strategy", {1, 0}},
      {"png level1 rle", {1, 3}},
      {"png level2 rle", {2, 3}},
      {"png level3 default-strategy", {3, 0}},
      {"png level3 rle", {3, 3}},
      {"png level6 (zlib default)", {6, 0}},
  };
  double anchor_ms = 0;
  std::vector<std::pair<std::string, double>> sizes;
  for (const PngCase& c : cases) {
    std::vector<uint8_t> bytes;
    const Stats t = time_ms(9, [&] { bytes = encode_png(photo, c.settings); });
    if (anchor_ms == 0) anchor_ms = t.median;
    row(std::string(c.name) + " encode", t.min, t.median, t.max, "ms", anchor_ms);
    sizes.emplace_back(c.name, bytes.size() / 1e3);
  }
  for (const auto& [name, kb] : sizes) row(name + " size", kb, kb, kb, "KB", sizes.front().second);

  const Stats jpeg_t = time_ms(9, [&] { (void)encode_image(photo, ImageFormat::kJpeg); });
  row("jpeg q92 encode", jpeg_t.min, jpeg_t.median, jpeg_t.max, "ms", anchor_ms);
  const Stats webp_t = time_ms(5, [&] { (void)encode_image(photo, ImageFormat::kWebp); });
  row("webp q90 encode", webp_t.min, webp_t.median, webp_t.max, "ms", anchor_ms);
  const Stats decode_png_t = time_ms(9, [&] { (void)decode_image(png).value(); });
  row("png default decode", decode_png_t.min, decode_png_t.median, decode_png_t.max, "ms",
      anchor_ms);
  return 0;
}

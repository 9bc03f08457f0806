// base64 throughput, and PNG encode time and size on 1920x1080 photos: our writer
// (src/image/png_writer.cpp, libdeflate) at candidate filters/levels against OpenCV 4.6's imencode
// at the setting the service used before (speed preset + Z_RLE). The numbers behind PngSettings'
// defaults in src/image/image.h. Prints numbers, never passes or fails.
#include <algorithm>
#include <ctime>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "bench_common.h"
#include "image/image.h"
#include "support/testdata.h"

namespace {

using namespace bodyshape::image;
using bodyshape::bench::print_row;
using bodyshape::bench::Stats;
using bodyshape::bench::time_ms;

// A 1920x1080 photo: the shared photo cropped to 16:9 and resized (the 3000 px astronaut shrinks,
// keeping real camera detail; the smaller photos are upscaled, so they compress better than a
// camera's 1080p would).
cv::Mat photo_1080p(const std::string& name) {
  const std::vector<uint8_t> jpeg =
      bodyshape::testing::read_bytes(bodyshape::testing::shared_path("testdata/images/" + name));
  const cv::Mat full = decode_image(jpeg).value();
  cv::Rect crop(0, 0, full.cols, full.rows);
  if (full.cols * 9 > full.rows * 16) {
    crop.width = full.rows * 16 / 9;
    crop.x = (full.cols - crop.width) / 2;
  } else {
    crop.height = full.cols * 9 / 16;
    crop.y = (full.rows - crop.height) / 2;
  }
  cv::Mat photo;
  cv::resize(full(crop), photo, cv::Size(1920, 1080), 0, 0, cv::INTER_AREA);
  return photo;
}

double thread_cpu_ms() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return now.tv_sec * 1e3 + now.tv_nsec / 1e6;
}

// Wall and thread-CPU milliseconds of the same runs: on the shared 2-core machine the CPU time is
// the better estimate of an idle run.
std::pair<Stats, Stats> time_wall_and_cpu_ms(const std::function<void()>& work, int runs) {
  std::vector<double> cpu;
  const Stats wall = time_ms(
      [&] {
        const double start = thread_cpu_ms();
        work();
        cpu.push_back(thread_cpu_ms() - start);
      },
      runs);
  cpu.erase(cpu.begin(), cpu.end() - runs);  // drop the warm-up runs
  std::sort(cpu.begin(), cpu.end());
  return {wall, {cpu.front(), cpu[cpu.size() / 2], cpu.back()}};
}

std::vector<uint8_t> opencv_png_rle(const cv::Mat& rgb) {
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  std::vector<uint8_t> png;
  cv::imencode(".png", bgr, png, {cv::IMWRITE_PNG_STRATEGY, cv::IMWRITE_PNG_STRATEGY_RLE});
  return png;
}

}  // namespace

int main() {
  bodyshape::bench::print_header("bench_image_codecs: base64, PNG/JPEG/WebP on 1920x1080 photos",
                                 "1");
  std::printf("# ratio = anchor / value (> 1: faster or smaller than the anchor)\n");

  const cv::Mat photo = photo_1080p("large_astronaut_moon_3000px.jpg");

  // base64 of ~16 MB of PNG bytes (the service's real payload; incompressible like any image).
  std::vector<uint8_t> payload;
  const std::vector<uint8_t> png = encode_image(photo, ImageFormat::kPng);
  while (payload.size() < 16'000'000) payload.insert(payload.end(), png.begin(), png.end());
  std::string text;
  const Stats encode_t = time_ms([&] { text = base64_encode(payload); }, 10);
  std::string wrapped;
  for (size_t i = 0; i < text.size(); i += 76) wrapped.append(text, i, 76).append("\r\n");
  const Stats decode_t = time_ms([&] { (void)base64_decode(text).value(); }, 10);
  const Stats wrapped_t = time_ms([&] { (void)base64_decode(wrapped).value(); }, 10);
  // Throughput rows in MB/s (the min column is the slowest run).
  auto mb_s = [](size_t bytes, const Stats& t) {
    auto rate = [&](double ms) { return bytes / 1e6 / (ms / 1e3); };
    return Stats{rate(t.max), rate(t.median), rate(t.min)};
  };
  const Stats decode_rate = mb_s(text.size(), decode_t);
  print_row("base64_decode (input MB/s)", decode_rate, "MB/s");
  const Stats wrapped_rate = mb_s(wrapped.size(), wrapped_t);
  const Stats encode_rate = mb_s(text.size(), encode_t);
  print_row("base64_decode_wrapped76", wrapped_rate, "MB/s");
  print_row("base64_encode (output MB/s)", encode_rate, "MB/s");

  // PNG: anchor = OpenCV at the service's former setting; then our writer. Time rows: wall and
  // thread CPU of the same runs; size rows: what each setting costs on the wire.
  struct PngCase {
    const char* name;
    PngSettings settings;
  };
  const PngCase cases[] = {
      {"ours up L1 (default)", PngSettings{}},
      {"ours none L1", {1, PngFilter::kNone}},
      {"ours sub L1", {1, PngFilter::kSub}},
      {"ours average L1", {1, PngFilter::kAverage}},
      {"ours paeth L1", {1, PngFilter::kPaeth}},
      {"ours adaptive L1", {1, PngFilter::kAdaptive}},
      {"ours up L2", {2, PngFilter::kUp}},
      {"ours up L3", {3, PngFilter::kUp}},
      {"ours up L6", {6, PngFilter::kUp}},
  };
  for (const char* name : {"large_astronaut_moon_3000px.jpg", "woman_standing_front_studio.jpg",
                           "man_pitcher_side_view.jpg", "man_yoga_warrior_beach.jpg"}) {
    const cv::Mat image = name == std::string("large_astronaut_moon_3000px.jpg") ? photo
                                                                                  : photo_1080p(name);
    std::printf("# %s -> 1920x1080\n", name);
    std::vector<uint8_t> bytes;
    const auto [cv_wall, cv_cpu] = time_wall_and_cpu_ms([&] { bytes = opencv_png_rle(image); }, 7);
    const double cv_kb = bytes.size() / 1e3;
    print_row("  opencv preset+rle (anchor) wall", cv_wall, "ms", cv_wall.median);
    print_row("  opencv preset+rle (anchor) cpu", cv_cpu, "ms", cv_cpu.median);
    print_row("  opencv preset+rle (anchor) size", {cv_kb, cv_kb, cv_kb}, "KB", cv_kb);
    for (const PngCase& c : cases) {
      const auto [wall, cpu] = time_wall_and_cpu_ms([&] { bytes = encode_png(image, c.settings); }, 7);
      const double kb = bytes.size() / 1e3;
      print_row(std::string("  ") + c.name + " wall", wall, "ms", cv_wall.median);
      print_row(std::string("  ") + c.name + " cpu", cpu, "ms", cv_cpu.median);
      print_row(std::string("  ") + c.name + " size", {kb, kb, kb}, "KB", cv_kb);
    }
  }

  const Stats jpeg_t = time_ms([&] { (void)encode_image(photo, ImageFormat::kJpeg); }, 9);
  print_row("jpeg q92 encode", jpeg_t, "ms");
  const Stats webp_t = time_ms([&] { (void)encode_image(photo, ImageFormat::kWebp); }, 5);
  print_row("webp q90 encode", webp_t, "ms");
  const Stats decode_png_t = time_ms([&] { (void)decode_image(png).value(); }, 9);
  print_row("png default decode", decode_png_t, "ms");
  return 0;
}

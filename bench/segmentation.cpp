// segmentation-v2's answer for a 12 MP (4000x3000) photo: how fast the mask becomes JSON rows,
// what gzip costs, and how big each format is. Anchor: memcpy of as many bytes as the JSON rows.
// Prints numbers, never passes or fails.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "api/segmentation.h"
#include "bench_common.h"
#include "image/image.h"
#include "image/mask_codec.h"
#include "person/person.h"
#include "storage/s3_object_store.h"
#include "support/s3rver.h"
#include "support/testdata.h"

namespace {

using namespace bodyshape;

using bench::Stats;

// Arguments in this file's order: runs first; one uncounted warm-up (page faults, caches).
Stats time_ms(int runs, const std::function<void()>& work) { return bench::time_ms(work, runs, 1); }

void row(const char* name, double min, double median, double max, const char* unit, double ratio) {
  std::printf("%-32s %12.2f %12.2f %12.2f  %-6s %8.3f\n", name, min, median, max, unit, ratio);
}

void time_row(const char* name, const Stats& t, const Stats& anchor) {
  row(name, t.min, t.median, t.max, "ms", t.median / anchor.median);
}

void throughput_row(const char* name, size_t bytes, const Stats& t, const Stats& anchor) {
  const auto mb_s = [&](double ms) { return static_cast<double>(bytes) / 1e6 / (ms / 1e3); };
  row(name, mb_s(t.max), mb_s(t.median), mb_s(t.min), "MB/s", anchor.median / t.median);
}

void size_row(const char* name, size_t bytes, size_t anchor_bytes) {
  const double value = static_cast<double>(bytes);
  row(name, value, value, value, "bytes", value / static_cast<double>(anchor_bytes));
}

// A person-like silhouette (head, body, arms, legs) on a 4000x3000 frame: long runs, as the
// person pipeline's masks have, 0/1 valued.
cv::Mat person_mask_4000x3000() {
  cv::Mat mask(3000, 4000, CV_8UC1, cv::Scalar(0));
  cv::ellipse(mask, {2000, 600}, {220, 280}, 0, 0, 360, cv::Scalar(1), cv::FILLED);
  cv::ellipse(mask, {2000, 1400}, {520, 700}, 0, 0, 360, cv::Scalar(1), cv::FILLED);
  cv::line(mask, {1550, 1000}, {900, 1700}, cv::Scalar(1), 160);
  cv::line(mask, {2450, 1000}, {3100, 1700}, cv::Scalar(1), 160);
  cv::line(mask, {1800, 2000}, {1700, 2990}, cv::Scalar(1), 220);
  cv::line(mask, {2200, 2000}, {2300, 2990}, cv::Scalar(1), 220);
  return mask;
}

// The whole answer for a 12 MP photo read from a real S3 protocol peer (s3rver on loopback),
// split into its steps: fetch, decode, inference (person pipeline + threshold), serialise.
void end_to_end_from_s3() {
  std::printf("# end to end: a 4000x3000 JPEG from s3rver (loopback), full landmark model, 1 thread\n");
  cv::Mat photo = *image::decode_image(testing::read_bytes(
      testing::shared_path("testdata/images/man_baseball_batter.jpg")));
  cv::Mat rgb;
  cv::resize(photo, rgb, cv::Size(4000, 3000), 0, 0, cv::INTER_CUBIC);
  const std::vector<uint8_t> jpeg = image::encode_image(rgb, image::ImageFormat::kJpeg);

  testing::S3rverProcess s3;
  if (const std::string error = s3.put("photos", "big.jpg", std::string(jpeg.begin(), jpeg.end()));
      !error.empty()) {
    std::printf("# skipped: %s\n", error.c_str());
    return;
  }
  storage::S3ObjectStore store({.endpoint = s3.endpoint(),
                                .region = "us-east-1",
                                .credentials = {s3.options().access_key, s3.options().secret_key, ""},
                                .addressing = storage::S3Addressing::kPathStyle});
  auto models = person::PoseModels::load(testing::model_path(""));
  auto estimator = person::PoseEstimator::create(*models);
  if (!models || !estimator) {
    std::printf("# skipped: models not found\n");
    return;
  }
  std::vector<uint8_t> fetched;
  cv::Mat decoded, mask;
  std::string json;
  const int runs = 5;
  const Stats fetch_ms = time_ms(runs, [&] { fetched = *store.get({"photos", "big.jpg"}); });
  const Stats decode_ms = time_ms(runs, [&] { decoded = *image::decode_image(fetched); });
  const Stats infer_ms = time_ms(runs, [&] {
    auto pose = estimator->estimate(decoded);
    cv::threshold(pose->mask, mask, 0.5, 1.0, cv::THRESH_BINARY);
    mask.convertTo(mask, CV_8U);
  });
  const Stats serialise_ms = time_ms(runs, [&] {
    json.clear();
    image::append_mask_rows_json(mask, json);
  });
  const Stats total{fetch_ms.min + decode_ms.min + infer_ms.min + serialise_ms.min,
                    fetch_ms.median + decode_ms.median + infer_ms.median + serialise_ms.median,
                    fetch_ms.max + decode_ms.max + infer_ms.max + serialise_ms.max};
  time_row("e2e 12MP: fetch from s3rver", fetch_ms, total);
  time_row("e2e 12MP: decode JPEG", decode_ms, total);
  time_row("e2e 12MP: inference + threshold", infer_ms, total);
  time_row("e2e 12MP: serialise rows JSON", serialise_ms, total);
  time_row("e2e 12MP: total (ratio 1)", total, total);
}

}  // namespace

int main() {
  bench::print_header("bench_segmentation: segmentation-v2 answer for a 4000x3000 mask", "1");

  const int runs = 15;
  const cv::Mat mask = person_mask_4000x3000();
  std::string json;
  image::append_mask_rows_json(mask, json);
  const size_t json_bytes = json.size();

  // Anchor: copying the same number of bytes (fresh destination each time, like the writer).
  const std::vector<char> source(json_bytes, '0');
  const Stats memcpy_ms = time_ms(runs, [&] {
    std::string copy;
    copy.resize(json_bytes);
    std::memcpy(copy.data(), source.data(), json_bytes);
  });
  throughput_row("memcpy 24 MB (anchor)", json_bytes, memcpy_ms, memcpy_ms);

  const Stats rows_ms = time_ms(runs, [&] {
    std::string out;
    image::append_mask_rows_json(mask, out);
  });
  throughput_row("mask rows JSON 4000x3000", json_bytes, rows_ms, memcpy_ms);
  time_row("mask rows JSON 4000x3000", rows_ms, memcpy_ms);

  // The whole success body a client gets (JSON + envelope), and its gzip for the HTTP edge.
  api::Reply reply{200, R"({"state":1,"message":"success","errors":"","data":)" + json + "}", ""};
  size_t gzip_bytes = 0;
  for (int level : {1, 6}) {
    const Stats gzip_ms = time_ms(5, [&] {
      api::Reply copy = reply;
      api::gzip_reply_body(copy, level);
      gzip_bytes = copy.body.size();
    });
    const std::string name = "gzip level " + std::to_string(level) + " of the body";
    time_row(name.c_str(), gzip_ms, memcpy_ms);
    throughput_row(name.c_str(), reply.body.size(), gzip_ms, memcpy_ms);
    const std::string size_name = "  size, gzip level " + std::to_string(level);
    size_row(size_name.c_str(), gzip_bytes, json_bytes);
  }

  image::CocoRle rle;
  std::string rle_json;
  const Stats rle_ms = time_ms(runs, [&] {
    rle = image::mask_to_coco_rle(mask);
    rle_json.clear();
    image::append_coco_rle_json(rle, rle_json);
  });
  time_row("COCO RLE + JSON", rle_ms, memcpy_ms);

  std::vector<uint8_t> png;
  const Stats png_ms = time_ms(5, [&] { png = image::mask_to_png(mask); });
  time_row("PNG 1-bit (level 1)", png_ms, memcpy_ms);
  std::string png_base64;
  const Stats base64_ms = time_ms(runs, [&] { png_base64 = image::base64_encode(png); });
  time_row("  + base64", base64_ms, memcpy_ms);

  size_row("size, array JSON (anchor)", json_bytes, json_bytes);
  size_row("size, COCO RLE JSON", rle_json.size(), json_bytes);
  size_row("size, PNG base64", png_base64.size(), json_bytes);
  end_to_end_from_s3();
  return 0;
}

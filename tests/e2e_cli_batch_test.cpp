// End to end: batch mode of `predict` and `segment` (many photos, one output per photo in a
// directory, failures listed and never aborting), on the real binary with stderr not a terminal.
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "image/image.h"
#include "support/server_process.h"
#include "support/testdata.h"

namespace bodyshape {
namespace {

using testing::run_bodyshape;
using testing::TempDir;

std::vector<std::string> with_models(std::vector<std::string> args) {
  args.insert(args.end(), {"--model-dir", testing::model_path("")});
  return args;
}

std::string photo(const std::string& name) {
  return testing::shared_path("testdata/images/" + name);
}

// The EXIF-upright size of a photo, which every output has (no --side-by-side).
cv::Size upright_size(const std::string& path) {
  auto decoded = image::decode_image(testing::read_bytes(path));
  EXPECT_TRUE(decoded) << path;
  return decoded ? decoded->size() : cv::Size();
}

size_t files_in(const std::string& dir) {
  size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++count;
  return count;
}

void expect_png_of_size(const std::string& path, cv::Size size) {
  ASSERT_TRUE(std::filesystem::exists(path)) << path;
  auto decoded = image::decode_image(testing::read_bytes(path));
  ASSERT_TRUE(decoded) << path;
  EXPECT_EQ(decoded->size(), size) << path;
}

TEST(CliBatch, PredictWritesOnePerGoodPhotoAndListsTheFailures) {
  TempDir dir;
  const std::vector<std::string> good = {photo("man_yoga_warrior_beach.jpg"),
                                         photo("woman_standing_front_studio.jpg"),
                                         photo("exif_orientation6_woman_squat.jpg")};
  const std::string not_an_image = testing::shared_path("testdata/bad/not_an_image.txt");
  const std::string nobody = photo("no_person_terrace.jpg");
  std::vector<std::string> args = {"predict"};
  args.insert(args.end(), good.begin(), good.end());
  args.insert(args.end(), {not_an_image, nobody, "-o", dir.path() + "/out/", "--goal", "best",
                           "--gender", "female"});
  const auto result = run_bodyshape(with_models(args));

  EXPECT_EQ(result.exit_code, 1) << result.err;
  for (const std::string& input : good) {
    const std::string stem = std::filesystem::path(input).stem().string();
    expect_png_of_size(dir.path() + "/out/" + stem + ".png", upright_size(input));
  }
  EXPECT_EQ(files_in(dir.path() + "/out"), 3u);
  // Not a terminal: one plain line per photo, then the summary and each failure with its reason.
  EXPECT_NE(result.err.find("[5/5] "), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("man_yoga_warrior_beach.jpg ok "), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("5 photos: 3 done, 2 failed in "), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("  failed " + not_an_image + ": "), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("  failed " + nobody + ": no person"), std::string::npos)
      << result.err;
  EXPECT_EQ(result.err.find('\r'), std::string::npos) << "no progress bar off a terminal";
}

TEST(CliBatch, SegmentIntoAnExistingDirectoryWritesMasksAndOverlays) {
  TempDir dir;
  const std::vector<std::string> good = {photo("man_yoga_warrior_beach.jpg"),
                                         photo("woman_standing_front_studio.jpg")};
  // One photo into an existing directory is batch mode too; two workers share the models.
  for (const auto& inputs : {std::vector<std::string>{good[0]}, good}) {
    std::vector<std::string> args = {"segment"};
    args.insert(args.end(), inputs.begin(), inputs.end());
    args.insert(args.end(), {"-o", dir.path(), "--overlay", dir.path() + "/looks",
                             "--inference-workers", "2"});
    const auto result = run_bodyshape(with_models(args));
    EXPECT_EQ(result.exit_code, 0) << result.err;
    const std::string done = std::to_string(inputs.size()) + " done, 0 failed";
    EXPECT_NE(result.err.find(done), std::string::npos) << result.err;
  }
  for (const std::string& input : good) {
    const std::string stem = std::filesystem::path(input).stem().string();
    expect_png_of_size(dir.path() + "/" + stem + ".png", upright_size(input));
    expect_png_of_size(dir.path() + "/looks/" + stem + ".png", upright_size(input));
  }
}

TEST(CliBatch, OutputsNeverOverwriteEachOtherOrThePhotos) {
  TempDir dir;
  const std::string copy = dir.path() + "/man_yoga_warrior_beach.png";
  std::filesystem::copy_file(photo("man_yoga_warrior_beach.jpg"), copy);
  const auto result = run_bodyshape(with_models(
      {"segment", photo("man_yoga_warrior_beach.jpg"), copy, "-o", dir.path() + "/out/"}));
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("same output name as"), std::string::npos) << result.err;
  EXPECT_EQ(files_in(dir.path() + "/out"), 1u);

  // Into the photos' own directory, the JPEG's mask would replace the PNG photo: neither runs.
  const std::vector<uint8_t> before = testing::read_bytes(copy);
  const auto into_photos = run_bodyshape(
      with_models({"segment", photo("man_yoga_warrior_beach.jpg"), copy, "-o", dir.path()}));
  EXPECT_EQ(into_photos.exit_code, 1) << into_photos.err;
  EXPECT_NE(into_photos.err.find("would overwrite an input photo"), std::string::npos)
      << into_photos.err;
  EXPECT_EQ(testing::read_bytes(copy), before);
}

}  // namespace
}  // namespace bodyshape

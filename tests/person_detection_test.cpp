// Detector post-processing: anchors, decoding, weighted NMS, letterbox; and the stored detector
// tensors of the astronaut portrait decoded to a plausible person.
#include <cmath>

#include <gtest/gtest.h>

#include "person/detection.h"
#include "support/testdata.h"

namespace bodyshape::person {
namespace {

TEST(PersonAnchors, CountAndKnownCentres) {
  const std::vector<Anchor> anchors = generate_anchors({});
  // 28^2*2 + 14^2*2 + 7^2*6 (MEDIAPIPE-FACTS.md).
  ASSERT_EQ(anchors.size(), 2254u);
  auto expect_centre = [&](size_t i, float x, float y) {
    SCOPED_TRACE(i);
    EXPECT_FLOAT_EQ(anchors[i].x_center, x);
    EXPECT_FLOAT_EQ(anchors[i].y_center, y);
    EXPECT_FLOAT_EQ(anchors[i].width, 1.0f);
    EXPECT_FLOAT_EQ(anchors[i].height, 1.0f);
  };
  expect_centre(0, 0.5f / 28, 0.5f / 28);
  expect_centre(1, 0.5f / 28, 0.5f / 28);     // two anchors per stride-8 cell
  expect_centre(2, 1.5f / 28, 0.5f / 28);     // then x
  expect_centre(56, 0.5f / 28, 1.5f / 28);    // then y
  expect_centre(1568, 0.5f / 14, 0.5f / 14);  // stride 16 starts after 28*28*2
  expect_centre(1960, 0.5f / 7, 0.5f / 7);    // stride 32 (three layers) after 14*14*2 more
  expect_centre(1965, 0.5f / 7, 0.5f / 7);    // six anchors per stride-32 cell
  expect_centre(1966, 1.5f / 7, 0.5f / 7);
  expect_centre(2253, 6.5f / 7, 6.5f / 7);
}

TEST(PersonDecode, XFirstScaledByInputSizeWithSigmoidScore) {
  const std::vector<Anchor> anchors{{0.25f, 0.75f, 1, 1}, {0.5f, 0.5f, 1, 1}};
  std::vector<float> boxes(2 * 12, 0.0f);
  // Row 0: centre offset (+22.4, -11.2) px, size 44.8 x 89.6 px, kp0 at +0 px, kp1 at (-22.4, 0).
  const float row0[12] = {22.4f, -11.2f, 44.8f, 89.6f, 0, 0, -22.4f, 0, 0, 0, 0, 0};
  std::copy(row0, row0 + 12, boxes.begin());
  const std::vector<float> scores{2.0f, -1.0f};  // 0.88 kept, 0.27 dropped
  const auto detections = decode_detections(boxes, scores, anchors, {});
  ASSERT_EQ(detections.size(), 1u);
  const Detection& d = detections[0];
  EXPECT_NEAR(d.score, 1.0 / (1.0 + std::exp(-2.0)), 1e-6);
  EXPECT_NEAR(d.box.xmin, 0.25 + 0.1 - 0.1, 1e-6);
  EXPECT_NEAR(d.box.ymin, 0.75 - 0.05 - 0.2, 1e-6);
  EXPECT_NEAR(d.box.width, 0.2, 1e-6);
  EXPECT_NEAR(d.box.height, 0.4, 1e-6);
  EXPECT_NEAR(d.keypoints[0].x, 0.25, 1e-6);
  EXPECT_NEAR(d.keypoints[1].x, 0.15, 1e-6);
  EXPECT_NEAR(d.keypoints[1].y, 0.75, 1e-6);
}

TEST(PersonDecode, ClampsHugeLogitsAndDropsNegativeBoxes) {
  const std::vector<Anchor> anchors{{0.5f, 0.5f, 1, 1}, {0.5f, 0.5f, 1, 1}};
  std::vector<float> boxes(24, 0.0f);
  boxes[2] = 10;  // row 0: positive size
  boxes[3] = 10;
  boxes[14] = -5;  // row 1: negative width -> dropped
  boxes[15] = 10;
  const std::vector<float> scores{1e9f, 1e9f};
  const auto detections = decode_detections(boxes, scores, anchors, {});
  ASSERT_EQ(detections.size(), 1u);
  EXPECT_FLOAT_EQ(detections[0].score, 1.0f);
}

Detection box(float xmin, float ymin, float w, float h, float score, float kp_x) {
  Detection d;
  d.score = score;
  d.box = {xmin, ymin, w, h};
  for (auto& kp : d.keypoints) kp = {kp_x, 0.5f};
  return d;
}

TEST(PersonNms, IouOfKnownBoxes) {
  EXPECT_FLOAT_EQ(iou({0, 0, 1, 1}, {0, 0, 1, 1}), 1.0f);
  EXPECT_FLOAT_EQ(iou({0, 0, 1, 1}, {0.5f, 0, 1, 1}), 0.5f / 1.5f);
  EXPECT_FLOAT_EQ(iou({0, 0, 1, 1}, {2, 2, 1, 1}), 0.0f);
}

TEST(PersonNms, WeightedAverageOfOverlapsKeepsBestScore) {
  std::vector<Detection> in{
      box(0.10f, 0.10f, 0.20f, 0.20f, 0.6f, 0.2f),  // overlaps the best (IoU 0.82)
      box(0.60f, 0.60f, 0.20f, 0.20f, 0.7f, 0.7f),  // separate person
      box(0.12f, 0.10f, 0.20f, 0.20f, 0.9f, 0.4f),  // best
      box(0.25f, 0.10f, 0.20f, 0.20f, 0.8f, 0.9f),  // IoU 0.21 with the best: survives
  };
  const auto out = weighted_nms(in, {});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_FLOAT_EQ(out[0].score, 0.9f);
  // Weighted by score: xmin = (0.10*0.6 + 0.12*0.9) / 1.5.
  EXPECT_NEAR(out[0].box.xmin, (0.10 * 0.6 + 0.12 * 0.9) / 1.5, 1e-6);
  EXPECT_NEAR(out[0].box.width, 0.2, 1e-6);
  EXPECT_NEAR(out[0].keypoints[0].x, (0.2 * 0.6 + 0.4 * 0.9) / 1.5, 1e-6);
  EXPECT_FLOAT_EQ(out[1].score, 0.8f);
  EXPECT_FLOAT_EQ(out[2].score, 0.7f);
  EXPECT_NEAR(out[2].box.xmin, 0.6, 1e-6);
}

TEST(PersonLetterbox, PaddingAndRemoval) {
  const Letterbox wide = letterbox_for(1000, 500, 224, 224);
  EXPECT_FLOAT_EQ(wide.top, 0.25f);
  EXPECT_FLOAT_EQ(wide.bottom, 0.25f);
  EXPECT_FLOAT_EQ(wide.left, 0.0f);
  const Letterbox tall = letterbox_for(400, 1000, 224, 224);
  EXPECT_FLOAT_EQ(tall.left, 0.3f);
  EXPECT_FLOAT_EQ(tall.top, 0.0f);

  Detection d = box(0.3f, 0.25f, 0.2f, 0.5f, 1, 0.5f);
  d.keypoints[1] = {0.3f, 0.75f};
  const Detection r = remove_letterbox(d, tall);
  EXPECT_NEAR(r.box.xmin, 0.0, 1e-6);  // tensor x 0.3 is the image's left edge
  EXPECT_NEAR(r.box.width, 0.5, 1e-6);
  EXPECT_NEAR(r.box.ymin, 0.25, 1e-6);
  EXPECT_NEAR(r.keypoints[1].x, 0.0, 1e-6);
  EXPECT_NEAR(r.keypoints[0].x, 0.5, 1e-6);
}

// tensors/: the detector's outputs for the 512x512 astronaut portrait (a person from the chest
// up, centred), so one person, square input, no letterbox.
TEST(PersonDecode, StoredDetectorTensorsGiveOnePlausiblePerson) {
  const auto boxes =
      testing::read_f32(testing::shared_path("testdata/tensors/pose_detection.Identity.f32"));
  const auto scores =
      testing::read_f32(testing::shared_path("testdata/tensors/pose_detection.Identity_1.f32"));
  ASSERT_EQ(boxes.size(), 2254u * 12);
  ASSERT_EQ(scores.size(), 2254u);
  const auto anchors = generate_anchors({});
  const auto raw = decode_detections(boxes, scores, anchors, {});
  ASSERT_FALSE(raw.empty());
  const auto people = weighted_nms(raw, {});
  ASSERT_EQ(people.size(), 1u) << "one person in the portrait";
  const Detection& p = people[0];
  // MEDIAPIPE-FACTS.md: best score 0.81 with the [-1, 1] input.
  EXPECT_NEAR(p.score, 0.81, 0.01);
  // BlazePose's detector box is the face (the golden yoga detection is a 0.2 x 0.3 box on the
  // head): the portrait's face is centred horizontally in the upper half.
  const float cx = p.box.xmin + p.box.width / 2;
  const float cy = p.box.ymin + p.box.height / 2;
  EXPECT_GT(cx, 0.3f);
  EXPECT_LT(cx, 0.7f);
  EXPECT_LT(cy, 0.6f);
  EXPECT_GT(p.box.width, 0.1f);
  EXPECT_LT(p.box.width, 0.5f);
  // Hip centre (kp0) below the face; the full-body scale point (kp1) above the hips; the shoulder
  // centre (kp2) below the upper-body scale point (kp3).
  EXPECT_GT(p.keypoints[0].y, cy);
  EXPECT_LT(p.keypoints[1].y, p.keypoints[0].y);
  EXPECT_GT(p.keypoints[2].y, p.keypoints[3].y);
  for (int k = 0; k < 4; ++k)
    std::printf("kp%d (%.3f %.3f)\n", k, p.keypoints[k].x, p.keypoints[k].y);
  std::printf("astronaut portrait: score %.3f box (%.3f %.3f %.3f %.3f) from %zu raw\n", p.score,
              p.box.xmin, p.box.ymin, p.box.width, p.box.height, raw.size());
}

}  // namespace
}  // namespace bodyshape::person

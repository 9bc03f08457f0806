// base64_encode / base64_decode: RFC 4648 vectors, random round trips, and the leniencies the
// contract needs (missing padding, whitespace, data: URL prefix) next to what must stay an error.
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "image/image.h"

namespace bodyshape::image {
namespace {

std::vector<uint8_t> bytes_of(std::string_view s) {
  return {s.begin(), s.end()};
}

std::string decoded_text(std::string_view base64) {
  const Result<std::vector<uint8_t>> bytes = base64_decode(base64);
  EXPECT_TRUE(bytes.ok()) << base64 << ": " << bytes.error().message;
  return bytes.ok() ? std::string(bytes->begin(), bytes->end()) : std::string();
}

void expect_invalid(std::string_view base64, const std::string& message_part) {
  const Result<std::vector<uint8_t>> bytes = base64_decode(base64);
  ASSERT_FALSE(bytes.ok()) << "'" << base64 << "' decoded";
  EXPECT_EQ(bytes.error().code, ErrorCode::kBadImage);
  EXPECT_NE(bytes.error().message.find(message_part), std::string::npos) << bytes.error().message;
}

// RFC 4648 section 10.
const std::pair<const char*, const char*> kRfc4648[] = {
    {"f", "Zg=="},        {"fo", "Zm8="},        {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
};

TEST(ImageBase64, Rfc4648Vectors) {
  EXPECT_EQ(base64_encode({}), "");
  for (const auto& [plain, encoded] : kRfc4648) {
    EXPECT_EQ(base64_encode(bytes_of(plain)), encoded);
    EXPECT_EQ(decoded_text(encoded), plain);
  }
}

TEST(ImageBase64, RandomRoundTripsOfEveryLengthUpTo100) {
  std::mt19937 random(4648);
  for (size_t length = 1; length <= 100; ++length) {
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<uint8_t> bytes(length);
      for (uint8_t& b : bytes) b = static_cast<uint8_t>(random());
      const std::string text = base64_encode(bytes);
      ASSERT_EQ(text.size() % 4, 0u);
      const Result<std::vector<uint8_t>> back = base64_decode(text);
      ASSERT_TRUE(back.ok()) << back.error().message;
      ASSERT_EQ(*back, bytes) << "length " << length;
    }
  }
}

TEST(ImageBase64, EmptyInputIsAnError) {
  const Result<std::vector<uint8_t>> nothing = base64_decode("");
  ASSERT_FALSE(nothing.ok());
  EXPECT_EQ(nothing.error().code, ErrorCode::kBadImage);
  EXPECT_EQ(nothing.error().message, "base64Image is empty");
  EXPECT_FALSE(base64_decode(" \n ").ok());
  EXPECT_FALSE(base64_decode("data:image/png;base64,").ok());
}

TEST(ImageBase64, MissingPaddingWhitespaceAndDataUrlAreTolerated) {
  EXPECT_EQ(decoded_text("Zg"), "f");
  EXPECT_EQ(decoded_text("Zm8"), "fo");
  EXPECT_EQ(decoded_text("Zm9vYg"), "foob");
  EXPECT_EQ(decoded_text("Zm9v\r\nYmFy\n"), "foobar");
  EXPECT_EQ(decoded_text("  Zm 9v Ym E= "), "fooba");
  EXPECT_EQ(decoded_text("Zm9vYg=\n="), "foob");
  EXPECT_EQ(decoded_text("data:image/png;base64,Zm9vYmFy"), "foobar");
  EXPECT_EQ(decoded_text("\ndata:image/jpeg;base64,Zm9vYg=="), "foob");

  // Wrapped at 76 columns, as MIME encoders write it.
  std::mt19937 random(76);
  std::vector<uint8_t> bytes(1000);
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(random());
  const std::string flat = base64_encode(bytes);
  std::string wrapped;
  for (size_t i = 0; i < flat.size(); i += 76) wrapped += flat.substr(i, 76) + "\r\n";
  const Result<std::vector<uint8_t>> back = base64_decode(wrapped);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, bytes);
}

TEST(ImageBase64, InvalidInputNamesTheFault) {
  expect_invalid("Zm9v!mFy", "base64Image is not valid base64 (invalid character '!' at offset 4)");
  expect_invalid("Zm9vY", "single dangling character");
  expect_invalid("Zm9vYmFy\xff", "byte 0xff at offset 8");
  expect_invalid("Zg==Zg==", "data after '=' padding at offset 2");
  expect_invalid("Zg=", "padding");
  expect_invalid("Zm9v=", "padding");
  expect_invalid("Zm8==", "padding");
  expect_invalid("Zm9v-_", "'-'");  // the URL-safe alphabet is not the standard one
  expect_invalid("data:image/png,Zm9v", "not marked ;base64");
  expect_invalid("data:image/png;base64", "without a comma");
}

}  // namespace
}  // namespace bodyshape::image

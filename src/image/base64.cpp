#include <array>
#include <string>

#include "image/image.h"

namespace bodyshape::image {
namespace {

// RFC 4648 section 4, the standard alphabet.
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr uint8_t kInvalid = 0xFF;
constexpr uint8_t kSkip = 0xFE;  // whitespace: tolerated anywhere
constexpr uint8_t kPad = 0xFD;   // '='

constexpr std::array<uint8_t, 256> make_decode_table() {
  std::array<uint8_t, 256> table{};
  table.fill(kInvalid);
  for (uint8_t i = 0; i < 64; ++i) table[static_cast<uint8_t>(kAlphabet[i])] = i;
  for (char c : {' ', '\t', '\r', '\n', '\f', '\v'}) table[static_cast<uint8_t>(c)] = kSkip;
  table['='] = kPad;
  return table;
}
constexpr std::array<uint8_t, 256> kDecode = make_decode_table();

Error invalid(const std::string& why) {
  return make_error(ErrorCode::kBadImage, "base64Image is not valid base64 (" + why + ")");
}

std::string describe_char(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte >= 0x21 && byte < 0x7F) return std::string("'") + c + "'";
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("byte 0x") + kHex[byte >> 4] + kHex[byte & 15];
}

// "data:image/png;base64,...." -> "....". A data URL that is not base64 is an error.
Result<std::string_view> strip_data_url(std::string_view text) {
  size_t start = 0;
  while (start < text.size() && kDecode[static_cast<uint8_t>(text[start])] == kSkip) ++start;
  if (text.substr(start, 5) != "data:") return text;
  const size_t comma = text.find(',', start);
  if (comma == std::string_view::npos) return invalid("data URL without a comma");
  const std::string_view media = text.substr(start, comma - start);
  if (media.size() < 7 || media.substr(media.size() - 7) != ";base64") {
    return invalid("data URL is not marked ;base64");
  }
  return text.substr(comma + 1);
}

}  // namespace

std::string base64_encode(std::span<const uint8_t> bytes) {
  std::string text((bytes.size() + 2) / 3 * 4, '=');
  const uint8_t* in = bytes.data();
  char* out = text.data();
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3, out += 4) {
    const uint32_t v = uint32_t{in[i]} << 16 | uint32_t{in[i + 1]} << 8 | in[i + 2];
    out[0] = kAlphabet[v >> 18];
    out[1] = kAlphabet[(v >> 12) & 63];
    out[2] = kAlphabet[(v >> 6) & 63];
    out[3] = kAlphabet[v & 63];
  }
  const size_t left = bytes.size() - i;
  if (left > 0) {
    const uint32_t v = uint32_t{in[i]} << 16 | (left == 2 ? uint32_t{in[i + 1]} << 8 : 0u);
    out[0] = kAlphabet[v >> 18];
    out[1] = kAlphabet[(v >> 12) & 63];
    if (left == 2) out[2] = kAlphabet[(v >> 6) & 63];
  }
  return text;
}

Result<std::vector<uint8_t>> base64_decode(std::string_view text) {
  const Result<std::string_view> payload = strip_data_url(text);
  if (!payload) return payload.error();
  const std::string_view s = *payload;
  const size_t base =
      static_cast<size_t>(s.data() - text.data());  // offsets in errors are in `text`

  std::vector<uint8_t> bytes(s.size() / 4 * 3 + 3);
  uint8_t* out = bytes.data();
  const auto* in = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  uint32_t quad = 0;   // sextets gathered by the slow path
  int quad_count = 0;  // 0..3
  size_t padding = 0;
  size_t padding_at = 0;
  while (i < n) {
    // Fast path: whole groups of four alphabet characters, no whitespace or padding.
    if (quad_count == 0 && padding == 0) {
      while (i + 4 <= n) {
        const uint32_t a = kDecode[in[i]], b = kDecode[in[i + 1]], c = kDecode[in[i + 2]],
                       d = kDecode[in[i + 3]];
        if ((a | b | c | d) & 0xC0) break;
        const uint32_t v = a << 18 | b << 12 | c << 6 | d;
        out[0] = static_cast<uint8_t>(v >> 16);
        out[1] = static_cast<uint8_t>(v >> 8);
        out[2] = static_cast<uint8_t>(v);
        out += 3;
        i += 4;
      }
      if (i >= n) break;
    }
    // Slow path: one character.
    const uint8_t code = kDecode[in[i]];
    if (code == kSkip) {
      ++i;
      continue;
    }
    if (code == kPad) {
      if (padding == 0) padding_at = i;
      ++padding;
      ++i;
      continue;
    }
    if (code == kInvalid) {
      return invalid("invalid character " + describe_char(s[i]) + " at offset " +
                     std::to_string(base + i));
    }
    if (padding > 0) {
      return invalid("data after '=' padding at offset " + std::to_string(base + padding_at));
    }
    quad = quad << 6 | code;
    if (++quad_count == 4) {
      out[0] = static_cast<uint8_t>(quad >> 16);
      out[1] = static_cast<uint8_t>(quad >> 8);
      out[2] = static_cast<uint8_t>(quad);
      out += 3;
      quad = 0;
      quad_count = 0;
    }
    ++i;
  }

  // A final group of 2 or 3 characters carries 1 or 2 bytes; padding, when present, completes it.
  if (quad_count == 1) return invalid("length leaves a single dangling character");
  if (padding > 0 && (quad_count == 0 || quad_count + padding != 4)) {
    return invalid("wrong amount of '=' padding at offset " + std::to_string(base + padding_at));
  }
  if (quad_count == 2) {
    *out++ = static_cast<uint8_t>(quad >> 4);
  } else if (quad_count == 3) {
    *out++ = static_cast<uint8_t>(quad >> 10);
    *out++ = static_cast<uint8_t>(quad >> 2);
  }
  bytes.resize(static_cast<size_t>(out - bytes.data()));
  if (bytes.empty()) return make_error(ErrorCode::kBadImage, "base64Image is empty");
  return bytes;
}

}  // namespace bodyshape::image

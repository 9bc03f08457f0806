// Bounds-checked reads of big- and little-endian integers from untrusted bytes. Every read says
// whether it fitted, so header parsers never index past the end of what the client sent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace bodyshape::image::detail {

class ByteView {
 public:
  explicit ByteView(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  size_t size() const { return bytes_.size(); }
  bool has(size_t offset, size_t count) const {
    return offset <= bytes_.size() && count <= bytes_.size() - offset;
  }
  std::span<const uint8_t> sub(size_t offset, size_t count) const {
    return has(offset, count) ? bytes_.subspan(offset, count) : std::span<const uint8_t>{};
  }

  std::optional<uint8_t> u8(size_t offset) const {
    if (!has(offset, 1)) return std::nullopt;
    return bytes_[offset];
  }
  std::optional<uint16_t> u16(size_t offset, bool big_endian) const {
    if (!has(offset, 2)) return std::nullopt;
    const uint16_t a = bytes_[offset], b = bytes_[offset + 1];
    return static_cast<uint16_t>(big_endian ? (a << 8) | b : (b << 8) | a);
  }
  std::optional<uint32_t> u24le(size_t offset) const {
    if (!has(offset, 3)) return std::nullopt;
    return uint32_t{bytes_[offset]} | uint32_t{bytes_[offset + 1]} << 8 |
           uint32_t{bytes_[offset + 2]} << 16;
  }
  std::optional<uint32_t> u32(size_t offset, bool big_endian) const {
    if (!has(offset, 4)) return std::nullopt;
    uint32_t value = 0;
    for (size_t i = 0; i < 4; ++i) {
      const size_t index = big_endian ? offset + i : offset + 3 - i;
      value = value << 8 | bytes_[index];
    }
    return value;
  }
  std::optional<uint16_t> be16(size_t offset) const { return u16(offset, true); }
  std::optional<uint32_t> be32(size_t offset) const { return u32(offset, true); }
  std::optional<uint16_t> le16(size_t offset) const { return u16(offset, false); }
  std::optional<uint32_t> le32(size_t offset) const { return u32(offset, false); }

  bool starts_with(size_t offset, std::span<const uint8_t> prefix) const {
    if (!has(offset, prefix.size())) return false;
    for (size_t i = 0; i < prefix.size(); ++i) {
      if (bytes_[offset + i] != prefix[i]) return false;
    }
    return true;
  }
  bool starts_with(size_t offset, const char* ascii) const {
    size_t i = 0;
    for (; ascii[i] != '\0'; ++i) {
      if (!has(offset + i, 1) || bytes_[offset + i] != static_cast<uint8_t>(ascii[i])) return false;
    }
    return true;
  }

 private:
  std::span<const uint8_t> bytes_;
};

}  // namespace bodyshape::image::detail

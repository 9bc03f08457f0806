// Small helpers shared by the libFuzzer targets in this folder (fuzz/README.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

namespace bodyshape::fuzz {

inline std::span<const uint8_t> bytes_of(const uint8_t* data, size_t size) {
  return {data, size};
}

inline std::string_view text_of(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A property a target checks beyond "no crash": a broken one aborts, which libFuzzer reports.
inline void check(bool property) {
  if (!property) std::abort();
}

}  // namespace bodyshape::fuzz

#include "image/png_writer.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>

#include <libdeflate.h>

namespace bodyshape::image {
namespace {

constexpr std::array<uint8_t, 8> kPngSignature = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

// One row filter (PNG spec 9.2): out = cur minus its predictor; `prev` is the row above (zeros for
// the first row), `bpp` the bytes per pixel, a = left, b = above, c = above-left (0 off the edge).
using RowFilter = void (*)(const uint8_t* __restrict cur, const uint8_t* __restrict prev, size_t n,
                           size_t bpp, uint8_t* __restrict out);

void filter_none(const uint8_t* __restrict cur, const uint8_t* __restrict, size_t n, size_t,
                 uint8_t* __restrict out) {
  std::memcpy(out, cur, n);
}

void filter_sub(const uint8_t* __restrict cur, const uint8_t* __restrict, size_t n, size_t bpp,
                uint8_t* __restrict out) {
  for (size_t i = 0; i < bpp; ++i) out[i] = cur[i];
  for (size_t i = bpp; i < n; ++i) out[i] = static_cast<uint8_t>(cur[i] - cur[i - bpp]);
}

void filter_up(const uint8_t* __restrict cur, const uint8_t* __restrict prev, size_t n, size_t,
               uint8_t* __restrict out) {
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(cur[i] - prev[i]);
}

void filter_average(const uint8_t* __restrict cur, const uint8_t* __restrict prev, size_t n,
                    size_t bpp, uint8_t* __restrict out) {
  for (size_t i = 0; i < bpp; ++i) out[i] = static_cast<uint8_t>(cur[i] - (prev[i] >> 1));
  for (size_t i = bpp; i < n; ++i) {
    out[i] = static_cast<uint8_t>(cur[i] - ((cur[i - bpp] + prev[i]) >> 1));
  }
}

// Branch-free form of the spec's PaethPredictor so that the loop vectorises.
inline int paeth_predictor(int a, int b, int c) {
  const int pa = std::abs(b - c), pb = std::abs(a - c), pc = std::abs(a + b - 2 * c);
  return (pa <= pb && pa <= pc) ? a : (pb <= pc ? b : c);
}

void filter_paeth(const uint8_t* __restrict cur, const uint8_t* __restrict prev, size_t n,
                  size_t bpp, uint8_t* __restrict out) {
  for (size_t i = 0; i < bpp; ++i) out[i] = static_cast<uint8_t>(cur[i] - prev[i]);
  for (size_t i = bpp; i < n; ++i) {
    out[i] = static_cast<uint8_t>(cur[i] - paeth_predictor(cur[i - bpp], prev[i], prev[i - bpp]));
  }
}

// Indexed by the filter type byte the row carries in the PNG stream.
constexpr std::array<RowFilter, 5> kRowFilters = {filter_none, filter_sub, filter_up,
                                                  filter_average, filter_paeth};

// libpng's heuristic for choosing a filter per row: the smallest sum of |residual as int8|.
uint64_t residual_cost(const uint8_t* row, size_t n) {
  uint64_t sum = 0;
  for (size_t i = 0; i < n; ++i) sum += static_cast<uint64_t>(std::abs(static_cast<int8_t>(row[i])));
  return sum;
}

// Writes height rows of (filter type byte + n filtered bytes) into `filtered`.
void filter_rows(const cv::Mat& pixels, PngFilter filter, uint8_t* filtered) {
  const size_t bpp = pixels.elemSize();
  const size_t n = static_cast<size_t>(pixels.cols) * bpp;
  const std::vector<uint8_t> zero_row(n, 0);
  std::vector<uint8_t> candidates;
  if (filter == PngFilter::kAdaptive) candidates.resize(kRowFilters.size() * n);
  for (int y = 0; y < pixels.rows; ++y) {
    const uint8_t* cur = pixels.ptr<uint8_t>(y);
    const uint8_t* prev = y > 0 ? pixels.ptr<uint8_t>(y - 1) : zero_row.data();
    uint8_t* out = filtered + static_cast<size_t>(y) * (n + 1);
    if (filter != PngFilter::kAdaptive) {
      out[0] = static_cast<uint8_t>(filter);
      kRowFilters[static_cast<size_t>(filter)](cur, prev, n, bpp, out + 1);
      continue;
    }
    size_t best = 0;
    uint64_t best_cost = std::numeric_limits<uint64_t>::max();
    for (size_t type = 0; type < kRowFilters.size(); ++type) {
      uint8_t* candidate = candidates.data() + type * n;
      kRowFilters[type](cur, prev, n, bpp, candidate);
      const uint64_t cost = residual_cost(candidate, n);
      if (cost < best_cost) {
        best_cost = cost;
        best = type;
      }
    }
    out[0] = static_cast<uint8_t>(best);
    std::memcpy(out + 1, candidates.data() + best * n, n);
  }
}

// Compressors are reused per thread (allocating one costs more than a small image's encode); one
// slot per level since callers rarely mix levels.
libdeflate_compressor* compressor_for(int level) {
  struct Free {
    void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
  };
  thread_local std::array<std::unique_ptr<libdeflate_compressor, Free>, 13> compressors;
  auto& slot = compressors[static_cast<size_t>(level)];
  if (!slot) {
    slot.reset(libdeflate_alloc_compressor(level));
    if (!slot) throw std::bad_alloc();
  }
  return slot.get();
}

void store_u32(uint8_t* at, uint32_t value) {  // PNG integers are big-endian
  at[0] = static_cast<uint8_t>(value >> 24);
  at[1] = static_cast<uint8_t>(value >> 16);
  at[2] = static_cast<uint8_t>(value >> 8);
  at[3] = static_cast<uint8_t>(value);
}

// Writes length, type, data, CRC-32 of type + data (PNG spec 5.3) at `at`; returns the end.
uint8_t* write_chunk(uint8_t* at, const char* type, const uint8_t* data, size_t size) {
  store_u32(at, static_cast<uint32_t>(size));
  std::memcpy(at + 4, type, 4);
  if (size > 0) std::memcpy(at + 8, data, size);
  store_u32(at + 8 + size, libdeflate_crc32(0, at + 4, 4 + size));
  return at + 12 + size;
}

}  // namespace

std::vector<uint8_t> write_png(const cv::Mat& pixels, const PngSettings& settings,
                               size_t max_idat_bytes) {
  if (pixels.empty() || pixels.dims != 2 ||
      (pixels.type() != CV_8UC3 && pixels.type() != CV_8UC1)) {
    throw std::invalid_argument("encode_png expects a non-empty CV_8UC3 RGB or CV_8UC1 image");
  }
  if (settings.deflate_level < 0 || settings.deflate_level > 12) {
    throw std::invalid_argument("encode_png: deflate_level must be 0..12, got " +
                                std::to_string(settings.deflate_level));
  }
  if (static_cast<int>(settings.filter) < 0 ||
      static_cast<int>(settings.filter) > static_cast<int>(PngFilter::kAdaptive)) {
    throw std::invalid_argument("encode_png: unknown PngFilter");
  }
  if (max_idat_bytes == 0 || max_idat_bytes > kMaxPngChunkBytes) {
    throw std::invalid_argument("encode_png: IDAT size must be 1..2^31-1");
  }

  const size_t row_bytes = 1 + static_cast<size_t>(pixels.cols) * pixels.elemSize();
  const size_t filtered_bytes = row_bytes * static_cast<size_t>(pixels.rows);
  const auto filtered = std::make_unique_for_overwrite<uint8_t[]>(filtered_bytes);
  filter_rows(pixels, settings.filter, filtered.get());

  libdeflate_compressor* compressor = compressor_for(settings.deflate_level);
  const size_t bound = libdeflate_zlib_compress_bound(compressor, filtered_bytes);
  const auto zlib = std::make_unique_for_overwrite<uint8_t[]>(bound);
  const size_t zlib_bytes =
      libdeflate_zlib_compress(compressor, filtered.get(), filtered_bytes, zlib.get(), bound);
  if (zlib_bytes == 0) throw std::runtime_error("libdeflate: output exceeded its own bound");

  // width, height, bit depth 8, colour type (2 = RGB, 0 = grey), deflate, filter set 0, no interlace
  std::array<uint8_t, 13> ihdr = {0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0};
  store_u32(ihdr.data(), static_cast<uint32_t>(pixels.cols));
  store_u32(ihdr.data() + 4, static_cast<uint32_t>(pixels.rows));
  ihdr[9] = pixels.channels() == 3 ? 2 : 0;

  const size_t idat_chunks = (zlib_bytes + max_idat_bytes - 1) / max_idat_bytes;
  std::vector<uint8_t> png(kPngSignature.size() + (12 + ihdr.size()) + 12 * idat_chunks +
                           zlib_bytes + 12);
  uint8_t* at = std::copy(kPngSignature.begin(), kPngSignature.end(), png.data());
  at = write_chunk(at, "IHDR", ihdr.data(), ihdr.size());
  // One zlib stream across all IDATs (PNG spec 10.1); split only past the chunk-length limit.
  for (size_t start = 0; start < zlib_bytes; start += max_idat_bytes) {
    at = write_chunk(at, "IDAT", zlib.get() + start, std::min(max_idat_bytes, zlib_bytes - start));
  }
  write_chunk(at, "IEND", nullptr, 0);
  return png;
}

}  // namespace bodyshape::image

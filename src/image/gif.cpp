#include "image/gif.h"

#include <gif_lib.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace bodyshape::image::detail {
namespace {

struct MemorySource {
  std::span<const uint8_t> bytes;
  size_t offset = 0;
};

int read_from_memory(GifFileType* gif, GifByteType* out, int count) {
  auto* source = static_cast<MemorySource*>(gif->UserData);
  const size_t left = source->bytes.size() - source->offset;
  const size_t n = std::min(left, static_cast<size_t>(std::max(count, 0)));
  std::memcpy(out, source->bytes.data() + source->offset, n);
  source->offset += n;
  return static_cast<int>(n);
}

struct GifCloser {
  void operator()(GifFileType* gif) const {
    int error = 0;
    DGifCloseFile(gif, &error);
  }
};

Error gif_error(const std::string& what, int code) {
  const char* reason = GifErrorString(code);
  return make_error(ErrorCode::kBadImage,
                    "GIF " + what + ": " + (reason != nullptr ? reason : "unknown giflib error"));
}

cv::Vec3b palette_rgb(const ColorMapObject* palette, int index) {
  if (palette == nullptr || index < 0 || index >= palette->ColorCount) return {0, 0, 0};
  const GifColorType& c = palette->Colors[index];
  return {c.Red, c.Green, c.Blue};
}

}  // namespace

Result<cv::Mat> decode_gif_first_frame(std::span<const uint8_t> bytes, int64_t max_pixels) {
  MemorySource source{bytes};
  int error = 0;
  std::unique_ptr<GifFileType, GifCloser> gif(DGifOpen(&source, read_from_memory, &error));
  if (!gif) return gif_error("header is unreadable", error);
  if (gif->SWidth <= 0 || gif->SHeight <= 0) {
    return make_error(ErrorCode::kBadImage, "GIF logical screen has size 0");
  }

  int transparent_index = -1;  // from the Graphic Control Extension before the first frame
  while (true) {
    GifRecordType record = UNDEFINED_RECORD_TYPE;
    if (DGifGetRecordType(gif.get(), &record) == GIF_ERROR) {
      return gif_error("is truncated or corrupt", gif->Error);
    }
    if (record == TERMINATE_RECORD_TYPE) {
      return make_error(ErrorCode::kBadImage, "GIF has no image frame");
    }
    if (record == EXTENSION_RECORD_TYPE) {
      int code = 0;
      GifByteType* block = nullptr;
      if (DGifGetExtension(gif.get(), &code, &block) == GIF_ERROR) {
        return gif_error("extension is corrupt", gif->Error);
      }
      // Graphic Control Extension: block[0] = 4, block[1] bit 0 = has transparency, block[4] =
      // index.
      if (code == GRAPHICS_EXT_FUNC_CODE && block != nullptr && block[0] >= 4) {
        transparent_index = (block[1] & 1) != 0 ? block[4] : -1;
      }
      while (block != nullptr) {
        if (DGifGetExtensionNext(gif.get(), &block) == GIF_ERROR) {
          return gif_error("extension is corrupt", gif->Error);
        }
      }
      continue;
    }
    if (record != IMAGE_DESC_RECORD_TYPE) continue;

    if (DGifGetImageDesc(gif.get()) == GIF_ERROR) {
      return gif_error("frame descriptor is corrupt", gif->Error);
    }
    const GifImageDesc& frame = gif->Image;
    const ColorMapObject* palette = frame.ColorMap != nullptr ? frame.ColorMap : gif->SColorMap;
    if (palette == nullptr)
      return make_error(ErrorCode::kBadImage, "GIF frame has no colour table");
    if (frame.Width <= 0 || frame.Height <= 0 || int64_t{frame.Width} * frame.Height > max_pixels) {
      return make_error(ErrorCode::kBadImage, "GIF frame has an invalid size " +
                                                  std::to_string(frame.Width) + "x" +
                                                  std::to_string(frame.Height));
    }

    cv::Mat rgb(gif->SHeight, gif->SWidth, CV_8UC3,
                palette_rgb(gif->SColorMap, gif->SBackGroundColor));
    std::vector<GifPixelType> line(static_cast<size_t>(frame.Width));
    auto draw_line = [&](int frame_row) -> bool {
      if (DGifGetLine(gif.get(), line.data(), frame.Width) == GIF_ERROR) return false;
      const int y = frame.Top + frame_row;
      if (y < 0 || y >= rgb.rows) return true;
      auto* out = rgb.ptr<cv::Vec3b>(y);
      for (int x = 0; x < frame.Width; ++x) {
        const int screen_x = frame.Left + x;
        if (screen_x >= rgb.cols) break;
        if (line[x] == transparent_index) continue;
        out[screen_x] = palette_rgb(palette, line[x]);
      }
      return true;
    };
    // Interlaced rows come in four passes (GIF89a appendix E): every 8th from 0, every 8th from
    // 4, every 4th from 2, every 2nd from 1.
    constexpr int kPassStart[] = {0, 4, 2, 1};
    constexpr int kPassStep[] = {8, 8, 4, 2};
    const int passes = frame.Interlace ? 4 : 1;
    for (int pass = 0; pass < passes; ++pass) {
      const int start = frame.Interlace ? kPassStart[pass] : 0;
      const int step = frame.Interlace ? kPassStep[pass] : 1;
      for (int row = start; row < frame.Height; row += step) {
        if (!draw_line(row)) return gif_error("pixel data is truncated or corrupt", gif->Error);
      }
    }
    return rgb;
  }
}

}  // namespace bodyshape::image::detail

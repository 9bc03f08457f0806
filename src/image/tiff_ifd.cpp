#include "image/tiff_ifd.h"

#include "image/bytes.h"

namespace bodyshape::image::detail {
namespace {

constexpr uint16_t kTagImageWidth = 256;
constexpr uint16_t kTagImageLength = 257;
constexpr uint16_t kTagOrientation = 274;
constexpr uint16_t kTypeShort = 3;
constexpr uint16_t kTypeLong = 4;

Error tiff_error(const std::string& what) {
  return make_error(ErrorCode::kBadImage, "TIFF structure is malformed: " + what);
}

}  // namespace

Result<TiffIfd0> read_tiff_ifd0(std::span<const uint8_t> tiff) {
  const ByteView view(tiff);
  bool big_endian = false;
  if (view.starts_with(0, "II")) {
    big_endian = false;
  } else if (view.starts_with(0, "MM")) {
    big_endian = true;
  } else {
    return tiff_error("byte order is neither II nor MM");
  }
  const std::optional<uint16_t> magic = view.u16(2, big_endian);
  if (!magic) return tiff_error("header is truncated");
  if (*magic == 43) return make_error(ErrorCode::kBadImage, "BigTIFF is not supported");
  if (*magic != 42) return tiff_error("magic number is " + std::to_string(*magic) + ", not 42");
  const std::optional<uint32_t> ifd_offset = view.u32(4, big_endian);
  if (!ifd_offset) return tiff_error("header is truncated");
  const std::optional<uint16_t> entry_count = view.u16(*ifd_offset, big_endian);
  if (!entry_count) {
    return tiff_error("first IFD offset " + std::to_string(*ifd_offset) + " is past the end (" +
                      std::to_string(view.size()) + " bytes)");
  }

  TiffIfd0 ifd;
  for (size_t i = 0; i < *entry_count; ++i) {
    const size_t entry = size_t{*ifd_offset} + 2 + 12 * i;
    if (!view.has(entry, 12)) {
      return tiff_error("first IFD is truncated at entry " + std::to_string(i) + " of " +
                        std::to_string(*entry_count));
    }
    const uint16_t tag = *view.u16(entry, big_endian);
    const uint16_t type = *view.u16(entry + 2, big_endian);
    const uint32_t count = *view.u32(entry + 4, big_endian);
    if (count != 1 || (type != kTypeShort && type != kTypeLong)) continue;
    // A single SHORT or LONG sits left-justified in the 4-byte value field.
    const uint32_t value =
        type == kTypeShort ? *view.u16(entry + 8, big_endian) : *view.u32(entry + 8, big_endian);
    if (tag == kTagImageWidth) ifd.width = value;
    if (tag == kTagImageLength) ifd.height = value;
    if (tag == kTagOrientation && value >= 1 && value <= 8)
      ifd.orientation = static_cast<int>(value);
  }
  return ifd;
}

int exif_orientation(std::span<const uint8_t> exif) {
  const ByteView view(exif);
  // "Exif\0\0" precedes the TIFF header in JPEG APP1 and in some WebP EXIF chunks.
  if (view.starts_with(0, "Exif") && view.has(0, 6) && exif[4] == 0 && exif[5] == 0) {
    exif = exif.subspan(6);
  }
  const Result<TiffIfd0> ifd = read_tiff_ifd0(exif);
  return ifd.ok() ? ifd->orientation : 1;
}

}  // namespace bodyshape::image::detail

// The first IFD of a TIFF structure: what a TIFF file stores its size in, and what an EXIF block
// (JPEG APP1, PNG eXIf, WebP EXIF) stores the orientation in. Layout per TIFF 6.0 section 2:
// "II*\0" or "MM\0*", a 4-byte offset to IFD0, then 2-byte count and 12-byte entries
// (tag, type, count, value-or-offset).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "common/result.h"

namespace bodyshape::image::detail {

struct TiffIfd0 {
  std::optional<uint32_t> width;   // tag 256 ImageWidth
  std::optional<uint32_t> height;  // tag 257 ImageLength
  int orientation = 1;             // tag 274 Orientation, 1..8; 1 when absent or out of range
};

// kBadImage with a message naming what is malformed; never reads outside `tiff`.
Result<TiffIfd0> read_tiff_ifd0(std::span<const uint8_t> tiff);

// The EXIF orientation (1..8) of an EXIF payload that starts with the TIFF header, optionally
// preceded by "Exif\0\0". 1 when the payload is absent or malformed: a broken EXIF block is common
// in the wild and must not make the photo undecodable.
int exif_orientation(std::span<const uint8_t> exif);

}  // namespace bodyshape::image::detail

// Recognising a container from its first bytes and walking its structure without decoding pixels:
// the stored size (for probe_image_size and the pixel limit), whether the file is complete, and
// where its EXIF block is. Everything here reads untrusted bytes through bounds-checked views.
#pragma once

#include <cstdint>
#include <span>

#include "common/result.h"
#include "image/image.h"

namespace bodyshape::image::detail {

enum class Container { kJpeg, kPng, kWebp, kBmp, kTiff, kGif };

const char* container_name(Container container);

struct ContainerHeader {
  Container container = Container::kJpeg;
  ImageSize stored_size;  // before EXIF rotation
};

// Reads only as far as the size field. kBadImage naming the format and the fault otherwise.
Result<ContainerHeader> read_container_header(std::span<const uint8_t> bytes);

struct ContainerLayout {
  int orientation = 1;  // EXIF / TIFF orientation 1..8
};

// Walks the whole structure (JPEG segments up to EOI, PNG chunks up to IEND, WebP RIFF chunks,
// TIFF IFD0) before the pixel decoder sees the bytes: a file cut short is rejected here, since
// libjpeg only warns about it and returns a partly grey image.
Result<ContainerLayout> read_container_layout(std::span<const uint8_t> bytes,
                                              const ContainerHeader& header);

}  // namespace bodyshape::image::detail

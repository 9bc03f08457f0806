#include "image/container.h"

#include <cstring>
#include <limits>
#include <optional>
#include <string>

#include "image/bytes.h"
#include "image/tiff_ifd.h"

namespace bodyshape::image::detail {
namespace {

Error bad(std::string message) {
  return make_error(ErrorCode::kBadImage, std::move(message));
}

std::string at(size_t offset) {
  return " at offset " + std::to_string(offset);
}

// Rejects sizes that cannot be held in an int (cv::Mat dimensions).
Result<ImageSize> checked_size(const char* format, uint64_t width, uint64_t height) {
  constexpr uint64_t kMaxSide = std::numeric_limits<int>::max();
  if (width == 0 || height == 0 || width > kMaxSide || height > kMaxSide) {
    return bad(std::string(format) + " header gives an invalid size " + std::to_string(width) +
               "x" + std::to_string(height));
  }
  return ImageSize{static_cast<int>(width), static_cast<int>(height)};
}

// ---- JPEG: segments FF xx [len16 payload], ISO/IEC 10918-1 annex B ----------------------------

bool is_sof_marker(uint8_t marker) {
  // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

bool is_standalone_marker(uint8_t marker) {
  return marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8);  // TEM, RSTn, SOI
}

struct JpegScan {
  std::optional<ImageSize> size;
  std::span<const uint8_t> exif;  // payload of the first APP1 "Exif\0\0" segment
};

// Skips entropy-coded data after an SOS header: returns the offset of the next real marker's FF,
// or the input size when the data runs out. Inside a scan FF 00 is a stuffed byte and FF D0..D7
// are restart markers.
size_t skip_entropy_coded_data(std::span<const uint8_t> bytes, size_t pos) {
  const uint8_t* data = bytes.data();
  const size_t size = bytes.size();
  while (pos < size) {
    const void* found = std::memchr(data + pos, 0xFF, size - pos);
    if (found == nullptr) return size;
    const size_t ff = static_cast<size_t>(static_cast<const uint8_t*>(found) - data);
    if (ff + 1 >= size) return size;
    const uint8_t next = data[ff + 1];
    if (next == 0x00 || (next >= 0xD0 && next <= 0xD7) || next == 0xFF) {
      pos = ff + 1;
      continue;
    }
    return ff;
  }
  return size;
}

Result<JpegScan> scan_jpeg(std::span<const uint8_t> bytes, bool whole_file) {
  const ByteView view(bytes);
  JpegScan scan;
  bool seen_scan = false;
  size_t pos = 2;  // after SOI
  while (true) {
    // libjpeg tolerates stray bytes between segments (with a warning); so do we.
    while (pos < bytes.size() && bytes[pos] != 0xFF) ++pos;
    while (pos + 1 < bytes.size() && bytes[pos + 1] == 0xFF) ++pos;  // fill bytes
    if (pos + 1 >= bytes.size()) {
      if (!scan.size) return bad("JPEG is truncated: it ends before its frame header (SOF)");
      return bad("JPEG is truncated: no end-of-image marker (the data was cut short)");
    }
    const uint8_t marker = bytes[pos + 1];
    if (is_standalone_marker(marker) || marker == 0x00) {
      pos += 2;
      continue;
    }
    if (marker == 0xD9) {  // EOI
      if (!scan.size) return bad("JPEG ends (EOI" + at(pos) + ") before its frame header (SOF)");
      if (!seen_scan) return bad("JPEG ends (EOI" + at(pos) + ") before any image data (SOS)");
      return scan;
    }
    const std::optional<uint16_t> length = view.be16(pos + 2);
    if (!length) return bad("JPEG is truncated inside a segment header" + at(pos));
    if (*length < 2)
      return bad("JPEG segment" + at(pos) + " has an invalid length " + std::to_string(*length));
    const size_t payload = pos + 4;
    const size_t payload_size = *length - 2u;
    if (!view.has(payload, payload_size)) {
      if (!scan.size) return bad("JPEG is truncated inside its header segments" + at(pos));
      return bad("JPEG is truncated inside a segment" + at(pos));
    }
    if (marker == 0xE1 && scan.exif.empty() && payload_size >= 6 &&
        view.starts_with(payload, "Exif") && bytes[payload + 4] == 0 && bytes[payload + 5] == 0) {
      scan.exif = view.sub(payload, payload_size);
    }
    if (is_sof_marker(marker) && !scan.size) {
      if (payload_size < 6) return bad("JPEG frame header (SOF)" + at(pos) + " is too short");
      const uint16_t height = *view.be16(payload + 1);
      const uint16_t width = *view.be16(payload + 3);
      if (height == 0)
        return bad("JPEG height is 0 (defined later by a DNL marker): not supported");
      Result<ImageSize> size = checked_size("JPEG", width, height);
      if (!size) return size.error();
      scan.size = *size;
      if (!whole_file) return scan;
    }
    pos = payload + payload_size;
    if (marker == 0xDA) {  // SOS: entropy-coded data follows the header
      if (!scan.size)
        return bad("JPEG scan (SOS)" + at(pos) + " comes before its frame header (SOF)");
      seen_scan = true;
      pos = skip_entropy_coded_data(bytes, pos);
    }
  }
}

// ---- PNG: signature, then chunks [len32 type32 data crc32], IHDR first (PNG spec 5.3, 11.2.2) --

constexpr uint8_t kPngSignature[] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};

Result<ImageSize> png_size(const ByteView& view) {
  if (!view.has(8, 8 + 13)) return bad("PNG is truncated before the end of its IHDR chunk");
  if (*view.be32(8) != 13 || !view.starts_with(12, "IHDR")) {
    return bad("PNG does not start with a 13-byte IHDR chunk");
  }
  return checked_size("PNG", *view.be32(16), *view.be32(20));
}

Result<ContainerLayout> png_layout(const ByteView& view) {
  ContainerLayout layout;
  size_t pos = 8;
  while (true) {
    const std::optional<uint32_t> length = view.be32(pos);
    if (!length || !view.has(pos + 4, 4)) {
      return bad("PNG is truncated: no IEND chunk (the data was cut short" + at(pos) + ")");
    }
    if (*length > 0x7FFFFFFFu) return bad("PNG chunk" + at(pos) + " has an invalid length");
    if (!view.has(pos + 8, size_t{*length} + 4)) {
      return bad("PNG is truncated or corrupt: chunk" + at(pos) + " claims " +
                 std::to_string(*length) + " bytes but the data ends first");
    }
    if (view.starts_with(pos + 4, "eXIf")) {
      layout.orientation = exif_orientation(view.sub(pos + 8, *length));
    }
    if (view.starts_with(pos + 4, "IEND")) return layout;
    pos += 12 + size_t{*length};
  }
}

// ---- WebP: RIFF "WEBP", then VP8 / VP8L / VP8X (RFC 9649 section 2) ----------------------------

Result<ImageSize> webp_size(const ByteView& view) {
  if (!view.has(0, 30)) return bad("WebP is truncated before the end of its image header");
  if (view.starts_with(12, "VP8 ")) {
    // Frame tag (3 bytes), start code 9D 01 2A, then 14-bit width and height (2 scale bits each).
    if (*view.u8(23) != 0x9D || *view.u8(24) != 0x01 || *view.u8(25) != 0x2A) {
      return bad("WebP VP8 frame has no start code 9D 01 2A");
    }
    return checked_size("WebP VP8", *view.le16(26) & 0x3FFFu, *view.le16(28) & 0x3FFFu);
  }
  if (view.starts_with(12, "VP8L")) {
    if (*view.u8(20) != 0x2F) return bad("WebP VP8L stream has no signature byte 0x2F");
    const uint32_t bits = *view.le32(21);  // width-1 (14 bits), height-1 (14 bits), alpha, version
    return checked_size("WebP VP8L", (bits & 0x3FFFu) + 1, ((bits >> 14) & 0x3FFFu) + 1);
  }
  if (view.starts_with(12, "VP8X")) {
    // flags (1), reserved (3), canvas width-1 (24 bits), canvas height-1 (24 bits)
    return checked_size("WebP VP8X", uint64_t{*view.u24le(24)} + 1, uint64_t{*view.u24le(27)} + 1);
  }
  return bad("WebP first chunk is neither VP8, VP8L nor VP8X");
}

Result<ContainerLayout> webp_layout(const ByteView& view) {
  const uint64_t riff_end = uint64_t{*view.le32(4)} + 8;
  if (riff_end > view.size()) {
    return bad("WebP is truncated: RIFF header says " + std::to_string(riff_end) + " bytes, got " +
               std::to_string(view.size()));
  }
  ContainerLayout layout;
  if (view.starts_with(12, "VP8X") && (*view.u8(20) & 0x02) != 0) {
    return bad("animated WebP is not supported");
  }
  for (size_t pos = 12; pos + 8 <= riff_end;) {
    const uint32_t chunk_size = *view.le32(pos + 4);
    if (uint64_t{pos} + 8 + chunk_size > riff_end) {
      return bad("WebP chunk" + at(pos) + " runs past the end of the RIFF data");
    }
    if (view.starts_with(pos, "EXIF"))
      layout.orientation = exif_orientation(view.sub(pos + 8, chunk_size));
    pos += 8 + size_t{chunk_size} + (chunk_size & 1u);  // chunks are padded to even sizes
  }
  return layout;
}

// ---- BMP: 14-byte file header "BM", then a DIB header whose size tells its version ------------

Result<ImageSize> bmp_size(const ByteView& view) {
  const std::optional<uint32_t> dib_size = view.le32(14);
  if (!dib_size) return bad("BMP is truncated before its DIB header");
  if (*dib_size == 12) {  // BITMAPCOREHEADER: 16-bit width and height
    if (!view.has(18, 4)) return bad("BMP is truncated inside its DIB header");
    return checked_size("BMP", *view.le16(18), *view.le16(20));
  }
  if (*dib_size < 16)
    return bad("BMP DIB header size " + std::to_string(*dib_size) + " is unknown");
  if (!view.has(18, 8)) return bad("BMP is truncated inside its DIB header");
  const auto width = static_cast<int32_t>(*view.le32(18));
  const auto height = static_cast<int32_t>(*view.le32(22));  // negative: rows stored top-down
  if (width <= 0 || height == 0 || height == std::numeric_limits<int32_t>::min()) {
    return bad("BMP header gives an invalid size " + std::to_string(width) + "x" +
               std::to_string(height));
  }
  return checked_size("BMP", static_cast<uint64_t>(width),
                      static_cast<uint64_t>(height < 0 ? -height : height));
}

Result<ImageSize> tiff_size(std::span<const uint8_t> bytes) {
  const Result<TiffIfd0> ifd = read_tiff_ifd0(bytes);
  if (!ifd) return ifd.error();
  if (!ifd->width || !ifd->height) return bad("TIFF first IFD has no ImageWidth/ImageLength");
  return checked_size("TIFF", *ifd->width, *ifd->height);
}

// "II" + 42 or 43 (BigTIFF) little-endian, or "MM" + the same big-endian.
bool is_tiff_signature(const ByteView& view) {
  const std::optional<uint32_t> head = view.be32(0);
  return head && (*head == 0x49492A00u || *head == 0x49492B00u || *head == 0x4D4D002Au ||
                  *head == 0x4D4D002Bu);
}

Result<ImageSize> gif_size(const ByteView& view) {
  if (!view.has(6, 4)) return bad("GIF is truncated before its logical screen descriptor");
  return checked_size("GIF", *view.le16(6), *view.le16(8));
}

std::string describe_unknown(const ByteView& view) {
  if (view.starts_with(4, "ftyp"))
    return "not an image: an ISO media file (MP4/MOV/HEIC, 'ftyp' box)";
  if (view.starts_with(0, "RIFF")) return "not an image: a RIFF file that is not WebP";
  bool text = true;
  for (size_t i = 0; i < view.size() && i < 64; ++i) {
    const uint8_t c = *view.u8(i);
    if (c < 0x09 || (c > 0x0D && c < 0x20) || c == 0x7F) text = false;
  }
  if (text) return "not an image: the data looks like text";
  return "not an image: unknown format (JPEG, PNG, WebP, BMP, TIFF or GIF expected)";
}

}  // namespace

const char* container_name(Container container) {
  switch (container) {
    case Container::kJpeg:
      return "JPEG";
    case Container::kPng:
      return "PNG";
    case Container::kWebp:
      return "WebP";
    case Container::kBmp:
      return "BMP";
    case Container::kTiff:
      return "TIFF";
    case Container::kGif:
      return "GIF";
  }
  return "?";
}

Result<ContainerHeader> read_container_header(std::span<const uint8_t> bytes) {
  const ByteView view(bytes);
  if (bytes.empty()) return bad("image is empty (0 bytes)");
  ContainerHeader header;
  Result<ImageSize> size = bad("");
  if (view.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) {
    header.container = Container::kJpeg;
    Result<JpegScan> scan = scan_jpeg(bytes, /*whole_file=*/false);
    if (!scan) return scan.error();
    size = *scan->size;
  } else if (view.starts_with(0, kPngSignature)) {
    header.container = Container::kPng;
    size = png_size(view);
  } else if (view.starts_with(0, "RIFF") && view.starts_with(8, "WEBP")) {
    header.container = Container::kWebp;
    size = webp_size(view);
  } else if (view.starts_with(0, "BM")) {
    header.container = Container::kBmp;
    size = bmp_size(view);
  } else if (is_tiff_signature(view)) {
    header.container = Container::kTiff;
    size = tiff_size(bytes);
  } else if (view.starts_with(0, "GIF87a") || view.starts_with(0, "GIF89a")) {
    header.container = Container::kGif;
    size = gif_size(view);
  } else {
    return bad(describe_unknown(view));
  }
  if (!size) return size.error();
  header.stored_size = *size;
  return header;
}

Result<ContainerLayout> read_container_layout(std::span<const uint8_t> bytes,
                                              const ContainerHeader& header) {
  const ByteView view(bytes);
  switch (header.container) {
    case Container::kJpeg: {
      Result<JpegScan> scan = scan_jpeg(bytes, /*whole_file=*/true);
      if (!scan) return scan.error();
      return ContainerLayout{exif_orientation(scan->exif)};
    }
    case Container::kPng:
      return png_layout(view);
    case Container::kWebp:
      return webp_layout(view);
    case Container::kTiff: {
      const Result<TiffIfd0> ifd = read_tiff_ifd0(bytes);
      if (!ifd) return ifd.error();
      return ContainerLayout{ifd->orientation};
    }
    case Container::kBmp:
    case Container::kGif:
      return ContainerLayout{};
  }
  return ContainerLayout{};
}

}  // namespace bodyshape::image::detail

namespace bodyshape::image {

Result<ImageSize> probe_image_size(std::span<const uint8_t> bytes) {
  Result<detail::ContainerHeader> header = detail::read_container_header(bytes);
  if (!header) return header.error();
  return header->stored_size;
}

}  // namespace bodyshape::image

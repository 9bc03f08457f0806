#include "support/testdata.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace bodyshape::testing {

std::string shared_path(const std::string& relative) {
  return std::string(BODYSHAPE_SHARED_DIR) + "/" + relative;
}

std::string model_path(const std::string& file_name) {
  return std::string(BODYSHAPE_SOURCE_DIR) + "/models/" + file_name;
}

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("cannot open test file " + path);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

std::string read_text(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

std::vector<float> read_f32(const std::string& path) {
  const std::vector<uint8_t> bytes = read_bytes(path);
  std::vector<float> values(bytes.size() / sizeof(float));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
  return values;
}

}  // namespace bodyshape::testing

// Where the shared test data and the built binary are; reading small files for tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bodyshape::testing {

// ../shared (the folder beside the project), e.g. shared_path("testdata/images/x.jpg").
std::string shared_path(const std::string& relative);
// The project's models/ folder (prepared by scripts/setup).
std::string model_path(const std::string& file_name);
std::vector<uint8_t> read_bytes(const std::string& path);
// The whole file as text; "" when it does not exist (yet), e.g. a log not written so far.
std::string read_text(const std::string& path);
std::vector<float> read_f32(const std::string& path);  // raw little-endian float32

}  // namespace bodyshape::testing

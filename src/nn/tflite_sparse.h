// TFLite's sparse tensor format -> a dense row-major tensor (what the DENSIFY op computes).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/result.h"
#include "nn/tflite_schema.h"

namespace bodyshape::nn::tflite {

// `values` are the stored (nonzero) values in traversal order. Supports any traversal order with
// dense and CSR levels, no block map (MediaPipe's detector: (O,1,1,I), order [0,1,2,3],
// dense/dense/dense/CSR). Every segment and index is bounds-checked.
Result<std::vector<float>> densify(const SparsityParameters& sparsity,
                                   std::span<const int32_t> shape, std::span<const float> values);

}  // namespace bodyshape::nn::tflite

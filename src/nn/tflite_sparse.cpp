#include "nn/tflite_sparse.h"

#include <string>

namespace bodyshape::nn::tflite {

namespace {

constexpr size_t kMaxRank = 8;

Error invalid(std::string message) {
  return Error{ErrorCode::kInvalidArgument, std::move(message)};
}

// One level of the traversal: a dense or CSR walk over one dimension.
struct Level {
  bool csr = false;
  int64_t size = 0;    // the dimension's extent
  int64_t stride = 0;  // of that dimension in the dense row-major layout
  std::vector<int64_t> segments, indices;
};

bool read_index_vector(uint8_t type, const flatbuffers::Table* table, std::vector<int64_t>& out) {
  auto copy = [&out](const auto* vector) {
    if (vector == nullptr || vector->values() == nullptr) return false;
    out.assign(vector->values()->begin(), vector->values()->end());
    return true;
  };
  switch (type) {
    case kInt32Vector:
      return copy(static_cast<const IndexVector<int32_t>*>(table));
    case kUint16Vector:
      return copy(static_cast<const IndexVector<uint16_t>*>(table));
    case kUint8Vector:
      return copy(static_cast<const IndexVector<uint8_t>*>(table));
    default:
      return false;
  }
}

// `position` indexes the previous level's entries (at the end: the stored values); `offset` is the
// dense element reached so far.
bool scatter(const std::vector<Level>& levels, size_t level, int64_t position, int64_t offset,
             std::span<const float> values, std::vector<float>& dense) {
  if (level == levels.size()) {
    if (position >= static_cast<int64_t>(values.size())) return false;
    dense[static_cast<size_t>(offset)] = values[static_cast<size_t>(position)];
    return true;
  }
  const Level& at = levels[level];
  if (!at.csr) {
    for (int64_t i = 0; i < at.size; ++i) {
      if (!scatter(levels, level + 1, position * at.size + i, offset + i * at.stride, values,
                   dense)) {
        return false;
      }
    }
    return true;
  }
  if (position + 1 >= static_cast<int64_t>(at.segments.size())) return false;
  const int64_t begin = at.segments[static_cast<size_t>(position)];
  const int64_t end = at.segments[static_cast<size_t>(position) + 1];
  if (begin < 0 || end > static_cast<int64_t>(at.indices.size())) return false;
  for (int64_t j = begin; j < end; ++j) {
    const int64_t coordinate = at.indices[static_cast<size_t>(j)];
    if (coordinate < 0 || coordinate >= at.size) return false;
    if (!scatter(levels, level + 1, j, offset + coordinate * at.stride, values, dense)) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<std::vector<float>> densify(const SparsityParameters& sparsity,
                                   std::span<const int32_t> shape, std::span<const float> values) {
  const size_t rank = shape.size();
  if (sparsity.block_map() != nullptr && sparsity.block_map()->size() != 0) {
    return invalid("block-sparse tensors are not supported");
  }
  const auto* order = sparsity.traversal_order();
  const auto* dims = sparsity.dim_metadata();
  if (rank == 0 || rank > kMaxRank || order == nullptr || order->size() != rank ||
      dims == nullptr || dims->size() != rank) {
    return invalid("traversal order and dimension metadata must cover each dimension");
  }
  std::vector<int64_t> strides(rank, 1);
  for (size_t d = rank - 1; d > 0; --d) strides[d - 1] = strides[d] * shape[d];
  std::vector<bool> seen(rank, false);
  std::vector<Level> levels(rank);
  for (flatbuffers::uoffset_t level = 0; level < rank; ++level) {
    const int32_t dim = order->Get(level);
    if (dim < 0 || static_cast<size_t>(dim) >= rank || seen[static_cast<size_t>(dim)]) {
      return invalid("traversal order is not a permutation of the dimensions");
    }
    seen[static_cast<size_t>(dim)] = true;
    const DimensionMetadata& meta = *dims->Get(level);
    Level& out = levels[level];
    out.size = shape[static_cast<size_t>(dim)];
    out.stride = strides[static_cast<size_t>(dim)];
    if (meta.format() == kDense) {
      if (meta.dense_size() != out.size) return invalid("dense_size disagrees with the shape");
    } else if (meta.format() == kSparseCsr) {
      out.csr = true;
      if (!read_index_vector(meta.segments_type(), meta.segments(), out.segments) ||
          !read_index_vector(meta.indices_type(), meta.indices(), out.indices)) {
        return invalid("CSR level without array_segments/array_indices");
      }
    } else {
      return invalid("unknown dimension format " + std::to_string(meta.format()));
    }
  }
  std::vector<float> dense(static_cast<size_t>(strides[0] * shape[0]), 0.0f);
  if (!scatter(levels, 0, 0, 0, values, dense)) {
    return invalid("sparse segments or indices out of range");
  }
  return dense;
}

}  // namespace bodyshape::nn::tflite

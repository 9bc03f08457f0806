// Hand-written read-only accessors for the parts of TFLite's schema.fbs the reader uses, on top of
// the flatbuffers runtime. Field slots follow the declaration order in tensorflow/lite/schema/
// schema.fbs (a union takes two slots: its type, then its value). Each table's Verify() checks
// every field the reader touches, so read_tflite_graph() never follows an unchecked offset.
#pragma once

#include <cstdint>

#include <flatbuffers/flatbuffers.h>

namespace bodyshape::nn::tflite {

using flatbuffers::Offset;
using flatbuffers::String;
using flatbuffers::Table;
using flatbuffers::Vector;
using flatbuffers::Verifier;
using flatbuffers::voffset_t;

// The vtable slot of the n-th field declared in a table.
constexpr voffset_t slot(int n) {
  return static_cast<voffset_t>(4 + 2 * n);
}

enum TensorType : int8_t { kFloat32 = 0, kFloat16 = 1, kInt32 = 2 };
enum BuiltinOptionsType : uint8_t {
  kOptionsNone = 0,
  kConv2DOptions = 1,
  kDepthwiseConv2DOptions = 2,
  kPool2DOptions = 5,
  kConcatenationOptions = 10,
  kAddOptions = 11,
  kResizeBilinearOptions = 15,
  kMulOptions = 21,
  kReducerOptions = 27,
  kDepthToSpaceOptions = 94,
};
enum SparseIndexVectorType : uint8_t {
  kIndexNone = 0,
  kInt32Vector = 1,
  kUint16Vector = 2,
  kUint8Vector = 3
};
enum DimensionType : int8_t { kDense = 0, kSparseCsr = 1 };

// A table whose first kFieldCount fields are scalars of one type.
template <class Scalar, int kFieldCount>
struct ScalarTable : Table {
  Scalar field(int n, Scalar fallback) const { return GetField<Scalar>(slot(n), fallback); }
  bool Verify(Verifier& v) const {
    if (!VerifyTableStart(v)) return false;
    for (int n = 0; n < kFieldCount; ++n) {
      if (!VerifyField<Scalar>(v, slot(n), sizeof(Scalar))) return false;
    }
    return v.EndTable();
  }
};

// The builtin options tables the supported ops carry. Byte-sized enums and bools share a table with
// int32 fields, so those tables verify field by field.
struct Conv2DOptions : Table {  // padding, stride_w, stride_h, activation, dilation_w, dilation_h
  int8_t padding() const { return GetField<int8_t>(slot(0), 0); }
  int32_t stride_w() const { return GetField<int32_t>(slot(1), 0); }
  int32_t stride_h() const { return GetField<int32_t>(slot(2), 0); }
  int8_t activation() const { return GetField<int8_t>(slot(3), 0); }
  int32_t dilation_w() const { return GetField<int32_t>(slot(4), 1); }
  int32_t dilation_h() const { return GetField<int32_t>(slot(5), 1); }
  bool Verify(Verifier& v) const {
    return VerifyTableStart(v) && VerifyField<int8_t>(v, slot(0), 1) &&
           VerifyField<int32_t>(v, slot(1), 4) && VerifyField<int32_t>(v, slot(2), 4) &&
           VerifyField<int8_t>(v, slot(3), 1) && VerifyField<int32_t>(v, slot(4), 4) &&
           VerifyField<int32_t>(v, slot(5), 4) && v.EndTable();
  }
};

struct DepthwiseConv2DOptions : Table {  // padding, stride_w, stride_h, depth_multiplier,
                                         // activation, dilation_w, dilation_h
  int8_t padding() const { return GetField<int8_t>(slot(0), 0); }
  int32_t stride_w() const { return GetField<int32_t>(slot(1), 0); }
  int32_t stride_h() const { return GetField<int32_t>(slot(2), 0); }
  int32_t depth_multiplier() const { return GetField<int32_t>(slot(3), 0); }
  int8_t activation() const { return GetField<int8_t>(slot(4), 0); }
  int32_t dilation_w() const { return GetField<int32_t>(slot(5), 1); }
  int32_t dilation_h() const { return GetField<int32_t>(slot(6), 1); }
  bool Verify(Verifier& v) const {
    return VerifyTableStart(v) && VerifyField<int8_t>(v, slot(0), 1) &&
           VerifyField<int32_t>(v, slot(1), 4) && VerifyField<int32_t>(v, slot(2), 4) &&
           VerifyField<int32_t>(v, slot(3), 4) && VerifyField<int8_t>(v, slot(4), 1) &&
           VerifyField<int32_t>(v, slot(5), 4) && VerifyField<int32_t>(v, slot(6), 4) &&
           v.EndTable();
  }
};

struct Pool2DOptions : Table {  // padding, stride_w, stride_h, filter_w, filter_h, activation
  int8_t padding() const { return GetField<int8_t>(slot(0), 0); }
  int32_t stride_w() const { return GetField<int32_t>(slot(1), 0); }
  int32_t stride_h() const { return GetField<int32_t>(slot(2), 0); }
  int32_t filter_w() const { return GetField<int32_t>(slot(3), 0); }
  int32_t filter_h() const { return GetField<int32_t>(slot(4), 0); }
  int8_t activation() const { return GetField<int8_t>(slot(5), 0); }
  bool Verify(Verifier& v) const {
    return VerifyTableStart(v) && VerifyField<int8_t>(v, slot(0), 1) &&
           VerifyField<int32_t>(v, slot(1), 4) && VerifyField<int32_t>(v, slot(2), 4) &&
           VerifyField<int32_t>(v, slot(3), 4) && VerifyField<int32_t>(v, slot(4), 4) &&
           VerifyField<int8_t>(v, slot(5), 1) && v.EndTable();
  }
};

struct ConcatenationOptions : Table {  // axis, activation
  int32_t axis() const { return GetField<int32_t>(slot(0), 0); }
  int8_t activation() const { return GetField<int8_t>(slot(1), 0); }
  bool Verify(Verifier& v) const {
    return VerifyTableStart(v) && VerifyField<int32_t>(v, slot(0), 4) &&
           VerifyField<int8_t>(v, slot(1), 1) && v.EndTable();
  }
};

// AddOptions {activation, pot_scale_int16}, MulOptions {activation}: activation comes first.
struct ActivationOptions : ScalarTable<int8_t, 1> {
  int8_t activation() const { return field(0, 0); }
};
// ResizeBilinearOptions {new_height (deprecated), new_width (deprecated), align_corners,
// half_pixel_centers}: the deprecated int slots are never read.
struct ResizeBilinearOptions : Table {
  bool align_corners() const { return GetField<uint8_t>(slot(2), 0) != 0; }
  bool half_pixel_centers() const { return GetField<uint8_t>(slot(3), 0) != 0; }
  bool Verify(Verifier& v) const {
    return VerifyTableStart(v) && VerifyField<uint8_t>(v, slot(2), 1) &&
           VerifyField<uint8_t>(v, slot(3), 1) && v.EndTable();
  }
};
struct ReducerOptions : ScalarTable<uint8_t, 1> {  // keep_dims
  bool keep_dims() const { return field(0, 0) != 0; }
};
struct DepthToSpaceOptions : ScalarTable<int32_t, 1> {  // block_size
  int32_t block_size() const { return field(0, 0); }
};

// Int32Vector / Uint16Vector / Uint8Vector: one field `values`.
template <class Index>
struct IndexVector : Table {
  const Vector<Index>* values() const { return GetPointer<const Vector<Index>*>(slot(0)); }
  bool Verify(Verifier& v) const {
    return VerifyTableStart(v) && VerifyOffset(v, slot(0)) && v.VerifyVector(values()) &&
           v.EndTable();
  }
};

inline bool verify_index_vector(Verifier& v, uint8_t type, const Table* table) {
  if (table == nullptr) return true;
  switch (type) {
    case kInt32Vector:
      return static_cast<const IndexVector<int32_t>*>(table)->Verify(v);
    case kUint16Vector:
      return static_cast<const IndexVector<uint16_t>*>(table)->Verify(v);
    case kUint8Vector:
      return static_cast<const IndexVector<uint8_t>*>(table)->Verify(v);
    default:
      return false;
  }
}

struct DimensionMetadata : Table {  // format, dense_size, array_segments, array_indices (unions)
  int8_t format() const { return GetField<int8_t>(slot(0), 0); }
  int32_t dense_size() const { return GetField<int32_t>(slot(1), 0); }
  uint8_t segments_type() const { return GetField<uint8_t>(slot(2), 0); }
  const Table* segments() const { return GetPointer<const Table*>(slot(3)); }
  uint8_t indices_type() const { return GetField<uint8_t>(slot(4), 0); }
  const Table* indices() const { return GetPointer<const Table*>(slot(5)); }
  bool Verify(Verifier& v) const {
    return VerifyTableStart(v) && VerifyField<int8_t>(v, slot(0), 1) &&
           VerifyField<int32_t>(v, slot(1), 4) && VerifyField<uint8_t>(v, slot(2), 1) &&
           VerifyOffset(v, slot(3)) && verify_index_vector(v, segments_type(), segments()) &&
           VerifyField<uint8_t>(v, slot(4), 1) && VerifyOffset(v, slot(5)) &&
           verify_index_vector(v, indices_type(), indices()) && v.EndTable();
  }
};

struct SparsityParameters : Table {  // traversal_order, block_map, dim_metadata
  const Vector<int32_t>* traversal_order() const {
    return GetPointer<const Vector<int32_t>*>(slot(0));
  }
  const Vector<int32_t>* block_map() const { return GetPointer<const Vector<int32_t>*>(slot(1)); }
  const Vector<Offset<DimensionMetadata>>* dim_metadata() const {
    return GetPointer<const Vector<Offset<DimensionMetadata>>*>(slot(2));
  }
  bool Verify(Verifier& v) const {
    return VerifyTableStart(v) && VerifyOffset(v, slot(0)) && v.VerifyVector(traversal_order()) &&
           VerifyOffset(v, slot(1)) && v.VerifyVector(block_map()) && VerifyOffset(v, slot(2)) &&
           v.VerifyVector(dim_metadata()) && v.VerifyVectorOfTables(dim_metadata()) && v.EndTable();
  }
};

// Tensor {shape, type, buffer, name, quantization, is_variable, sparsity, ...}
struct Tensor : Table {
  const Vector<int32_t>* shape() const { return GetPointer<const Vector<int32_t>*>(slot(0)); }
  int8_t type() const { return GetField<int8_t>(slot(1), 0); }
  uint32_t buffer() const { return GetField<uint32_t>(slot(2), 0); }
  const String* name() const { return GetPointer<const String*>(slot(3)); }
  const SparsityParameters* sparsity() const {
    return GetPointer<const SparsityParameters*>(slot(6));
  }
  bool Verify(Verifier& v) const {
    return VerifyTableStart(v) && VerifyOffset(v, slot(0)) && v.VerifyVector(shape()) &&
           VerifyField<int8_t>(v, slot(1), 1) && VerifyField<uint32_t>(v, slot(2), 4) &&
           VerifyOffset(v, slot(3)) && v.VerifyString(name()) && VerifyOffset(v, slot(6)) &&
           v.VerifyTable(sparsity()) && v.EndTable();
  }
};

// Operator {opcode_index, inputs, outputs, builtin_options_type, builtin_options, custom_options,
// ...}
struct Operator : Table {
  uint32_t opcode_index() const { return GetField<uint32_t>(slot(0), 0); }
  const Vector<int32_t>* inputs() const { return GetPointer<const Vector<int32_t>*>(slot(1)); }
  const Vector<int32_t>* outputs() const { return GetPointer<const Vector<int32_t>*>(slot(2)); }
  uint8_t options_type() const { return GetField<uint8_t>(slot(3), 0); }
  const Table* options() const { return GetPointer<const Table*>(slot(4)); }
  const Vector<uint8_t>* custom_options() const {
    return GetPointer<const Vector<uint8_t>*>(slot(5));
  }
  // The options table, if the op carries one of `type`; verified by Verify().
  template <class Options>
  const Options* options_as(BuiltinOptionsType type) const {
    return options_type() == type ? static_cast<const Options*>(options()) : nullptr;
  }
  bool Verify(Verifier& v) const {
    return VerifyTableStart(v) && VerifyField<uint32_t>(v, slot(0), 4) &&
           VerifyOffset(v, slot(1)) && v.VerifyVector(inputs()) && VerifyOffset(v, slot(2)) &&
           v.VerifyVector(outputs()) && VerifyField<uint8_t>(v, slot(3), 1) &&
           VerifyOffset(v, slot(4)) && verify_options(v) && VerifyOffset(v, slot(5)) &&
           v.VerifyVector(custom_options()) && v.EndTable();
  }

 private:
  // Only the option tables the reader reads are verified; options_as() returns null for the rest.
  bool verify_options(Verifier& v) const {
    const Table* table = options();
    if (table == nullptr) return true;
    switch (options_type()) {
      case kConv2DOptions:
        return static_cast<const Conv2DOptions*>(table)->Verify(v);
      case kDepthwiseConv2DOptions:
        return static_cast<const DepthwiseConv2DOptions*>(table)->Verify(v);
      case kPool2DOptions:
        return static_cast<const Pool2DOptions*>(table)->Verify(v);
      case kConcatenationOptions:
        return static_cast<const ConcatenationOptions*>(table)->Verify(v);
      case kAddOptions:
      case kMulOptions:
        return static_cast<const ActivationOptions*>(table)->Verify(v);
      case kResizeBilinearOptions:
        return static_cast<const ResizeBilinearOptions*>(table)->Verify(v);
      case kReducerOptions:
        return static_cast<const ReducerOptions*>(table)->Verify(v);
      case kDepthToSpaceOptions:
        return static_cast<const DepthToSpaceOptions*>(table)->Verify(v);
      default:
        return true;
    }
  }
};

// OperatorCode {deprecated_builtin_code: byte, custom_code, version, builtin_code: int}
struct OperatorCode : Table {
  int8_t deprecated_builtin_code() const { return GetField<int8_t>(slot(0), 0); }
  const String* custom_code() const { return GetPointer<const String*>(slot(1)); }
  int32_t builtin_code() const { return GetField<int32_t>(slot(3), 0); }
  bool Verify(Verifier& v) const {
    return VerifyTableStart(v) && VerifyField<int8_t>(v, slot(0), 1) && VerifyOffset(v, slot(1)) &&
           v.VerifyString(custom_code()) && VerifyField<int32_t>(v, slot(3), 4) && v.EndTable();
  }
};

// SubGraph {tensors, inputs, outputs, operators, name}
struct SubGraph : Table {
  const Vector<Offset<Tensor>>* tensors() const {
    return GetPointer<const Vector<Offset<Tensor>>*>(slot(0));
  }
  const Vector<int32_t>* inputs() const { return GetPointer<const Vector<int32_t>*>(slot(1)); }
  const Vector<int32_t>* outputs() const { return GetPointer<const Vector<int32_t>*>(slot(2)); }
  const Vector<Offset<Operator>>* operators() const {
    return GetPointer<const Vector<Offset<Operator>>*>(slot(3));
  }
  bool Verify(Verifier& v) const {
    return VerifyTableStart(v) && VerifyOffset(v, slot(0)) && v.VerifyVector(tensors()) &&
           v.VerifyVectorOfTables(tensors()) && VerifyOffset(v, slot(1)) &&
           v.VerifyVector(inputs()) && VerifyOffset(v, slot(2)) && v.VerifyVector(outputs()) &&
           VerifyOffset(v, slot(3)) && v.VerifyVector(operators()) &&
           v.VerifyVectorOfTables(operators()) && v.EndTable();
  }
};

// Buffer {data, offset, size}: offset/size (> 1) place the data after the flatbuffer (models
// over 2 GB).
struct Buffer : Table {
  const Vector<uint8_t>* data() const { return GetPointer<const Vector<uint8_t>*>(slot(0)); }
  uint64_t offset() const { return GetField<uint64_t>(slot(1), 0); }
  uint64_t size() const { return GetField<uint64_t>(slot(2), 0); }
  bool Verify(Verifier& v) const {
    // The data is read with memcpy, so its 16-byte force_align is not required here.
    return VerifyTableStart(v) && VerifyOffset(v, slot(0)) && v.VerifyVector(data()) &&
           VerifyField<uint64_t>(v, slot(1), 8) && VerifyField<uint64_t>(v, slot(2), 8) &&
           v.EndTable();
  }
};

// Model {version, operator_codes, subgraphs, description, buffers, ...}
struct Model : Table {
  const Vector<Offset<OperatorCode>>* operator_codes() const {
    return GetPointer<const Vector<Offset<OperatorCode>>*>(slot(1));
  }
  const Vector<Offset<SubGraph>>* subgraphs() const {
    return GetPointer<const Vector<Offset<SubGraph>>*>(slot(2));
  }
  const Vector<Offset<Buffer>>* buffers() const {
    return GetPointer<const Vector<Offset<Buffer>>*>(slot(4));
  }
  bool Verify(Verifier& v) const {
    return VerifyTableStart(v) && VerifyOffset(v, slot(1)) && v.VerifyVector(operator_codes()) &&
           v.VerifyVectorOfTables(operator_codes()) && VerifyOffset(v, slot(2)) &&
           v.VerifyVector(subgraphs()) && v.VerifyVectorOfTables(subgraphs()) &&
           VerifyOffset(v, slot(4)) && v.VerifyVector(buffers()) &&
           v.VerifyVectorOfTables(buffers()) && v.EndTable();
  }
};

inline constexpr const char* kFileIdentifier = "TFL3";

}  // namespace bodyshape::nn::tflite

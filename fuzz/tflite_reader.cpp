// The TFLite model reader: a corrupt or hostile model file gives an error naming what is wrong,
// never a crash, and an accepted graph only refers to tensors it has.
#include "fuzz/fuzz_input.h"
#include "nn/graph.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bodyshape;
  Result<nn::Graph> graph = nn::read_tflite_graph(fuzz::bytes_of(data, size));
  if (!graph) {
    fuzz::check(!graph.error().message.empty());
    return 0;
  }
  const int tensors = static_cast<int>(graph->tensors.size());
  const auto valid = [tensors](int index) { return index >= -1 && index < tensors; };
  for (const nn::Operator& op : graph->operators) {
    for (int index : op.inputs) fuzz::check(valid(index));
    for (int index : op.outputs) fuzz::check(index >= 0 && index < tensors);
  }
  for (int index : graph->inputs) fuzz::check(index >= 0 && index < tensors);
  for (int index : graph->outputs) fuzz::check(index >= 0 && index < tensors);
  return 0;
}

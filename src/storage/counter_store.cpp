#include "storage/counter_store.h"

#include <chrono>

namespace bodyshape::storage {

double unix_seconds_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace bodyshape::storage

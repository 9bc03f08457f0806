// Objects as files: <root>/<bucket>/<key>. For development, tests and single-host deployments.
//
//   LocalObjectStore store("var/objects", 32 << 20);
//   Result<std::vector<uint8_t>> bytes = store.get({"images", "2024/a.jpg"});
//
// Never reads outside root: the key is re-checked (no "..", no absolute path), the path is
// resolved with its symlinks and must stay under the resolved root, and the final open refuses
// a symlink (O_NOFOLLOW) so a link swapped in after the check is not followed either.
#pragma once

#include <cstdint>
#include <string>

#include "storage/object_store.h"

namespace bodyshape::storage {

class LocalObjectStore final : public ObjectStore {
 public:
  // root need not exist yet (every object is then kNotFound).
  LocalObjectStore(std::string root, int64_t max_object_bytes);

  // kNotFound: no such file (or a directory); kInvalidArgument: the path resolves outside root;
  // kResourceExhausted: larger than max_object_bytes; kUnavailable: any other read failure.
  Result<std::vector<uint8_t>> get(const ObjectRef& ref) override;

 private:
  std::string root_;
  int64_t max_object_bytes_;
};

}  // namespace bodyshape::storage

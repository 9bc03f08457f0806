# Every third-party library comes from Debian 12 (scripts/debian-packages.txt); nothing is fetched.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

# OpenCV 4.6: Debian's per-module -dev packages ship no CMake config, so locate the modules directly.
find_path(OPENCV_INCLUDE_DIR opencv2/core.hpp PATH_SUFFIXES opencv4 REQUIRED)
foreach(module core imgproc imgcodecs)
  find_library(OPENCV_${module}_LIB opencv_${module} REQUIRED)
  add_library(opencv::${module} UNKNOWN IMPORTED)
  set_target_properties(opencv::${module} PROPERTIES
    IMPORTED_LOCATION "${OPENCV_${module}_LIB}"
    INTERFACE_INCLUDE_DIRECTORIES "${OPENCV_INCLUDE_DIR}")
endforeach()

# XNNPACK (+ pthreadpool, cpuinfo): the CPU inference backend TFLite itself uses.
find_path(XNNPACK_INCLUDE_DIR xnnpack.h REQUIRED)
find_library(XNNPACK_LIB XNNPACK REQUIRED)
find_library(PTHREADPOOL_LIB pthreadpool REQUIRED)
find_library(CPUINFO_LIB cpuinfo REQUIRED)
add_library(xnnpack::xnnpack INTERFACE IMPORTED)
set_target_properties(xnnpack::xnnpack PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${XNNPACK_INCLUDE_DIR}"
  INTERFACE_LINK_LIBRARIES "${XNNPACK_LIB};${PTHREADPOOL_LIB};${CPUINFO_LIB};Threads::Threads")

find_package(FlatBuffers REQUIRED)
find_library(GIF_LIB gif REQUIRED)
pkg_check_modules(LIBDEFLATE REQUIRED IMPORTED_TARGET libdeflate)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
pkg_check_modules(LIBPQXX REQUIRED IMPORTED_TARGET libpqxx)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(simdjson REQUIRED)
find_package(CLI11 REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(CURL REQUIRED)
find_package(ZLIB REQUIRED)
find_package(GTest REQUIRED)
find_package(benchmark REQUIRED)

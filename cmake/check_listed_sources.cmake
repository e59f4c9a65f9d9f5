# Script mode (ctest build/sources_listed): every .cpp of the library, the tools, the tests and
# the docs examples is in a CMake source list. Lists replaced globs; a file left out of them
# would otherwise silently not be built (a test that never runs).
# -DSOURCE_DIR=<top of the source tree> -DLISTED=<file with one absolute path per line>
cmake_minimum_required(VERSION 3.16)
file(STRINGS ${LISTED} listed)
file(GLOB_RECURSE on_disk ${SOURCE_DIR}/lib/src/*.cpp ${SOURCE_DIR}/lib/json/src/*.cpp)
file(GLOB more ${SOURCE_DIR}/tools/cli/*.cpp ${SOURCE_DIR}/tools/json/*.cpp
    ${SOURCE_DIR}/tools/main/*.cpp ${SOURCE_DIR}/tests/lib/test_*.cpp
    ${SOURCE_DIR}/tests/tools/test_*.cpp ${SOURCE_DIR}/tests/json/test_*.cpp
    ${SOURCE_DIR}/docs/examples/*.cpp)
list(APPEND on_disk ${more})
set(unlisted "")
foreach(source IN LISTS on_disk)
    if(NOT source IN_LIST listed)
        string(APPEND unlisted "\n  ${source}")
    endif()
endforeach()
if(unlisted)
    message(FATAL_ERROR "not in any CMake source list (add each to its directory's CMakeLists.txt):${unlisted}")
endif()
list(LENGTH on_disk count)
message(STATUS "sources_listed: all ${count} sources are listed")

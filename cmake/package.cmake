# The Debian package: `cpack -G DEB` in a build directory packs what `cmake --install` installs
# (library, headers, CMake package, pkg-config file, tools, man pages, bash completions) under
# /usr. Dependencies are computed from the binaries by dpkg-shlibdeps (package dpkg-dev).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME atomfile)
set(CPACK_PACKAGE_VENDOR "atomfile developers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Crash-safe file updates built on secure temporary files")
set(CPACK_PACKAGE_DESCRIPTION
    "atomfile replaces files atomically and durably (write, sync, rename, sync the directory) and \
creates temporary files and directories safely. The package holds the C++ libraries (atomfile, and \
atomfile_json, the format-preserving JSON editor) with their headers, and the tools atomic-write, \
atomic-edit, atomic-install, json-edit, with-tempdir, atomic-commit, atomic-recover, atomic-dir and atomic-ln.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "atomfile developers")
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# atomfile/json.hpp includes nlohmann/json.hpp: programs built on atomfile::json need its headers.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "nlohmann-json3-dev (>= 3.10)")
# A shared build's own library is in the package: record it in DEBIAN/shlibs, so packages linking
# it get a dependency on this one.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_STRIP_FILES ON)
include(CPack)

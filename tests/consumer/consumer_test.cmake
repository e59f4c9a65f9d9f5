# ctest installs this build into a staging prefix, then configures, builds and runs
# tests/consumer against it (with find_package and, separately, pkg-config).
set(consumer_stage ${PROJECT_BINARY_DIR}/consumer-stage)
add_test(NAME consumer/find_package
    COMMAND ${CMAKE_COMMAND}
        -DATOMFILE_BUILD_DIR=${PROJECT_BINARY_DIR}
        -DCONSUMER_SOURCE_DIR=${CMAKE_CURRENT_SOURCE_DIR}/consumer
        -DSTAGE=${consumer_stage}
        -DCXX=${CMAKE_CXX_COMPILER}
        -DSANITIZE=${ATOMFILE_SANITIZE}
        -DJSON=$<TARGET_EXISTS:atomfile_json>
        -P ${CMAKE_CURRENT_SOURCE_DIR}/consumer/run_consumer.cmake)
set_tests_properties(consumer/find_package PROPERTIES LABELS "install" TIMEOUT 600)

# A shared build exports the public API only.
get_target_property(atomfile_type atomfile TYPE)
if(atomfile_type STREQUAL "SHARED_LIBRARY")
    add_test(NAME install/exported_symbols
        COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/consumer/exported_symbols.sh
                $<TARGET_FILE:atomfile>)
    set_tests_properties(install/exported_symbols PROPERTIES LABELS "install")
    if(TARGET atomfile_json)
        add_test(NAME install/exported_symbols_json
            COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/consumer/exported_symbols.sh
                    $<TARGET_FILE:atomfile_json> "atomfile::json::Document::parse("
                    "atomfile::json::update(" "typeinfo for atomfile::json::ParseError")
        set_tests_properties(install/exported_symbols_json PROPERTIES LABELS "install")
    endif()
endif()

if(ATOMFILE_BUILD_TOOLS)
    # The Debian package (cmake/package.cmake) unpacks and runs.
    add_test(NAME install/deb_package
        COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/consumer/deb_package.sh ${PROJECT_BINARY_DIR}
                ${PROJECT_BINARY_DIR}/deb-stage ${PROJECT_VERSION})
    set_tests_properties(install/deb_package PROPERTIES LABELS "install" TIMEOUT 600
        FIXTURES_SETUP atomfile_deb)
    # That package installs with dpkg -i on a Debian 12 root (this system under an overlay, in a
    # private mount namespace), runs there and removes cleanly. Skipped (77) without root or
    # overlayfs; a mount namespace copies the mount table, hence the lock (tests/CMakeLists.txt).
    # Not for a sanitizer build: its package depends on the sanitizer runtimes, which a user's
    # Debian root has no reason to hold; that package is built and checked, not installed.
    if(NOT ATOMFILE_SANITIZE)
        add_test(NAME install/deb_install
            COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/consumer/deb_install.sh
                    ${PROJECT_BINARY_DIR}/deb-stage ${PROJECT_BINARY_DIR}/deb-install
                    ${PROJECT_VERSION})
        set_tests_properties(install/deb_install PROPERTIES LABELS "install" SKIP_RETURN_CODE 77
            FIXTURES_REQUIRED atomfile_deb RESOURCE_LOCK mount_table)
    endif()
    # The bash completions (tools/completions) against the built tools' --help.
    add_test(NAME install/completions
        COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/consumer/completions.sh
                ${PROJECT_SOURCE_DIR}/tools/completions ${PROJECT_BINARY_DIR}/tools)
    set_tests_properties(install/completions PROPERTIES LABELS "install")
endif()

# add_subdirectory (and FetchContent) users get the library alone, configured without Boost,
# nlohmann_json or doctest.
add_test(NAME install/subdirectory
    COMMAND ${CMAKE_COMMAND} -S ${CMAKE_CURRENT_SOURCE_DIR}/consumer/subdirectory
        -B ${PROJECT_BINARY_DIR}/subdirectory-consumer
        -DATOMFILE_SOURCE_DIR=${PROJECT_SOURCE_DIR}
        -DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER}
        -DCMAKE_DISABLE_FIND_PACKAGE_Boost=ON
        -DCMAKE_DISABLE_FIND_PACKAGE_nlohmann_json=ON
        -DCMAKE_DISABLE_FIND_PACKAGE_doctest=ON)
set_tests_properties(install/subdirectory PROPERTIES LABELS "install")

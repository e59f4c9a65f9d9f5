# Installation: headers, library, tools (tools/CMakeLists.txt), a CMake package and a pkg-config file.
include(CMakePackageConfigHelpers)

install(TARGETS atomfile EXPORT atomfileTargets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY lib/include/atomfile DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(ATOMFILE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/atomfile)
install(EXPORT atomfileTargets NAMESPACE atomfile:: DESTINATION ${ATOMFILE_CMAKE_DIR})
configure_package_config_file(cmake/atomfileConfig.cmake.in
    ${PROJECT_BINARY_DIR}/atomfileConfig.cmake INSTALL_DESTINATION ${ATOMFILE_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/atomfileConfigVersion.cmake
    COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/atomfileConfig.cmake
    ${PROJECT_BINARY_DIR}/atomfileConfigVersion.cmake DESTINATION ${ATOMFILE_CMAKE_DIR})

file(RELATIVE_PATH ATOMFILE_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
configure_file(cmake/atomfile.pc.in ${PROJECT_BINARY_DIR}/atomfile.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/atomfile.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# atomfile::json (lib/json), when built: its own export set, which atomfileConfig.cmake loads only
# when nlohmann_json is found, so a user of atomfile::atomfile alone never needs nlohmann_json.
if(TARGET atomfile_json)
    install(TARGETS atomfile_json EXPORT atomfileJsonTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
    install(DIRECTORY lib/json/include/atomfile DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
    install(EXPORT atomfileJsonTargets NAMESPACE atomfile:: DESTINATION ${ATOMFILE_CMAKE_DIR})
    configure_file(cmake/atomfile-json.pc.in ${PROJECT_BINARY_DIR}/atomfile-json.pc @ONLY)
    install(FILES ${PROJECT_BINARY_DIR}/atomfile-json.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endif()

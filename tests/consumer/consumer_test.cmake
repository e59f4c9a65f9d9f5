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
        -P ${CMAKE_CURRENT_SOURCE_DIR}/consumer/run_consumer.cmake)
set_tests_properties(consumer/find_package PROPERTIES LABELS "install" TIMEOUT 600)

# Script mode: install, build the consumer against the install, run it; then the same with
# pkg-config. With JSON=ON (the build has atomfile::json), json_consumer too, through
# find_package and pkg-config atomfile-json, and the plain consumer once more where nlohmann_json
# cannot be found (atomfile::atomfile alone never needs it). Fails loudly at the first step
# that does not work.
function(run_step)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT result EQUAL 0)
        message(FATAL_ERROR "step failed: ${ARGN}\n${out}\n${err}")
    endif()
    message(STATUS "${out}")
endfunction()

file(REMOVE_RECURSE ${STAGE})
run_step(${CMAKE_COMMAND} --install ${ATOMFILE_BUILD_DIR} --prefix ${STAGE}/prefix)
set(CXX_FLAGS "")
set(sanitize_flags "")
if(SANITIZE STREQUAL "thread")
    set(CXX_FLAGS "-fsanitize=thread")
    set(sanitize_flags "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}")
elseif(SANITIZE)
    set(CXX_FLAGS "-fsanitize=address,undefined")
    set(sanitize_flags "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}")
endif()
if(NOT JSON)
    set(JSON OFF)
endif()
run_step(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${STAGE}/build
    -DCMAKE_PREFIX_PATH=${STAGE}/prefix -DCMAKE_CXX_COMPILER=${CXX} -DEXPECT_JSON=${JSON}
    ${sanitize_flags})
run_step(${CMAKE_COMMAND} --build ${STAGE}/build)
run_step(${STAGE}/build/consumer ${STAGE}/written-by-find-package.txt)
if(JSON)
    run_step(${STAGE}/build/json_consumer ${STAGE}/settings-by-find-package.json)
    run_step(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${STAGE}/build-without-nlohmann
        -DCMAKE_PREFIX_PATH=${STAGE}/prefix -DCMAKE_CXX_COMPILER=${CXX} -DEXPECT_JSON=OFF
        -DCMAKE_DISABLE_FIND_PACKAGE_nlohmann_json=ON ${sanitize_flags})
    run_step(${CMAKE_COMMAND} --build ${STAGE}/build-without-nlohmann --target consumer)
endif()

file(GLOB pc_dirs ${STAGE}/prefix/lib*/pkgconfig ${STAGE}/prefix/lib/*/pkgconfig)
execute_process(COMMAND env PKG_CONFIG_PATH=${pc_dirs} pkg-config --cflags --libs atomfile
    OUTPUT_VARIABLE pc_flags RESULT_VARIABLE pc_result OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT pc_result EQUAL 0)
    message(FATAL_ERROR "pkg-config does not know the installed atomfile")
endif()
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
separate_arguments(extra_flags UNIX_COMMAND "${CXX_FLAGS}")
run_step(${CXX} ${extra_flags} ${CONSUMER_SOURCE_DIR}/main.cpp ${pc_flags}
    -Wl,-rpath,${pc_dirs}/.. -o ${STAGE}/consumer-pkgconfig)
run_step(${STAGE}/consumer-pkgconfig ${STAGE}/written-by-pkg-config.txt)

if(JSON)
    execute_process(COMMAND env PKG_CONFIG_PATH=${pc_dirs} pkg-config --cflags --libs atomfile-json
        OUTPUT_VARIABLE pc_json_flags RESULT_VARIABLE pc_result OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(NOT pc_result EQUAL 0)
        message(FATAL_ERROR "pkg-config does not know the installed atomfile-json")
    endif()
    separate_arguments(pc_json_flags UNIX_COMMAND "${pc_json_flags}")
    run_step(${CXX} ${extra_flags} ${CONSUMER_SOURCE_DIR}/json_main.cpp ${pc_json_flags}
        -Wl,-rpath,${pc_dirs}/.. -o ${STAGE}/json-consumer-pkgconfig)
    run_step(${STAGE}/json-consumer-pkgconfig ${STAGE}/settings-by-pkg-config.json)
endif()

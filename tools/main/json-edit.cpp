// json-edit: see tools/json/json_edit.hpp and json-edit(1).
#include <iostream>

#include "cli/tool_main.hpp"
#include "json/json_edit.hpp"

int main(int argc, char** argv) {
    atomfile::cli::begin_tool_process();
    std::ios::sync_with_stdio(false);
    int status =
        atomfile::json::run_json_edit({argv + 1, argv + argc}, std::cin, std::cout, std::cerr);
    constexpr int io_error = 4;  // json-edit(1)
    return atomfile::cli::finish_standard_output("json-edit", status, io_error, std::cout,
                                                 std::cerr);
}

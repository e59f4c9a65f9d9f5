// json-edit: see tools/json/json_edit.hpp and json-edit(1).
#include <iostream>

#include "cli/tool_main.hpp"
#include "json/json_edit.hpp"

int main(int argc, char** argv) {
    constexpr int io_error = 4;  // json-edit(1)
    return atomfile::cli::tool_main(
        "json-edit", io_error, argc, argv, [](const std::vector<std::string>& args) {
            std::ios::sync_with_stdio(false);
            return atomfile::json::run_json_edit(args, std::cin, std::cout, std::cerr);
        });
}

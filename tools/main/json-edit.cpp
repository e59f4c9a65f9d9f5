// json-edit: see tools/json/json_edit.hpp and json-edit(1).
#include <iostream>

#include "json/json_edit.hpp"

int main(int argc, char** argv) {
    std::ios::sync_with_stdio(false);
    return atomfile::json::run_json_edit({argv + 1, argv + argc}, std::cin, std::cout, std::cerr);
}

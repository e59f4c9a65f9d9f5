// Guide, "Safe file processing": replace a file so that readers see the old or the new
// content, never a mix, and the new content survives a power cut.
#include <atomfile/atomfile.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

std::string slurp(const fs::path& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

int main() {
    atomfile::TemporaryDirectory work;
    fs::path config = fs::path(work.path()) / "config.json";

    // Write a whole file: temp in the same directory, fsync, rename, fsync the directory.
    atomfile::write_atomic(config, "{\"mode\": \"old_value\"}\n");

    // Read, transform, replace, with a lock so concurrent updaters never lose a change.
    atomfile::safe_update(config, [](std::string text) {
        text.replace(text.find("old_value"), 9, "new_value");
        return text;
    });
    std::cout << slurp(config);
    return slurp(config) == "{\"mode\": \"new_value\"}\n" ? 0 : 1;
}

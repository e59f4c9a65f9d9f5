// Guide, "Files that cannot be renamed over": a config file that may be bind-mounted into a
// container, or sit in a directory the program may not write.
#include <atomfile/atomfile.hpp>

#include <iostream>
#include <string>

int main() {
    const std::string path = "app.conf";
    atomfile::ReplaceOptions options;
    options.in_place_fallback = true;  // off by default: readers may see a partial file
    options.on_in_place_fallback = [](const atomfile::Error& refused, const std::string& record) {
        std::cerr << refused.path() << ": " << refused.errno_code().message()
                  << "; overwriting in place, undo record " << record << '\n';
    };

    // At start-up: finish an overwrite that a crash interrupted. (Any replace with the
    // fallback does this too, before it reads the file.)
    if (atomfile::recover_in_place(path, options))
        std::cerr << path << ": interrupted overwrite undone\n";

    atomfile::write_atomic(path, "workers = 8\n", options);
    std::cout << atomfile::read_file(path);
}

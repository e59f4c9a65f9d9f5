// The README's first example: change one setting of a config file with safe_update.
// Whatever happens while it runs, app.conf holds either the old text or the new text, and once
// safe_update returns the change survives a power cut.
#include <atomfile/atomfile.hpp>

#include <iostream>
#include <string>

int main(int argc, char** argv) {
    const std::string path = argc > 1 ? argv[1] : "app.conf";
    try {
        atomfile::safe_update(path, [](std::string text) {
            auto at = text.find("workers = 4");
            if (at == std::string::npos) throw std::runtime_error("no 'workers = 4' line");
            return text.replace(at, 11, "workers = 8");
        });
    } catch (const std::exception& e) {
        std::cerr << "quick_start: " << e.what() << '\n';
        return 1;
    }
    std::cout << "updated " << path << '\n';
    return 0;
}

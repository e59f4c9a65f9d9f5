// Guide, "Named temp files": a temp file with a path other code can open, removed when closed.
#include <atomfile/atomfile.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

int main() {
    std::string path;
    {
        atomfile::NamedTemporaryFile temp({".txt"});  // suffix ".txt", prefix "tmp", gettempdir()
        temp.write("temporary data");
        path = temp.path();
        std::cout << "temp file: " << path << '\n';

        // Anything can open it by name meanwhile: writes are unbuffered, so no flush is needed.
        std::ifstream reader(path);
        std::string seen;
        std::getline(reader, seen);
        std::cout << "read back by name: " << seen << '\n';
        if (seen != "temporary data") return 1;
    }  // closed and removed here
    std::cout << "still there after the scope? " << std::boolalpha
              << std::filesystem::exists(path) << '\n';
    return std::filesystem::exists(path) ? 1 : 0;
}

// Guide, "The low-level functions": mkstemp() and mkdtemp() create; removing is up to you.
#include <atomfile/atomfile.hpp>

#include <filesystem>
#include <iostream>

namespace fs = std::filesystem;

int main() {
    // mkstemp: an open descriptor (closed by its destructor) and the absolute path.
    auto [fd, path] = atomfile::mkstemp(".log");
    std::cout << "file " << path << " on descriptor " << fd.get() << '\n';
    fd.reset();        // close it
    fs::remove(path);  // and remove it: that part is yours

    // mkdtemp: the absolute path of a new 0700 directory.
    std::string dir = atomfile::mkdtemp("", "myapp_");
    std::cout << "directory " << dir << '\n';
    fs::remove_all(dir);

    // Every function also comes without exceptions.
    std::error_code ec;
    atomfile::mkstemp("", "tmp", "/nonexistent-directory", false, ec);
    std::cout << "in a missing directory: " << ec.message() << '\n';
    return ec ? 0 : 1;
}

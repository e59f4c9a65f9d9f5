// Guide, "Temporary directories": a directory removed with everything in it.
#include <atomfile/atomfile.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>

namespace fs = std::filesystem;

int main() {
    fs::path root;
    {
        atomfile::TemporaryDirectory dir;
        root = dir.path();
        std::cout << "directory: " << root.string() << '\n';
        fs::create_directories(root / "cache" / "v1");
        std::ofstream(root / "data.txt") << "hello";
        std::ofstream(root / "cache" / "v1" / "entry") << "cached";
        // Even a read-only subdirectory is no obstacle to the cleanup.
        fs::permissions(root / "cache", fs::perms::owner_read | fs::perms::owner_exec);
    }  // removed here, contents and all
    std::cout << "exists after the scope: " << std::boolalpha << fs::exists(root) << '\n';

    // Explicit cleanup reports errors instead of swallowing them, and runs even when
    // delete_file is false.
    atomfile::TemporaryDirectory kept(
        atomfile::TemporaryDirectoryOptions().with_prefix("build_").with_delete_file(false));
    std::error_code ec;
    kept.cleanup(ec);
    std::cout << "cleanup of " << kept.path() << ": " << (ec ? ec.message() : "ok") << '\n';
    return fs::exists(root) || fs::exists(kept.path()) || ec ? 1 : 0;
}

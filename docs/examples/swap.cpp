// Guide, "Swapping a whole directory or a symlink": a site published whole, and a deploy switch.
#include <atomfile/atomfile.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

namespace fs = std::filesystem;

std::string slurp(const fs::path& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// Writes a whole version of the site into `dir` (a fresh, empty directory).
void build_site(const std::string& dir, int version) {
    fs::create_directories(dir + "/css");
    std::ofstream(dir + "/index.html") << "<p>version " << version << "</p>\n";
    std::ofstream(dir + "/css/site.css") << "/* version " << version << " */\n";
}

int main() {
    atomfile::TemporaryDirectory work;
    const fs::path root = work.path();
    const fs::path site = root / "site";

    // Readers of site/ see version 1 whole, then version 2 whole: never a mix.
    for (int version : {1, 2})
        atomfile::replace_directory(site, [&](const std::string& staging) {
            build_site(staging, version);  // throw to abandon: site/ stays as it was
        });
    std::cout << slurp(site / "index.html");

    // Change one file, the rest copied (reflinked where the file system can).
    atomfile::DirectorySwapOptions copy;
    copy.copy_current = true;
    atomfile::replace_directory(
        site,
        [](const std::string& staging) {
            std::ofstream(staging + "/index.html") << "<p>version 3</p>\n";
        },
        copy);
    std::cout << slurp(site / "index.html") << slurp(site / "css/site.css");

    // The deploy switch: current -> releases/N, replaced in one rename (ln -sfn has a gap).
    for (int release : {41, 42}) {
        const fs::path dir = root / "releases" / std::to_string(release);
        fs::create_directories(dir);
        build_site(dir.string(), release);
    }
    atomfile::replace_symlink(root / "current", "releases/41");
    atomfile::replace_symlink(root / "current", "releases/42");
    std::cout << slurp(root / "current/index.html");

    // A swap that fails says whether it happened anyway.
    std::error_code ec;
    atomfile::replace_symlink(root / "releases", "elsewhere", ec);  // a real directory
    if (ec && !atomfile::is_swapped(ec))
        std::cout << "refused, untouched: " << ec.message() << "\n";
}

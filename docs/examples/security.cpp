// Guide, "Security": what every temp guarantees, seen from the outside.
#include <atomfile/atomfile.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <iostream>

namespace fs = std::filesystem;

int main() {
    ::umask(0);  // even the most permissive umask cannot widen a temp's mode
    atomfile::NamedTemporaryFile file;
    atomfile::TemporaryDirectory dir;
    auto mode = [](const std::string& path) {
        return static_cast<unsigned>(fs::status(path).permissions() & fs::perms::mask);
    };
    std::cout << std::oct << "file mode 0" << mode(file.path()) << ", directory mode 0"
              << mode(dir.path()) << std::dec << '\n';

    // The most private temp has no name at all (O_TMPFILE)...
    atomfile::TemporaryFile anonymous(atomfile::TemporaryFileOptions().with_dir(dir.path()));
    anonymous.write("draft");
    std::cout << "entries in the directory: "
              << std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator())
              << '\n';
    // ...until link_to() publishes it, complete, under a name that must not exist yet.
    fs::path published = fs::path(dir.path()) / "published.txt";
    if (anonymous.linkable()) anonymous.link_to(published);
    std::cout << "published: " << std::boolalpha << fs::exists(published) << '\n';
    return mode(file.path()) == 0600 && mode(dir.path()) == 0700 ? 0 : 1;
}

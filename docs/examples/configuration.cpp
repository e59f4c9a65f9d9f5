// Guide, "Configuration": where temps go, and how to choose their names.
#include <atomfile/atomfile.hpp>

#include <filesystem>
#include <iostream>

namespace fs = std::filesystem;

int main() {
    // $TMPDIR, $TEMP, $TMP, /tmp, /var/tmp, /usr/tmp, then the working directory: the first
    // where a file can really be created.
    std::cout << "gettempdir(): " << atomfile::gettempdir() << '\n';
    std::cout << "gettempprefix(): " << atomfile::gettempprefix() << '\n';

    // One temp elsewhere: pass dir (any path type: std::string, const char*, fs::path...).
    atomfile::TemporaryDirectory cache(atomfile::TemporaryDirectoryOptions().with_prefix("cache_"));
    fs::path cache_dir = cache.path();
    atomfile::NamedTemporaryFile in_cache(
        atomfile::NamedTemporaryFileOptions().with_prefix("myapp_").with_dir(cache_dir));
    std::cout << "with dir and prefix: " << in_cache.path() << '\n';

    // Every temp elsewhere: set_tempdir() (Python's tempfile.tempdir = ...).
    atomfile::set_tempdir(cache_dir);
    atomfile::NamedTemporaryFile moved;
    std::cout << "after set_tempdir: " << moved.path() << '\n';
    bool ok = fs::path(moved.path()).parent_path() == cache_dir;
    atomfile::set_tempdir("");  // back to searching
    return ok ? 0 : 1;
}

// Guide, "Keeping a temp file after close": delete_file = false, delete_on_close = false,
// keep() and release().
#include <atomfile/atomfile.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

int main() {
    // 1. Never removed: the caller owns the file from the start (Python's delete=False).
    std::string kept;
    {
        atomfile::NamedTemporaryFile temp(
            atomfile::NamedTemporaryFileOptions().with_delete_file(false));
        temp.write("persistent temp data");
        kept = temp.path();
    }
    std::cout << "kept " << kept << ": " << slurp(kept) << '\n';

    // 2. Closed early, removed at the end of the scope (Python 3.12's delete_on_close=False):
    //    close it, then let another program read it by name.
    std::string reopened;
    {
        atomfile::NamedTemporaryFile temp(
            atomfile::NamedTemporaryFileOptions().with_delete_on_close(false));
        temp.write("closed, still there");
        temp.close();
        reopened = temp.path();
        std::cout << "after close: " << slurp(reopened) << '\n';
    }
    std::cout << "after the scope, exists: " << std::boolalpha << fs::exists(reopened) << '\n';

    // 3. Decide late: release() hands the finished file over (keep() would leave it open).
    std::string released;
    {
        atomfile::NamedTemporaryFile temp;
        temp.write("handed over");
        released = temp.release();
    }
    std::cout << "released " << released << ": " << slurp(released) << '\n';

    bool ok = slurp(kept) == "persistent temp data" && !fs::exists(reopened) &&
              slurp(released) == "handed over";
    fs::remove(kept);  // ours to remove now
    fs::remove(released);
    return ok ? 0 : 1;
}

// Guide, "All or nothing: Transaction": a certificate, its key and a configuration replaced
// together, an old file removed, and a conflict with another writer detected.
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

int main() {
    atomfile::TemporaryDirectory work;
    const fs::path root = work.path();  // the transaction root: every path is inside it
    std::ofstream(root / "app.conf") << "tls = old\n";
    std::ofstream(root / "old.conf") << "legacy\n";
    const std::string conf_read = slurp(root / "app.conf");

    atomfile::recover(root);  // after a crash: finish or undo (every Transaction does it too)

    atomfile::Transaction tx(root);    // takes the root's lock; ReplaceOptions as write_atomic
    tx.expect("app.conf", conf_read);  // fail, changing nothing, if it changed meanwhile
    tx.write("app.conf", "tls = new\n");
    tx.write("tls/cert.pem", "CERTIFICATE\n");  // tls/ is created when the set is published
    tx.write("tls/key.pem", "KEY\n");
    tx.remove("old.conf");
    tx.commit();  // every file new, or (on error) every file old, even across a power cut

    std::cout << slurp(root / "app.conf") << slurp(root / "tls/key.pem")
              << (fs::exists(root / "old.conf") ? "old.conf kept\n" : "old.conf removed\n");

    // Another writer changed app.conf after we read it: the commit changes nothing.
    atomfile::Transaction stale(root);
    stale.expect("app.conf", conf_read);
    stale.write("app.conf", "tls = older\n");
    std::error_code ec;
    stale.commit(ec);
    if (atomfile::step_of(ec) == atomfile::Step::expect)
        std::cout << "conflict: " << slurp(root / "app.conf");

    // A cooperating reader sees the whole old set or the whole new set.
    atomfile::TransactionReadLock reading(root);
    std::cout << slurp(root / "tls/cert.pem");
}

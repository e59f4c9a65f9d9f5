// Guide, "Files other users can reach": what the replace engine refuses, and what it reports.
#include <atomfile/atomfile.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

namespace fs = std::filesystem;

std::string slurp(const fs::path& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// A careless leftover: a directory where the backup should go. The backup is checked when the
// file is opened, so nothing is written and the old content stays where it was.
bool backup_problem_refused_early(const fs::path& dir) {
    fs::path config = dir / "app.conf";
    atomfile::write_atomic(config, "workers = 4\n");
    fs::create_directory(dir / "app.conf~");
    std::error_code ec;
    atomfile::write_atomic(config, "workers = 8\n",
                           atomfile::ReplaceOptions().with_backup_suffix("~"), ec);
    std::cout << "backup over a directory: " << ec.message() << '\n';
    return ec == std::errc::is_a_directory && slurp(config) == "workers = 4\n";
}

// A symlink another user planted in a sticky, world-writable directory (like /tmp) is not
// followed, whatever fs.protected_symlinks says. Planting one takes root (lchown).
bool planted_link_refused(const fs::path& dir) {
    if (::geteuid() != 0) return true;
    fs::path shared = dir / "shared";
    fs::create_directory(shared);
    fs::permissions(shared, fs::perms::all | fs::perms::sticky_bit);
    atomfile::write_atomic(dir / "victim", "secret\n");
    fs::create_symlink(dir / "victim", shared / "report.txt");
    if (::lchown((shared / "report.txt").c_str(), 65534, 65534) != 0) return false;
    std::error_code ec;
    atomfile::write_atomic(shared / "report.txt", "pwned\n", {}, ec);
    std::cout << "planted symlink: " << ec.message() << '\n';
    return ec == std::errc::permission_denied && slurp(dir / "victim") == "secret\n";
}

int main() {
    atomfile::TemporaryDirectory work;
    fs::path dir = work.path();

    // Replacing a file someone else owns gives the new file to you unless you may chown it.
    // Ask to be told (or set owner_policy = OwnerPolicy::strict to refuse instead).
    atomfile::ReplaceOptions options;
    options.on_owner_not_kept = [](const atomfile::OwnerNotKept& report) {
        std::cerr << report.path << ": owner " << report.old_uid << " not kept\n";
    };
    atomfile::write_atomic(dir / "state", "1\n", options);

    bool ok = backup_problem_refused_early(dir) && planted_link_refused(dir);
    return ok ? 0 : 1;
}

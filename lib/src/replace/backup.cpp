#include "replace/backup.hpp"

#include <cerrno>

#include "atomfile/error.hpp"
#include "detail/random_name.hpp"
#include "replace/steps.hpp"
#include "replace/temp_names.hpp"

namespace atomfile::replace {
namespace {

// A fresh temp-pattern name hard-linked to the target (so a crash leaves a recognisable orphan).
std::string link_to_temp_name(const Target& target) {
    for (int attempt = 0; attempt < detail::max_name_attempts; ++attempt) {
        std::string name = random_temp_name(target.name, target.path);
        int dir = target.dir.get();
        if (platform::link_at(dir, target.name.c_str(), dir, name.c_str()) == 0) return name;
        if (errno != EEXIST) throw_errno(step::backup, target.path);
    }
    throw_error(EEXIST, step::backup, target.path);
}

}  // namespace

Backup::Backup(const Target& target, const std::string& suffix) : target_(target) {
    if (suffix.empty() || !target.status) return;
    backup_name_ = target.name + suffix;
    temp_name_ = link_to_temp_name(target);
}

Backup::~Backup() {
    if (!temp_name_.empty()) platform::unlink_file_at(target_.dir.get(), temp_name_.c_str());
}

void Backup::finish() {
    if (temp_name_.empty()) return;
    int dir = target_.dir.get();
    if (platform::rename_at(dir, temp_name_.c_str(), dir, backup_name_.c_str()) != 0)
        throw_errno(step::backup_after_replace, target_.path,
                    target_.directory + "/" + backup_name_);
    temp_name_.clear();
}

}  // namespace atomfile::replace

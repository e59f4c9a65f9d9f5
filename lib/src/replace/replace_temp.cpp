#include "replace/replace_temp.hpp"

#include <cerrno>

#include "detail/random_name.hpp"
#include "error_support.hpp"
#include "replace/steps.hpp"
#include "replace/temp_names.hpp"

namespace atomfile::replace {
namespace {

constexpr unsigned temp_mode = 0600;

}  // namespace

ReplaceTemp::ReplaceTemp(const Target& target) : target_(&target) {
    fd_.reset(platform::create_anonymous(target.dir.get(), temp_mode));
    if (fd_) return;
    if (!platform::anonymous_unsupported(errno)) throw_errno(step::create, target.path);
    create_named();
}

ReplaceTemp::ReplaceTemp(ReplaceTemp&& other) noexcept
    : target_(other.target_), fd_(std::move(other.fd_)), name_(std::move(other.name_)) {
    other.name_.clear();
}

ReplaceTemp::~ReplaceTemp() {
    discard();
}

void ReplaceTemp::create_named() {
    name_ =
        claim_temp_name(target_->name, target_->path, step::create, [&](const std::string& name) {
            fd_.reset(platform::create_exclusive(target_->dir.get(), name.c_str(), temp_mode));
            return fd_ ? 0 : -1;
        });
    hold_lock();
}

void ReplaceTemp::hold_lock() {
    if (platform::lock_exclusive(fd_.get(), 0) != 0) {
        int error = errno;
        discard();
        throw_error(error, step::create, target_->path);
    }
}

void ReplaceTemp::write(std::string_view data) {
    while (!data.empty()) {
        long written = platform::write_some(fd_.get(), data.data(), data.size());
        if (written < 0 && errno == EINTR) continue;
        if (written < 0) throw_errno(step::write, target_->path);
        if (written == 0) throw_error(ENOSPC, step::write, target_->path);
        data.remove_prefix(static_cast<std::size_t>(written));
    }
}

void ReplaceTemp::give_name() {
    if (!anonymous()) return;
    if (platform::lock_exclusive(fd_.get(), 0) != 0) throw_errno(step::link, target_->path);
    name_ = claim_temp_name(target_->name, target_->path, step::link, [&](const std::string& name) {
        return platform::link_anonymous(fd_.get(), target_->dir.get(), name.c_str());
    });
}

void ReplaceTemp::link_as_target() {
    if (platform::link_anonymous(fd_.get(), target_->dir.get(), target_->name.c_str()) != 0)
        throw_errno(errno == EEXIST ? step::target_exists : step::link, target_->path);
}

void ReplaceTemp::published() noexcept {
    name_.clear();
}

void ReplaceTemp::discard() noexcept {
    if (!name_.empty() && target_ != nullptr)
        platform::unlink_file_at(target_->dir.get(), name_.c_str());
    name_.clear();
    fd_.reset();
}

}  // namespace atomfile::replace

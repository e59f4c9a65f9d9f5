// The temp file a replace writes: in the target's own directory, anonymous (O_TMPFILE) where
// the file system allows it, otherwise ".NAME.atomfile-XXXXXXXXXX" created exclusively.
//
// A named temp is flock()ed by its writer for as long as it exists, so remove_orphaned_temps can
// tell a live writer's temp from a crashed writer's (the kernel drops the lock on death).
#pragma once

#include <string>
#include <string_view>

#include "atomfile/file_descriptor.hpp"
#include "replace/target_resolution.hpp"

namespace atomfile::replace {

class ReplaceTemp {
  public:
    // Creates the temp (mode 0600) next to target. Throws Error (step "create temp file").
    explicit ReplaceTemp(const Target& target);
    ReplaceTemp(ReplaceTemp&&) noexcept;
    ReplaceTemp& operator=(ReplaceTemp&&) = delete;
    ReplaceTemp(const ReplaceTemp&) = delete;
    ReplaceTemp& operator=(const ReplaceTemp&) = delete;
    // Removes the temp's name, if it still has one. Never throws.
    ~ReplaceTemp();

    int fd() const noexcept { return fd_.get(); }
    bool anonymous() const noexcept { return name_.empty(); }
    const std::string& name() const noexcept { return name_; }

    // Appends data, surviving short writes and EINTR.
    void write(std::string_view data);
    // Gives an anonymous temp a random temp name in the target directory (a replace must go
    // through rename: linkat cannot replace a name).
    void give_name();
    // Links an anonymous temp at the target name itself, failing with EEXIST when it exists:
    // create-only without any window where a temp name exists.
    void link_as_target();
    // The temp's name now belongs to the target: nothing to clean up.
    void published() noexcept;
    // Removes the name and closes the descriptor. Never throws.
    void discard() noexcept;

  private:
    void create_named();
    void hold_lock();

    const Target* target_;
    FileDescriptor fd_;
    std::string name_;
};

}  // namespace atomfile::replace

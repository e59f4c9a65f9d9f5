// The staging directory of a swap, and the leftovers of swaps that crashed.
#pragma once

#include <string>

#include "atomfile/file_descriptor.hpp"
#include "swap/swap_names.hpp"

namespace atomfile::swap {

// A fresh directory beside the target, at an unused `.NAME.atomfile-swap-XXXXXXXXXX` name
// (a name planted meanwhile is skipped, never reused), mode 0700 until finish_mode(), held
// under an exclusive flock so that remove_leftovers() of another process leaves it alone.
// Removed with everything in it when destroyed, unless handed over by release().
class Staging {
  public:
    // Throws Error, step "create staging directory".
    Staging(int parent_fd, const SwapTarget& target);
    ~Staging();
    Staging(const Staging&) = delete;
    Staging& operator=(const Staging&) = delete;

    const std::string& name() const noexcept { return name_; }
    const std::string& path() const noexcept { return path_; }
    int fd() const noexcept { return fd_.get(); }
    int parent_fd() const noexcept { return parent_fd_; }
    // Gives the directory its final permission bits before it is published.
    void finish_mode(unsigned mode);
    // The name no longer holds the staged tree (exchanged) or must stay (published): the
    // destructor leaves it. The lock is kept until destruction.
    void release() noexcept { owned_ = false; }

  private:
    int parent_fd_;
    std::string name_;
    std::string path_;
    FileDescriptor fd_;
    bool owned_ = true;
};

// Takes the flock of the directory `name` in parent_fd without waiting, checking that the name
// still holds the directory locked. An invalid descriptor when it is not a directory, is held
// by someone else or changed meanwhile.
FileDescriptor lock_directory(int parent_fd, const std::string& name);

// remove_swap_leftovers() on an open parent: returns how many entries were removed; throws the
// first failure after removing what it can.
int remove_leftovers(int parent_fd, const SwapTarget& target);

}  // namespace atomfile::swap

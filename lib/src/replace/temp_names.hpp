// The names the replace engine gives the files it leaves in a target's directory, and how to
// recognise them again (remove_orphaned_temps must touch nothing else).
//   temp:  ".NAME.atomfile-XXXXXXXXXX"   (10 random characters, see detail/random_name.hpp)
//   lock:  ".NAME.atomfile-lock", or for a NAME too long for that to fit in NAME_MAX (over 240
//          bytes) ".PREFIX~HASH.atomfile-lock": the first 200 bytes of NAME and 16 hex digits of a
//          hash of all of it, so every name that can be replaced can be locked, and each
//          long name always gets the same lock name
#pragma once

#include <cerrno>
#include <string>
#include <string_view>

#include "atomfile/error.hpp"
#include "detail/random_name.hpp"
#include "error_support.hpp"

namespace atomfile::replace {

// The prefix of a temp for target `name`. A long name is shortened so that the temp name stays
// within NAME_MAX (255).
std::string temp_prefix(std::string_view name);
// A fresh random temp name for target `name`. A failure to draw randomness throws Error naming
// error_path (the target), like every other replace error.
std::string random_temp_name(std::string_view name, const std::string& error_path);
// The lock file name of target `name` (at most 255 bytes, deterministic).
std::string lock_name(std::string_view name);

// Draws temp names for target `name` until claim(temp_name) takes one (returns 0); -1 with errno
// EEXIST asks for another name, any other errno fails as Error(step, error_path), and so does
// running out of names. Returns the name claimed. The one loop behind every temp name the
// engine creates or links, so all of them get the same collision handling.
template <class Claim>
std::string claim_temp_name(std::string_view name, const std::string& error_path, Step step,
                            Claim claim) {
    for (int attempt = 0; attempt < detail::max_name_attempts; ++attempt) {
        std::string temp_name = random_temp_name(name, error_path);
        if (claim(temp_name) == 0) return temp_name;
        if (errno != EEXIST) throw_errno(step, error_path);
    }
    throw_error(EEXIST, step, error_path);
}

bool is_temp_name(std::string_view name);
bool is_lock_name(std::string_view name);

}  // namespace atomfile::replace

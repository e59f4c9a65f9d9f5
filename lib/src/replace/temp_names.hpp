// The names the replace engine gives the files it leaves in a target's directory, and how to
// recognise them again (remove_orphaned_temps must touch nothing else).
//   temp:  ".NAME.atomfile-XXXXXXXXXX"   (10 random characters, see detail/random_name.hpp)
//   lock:  ".NAME.atomfile-lock"
#pragma once

#include <string>
#include <string_view>

namespace atomfile::replace {

// The prefix of a temp for target `name`. A long name is shortened so that the temp name stays
// within NAME_MAX (255).
std::string temp_prefix(std::string_view name);
// A fresh random temp name for target `name`. A failure to draw randomness throws Error naming
// error_path (the target), like every other replace error.
std::string random_temp_name(std::string_view name, const std::string& error_path);
std::string lock_name(std::string_view name);

bool is_temp_name(std::string_view name);
bool is_lock_name(std::string_view name);

}  // namespace atomfile::replace

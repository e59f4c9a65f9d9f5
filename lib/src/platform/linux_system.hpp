// The process's own facts: randomness, ids, environment. Part of the platform layer (linux.hpp
// says what that is).
#pragma once

#include <cstddef>
#include <string>

#include "platform/fault_seam.hpp"

namespace atomfile::platform {

// Fills buffer from getrandom(2). Blocks only before the kernel's pool is initialised.
int random_bytes(void* buffer, std::size_t size);
int current_pid();
unsigned current_uid();
unsigned current_gid();
// Reads an environment variable; returns false when unset.
bool get_environment(const char* name, std::string& value);

}  // namespace atomfile::platform

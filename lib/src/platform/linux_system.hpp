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
// Whether the effective capability set holds CAP_FOWNER (capget(2)), which lets the kernel
// rename over and unlink other users' files in a sticky directory. A process's own fact, like
// its ids, but through the fault seam, since the answer decides a refusal. When capget fails:
// false.
bool has_fowner_capability();
// Whether uid and gid, as this process sees them, are mapped in its user namespace
// (/proc/self/uid_map and gid_map). The kernel lets CAP_FOWNER act only on a file whose owner
// and group both are; in a user namespace (a rootless container) a file of an unmapped user
// shows as the overflow ids (65534). When the maps cannot be read (no /proc): true, as in the
// initial namespace, which maps every id. A map that includes 65534 itself (rootless podman
// maps 1-65536) cannot tell its own 65534 from an unmapped owner: true there too.
bool owner_mapped(unsigned uid, unsigned gid);
// Reads an environment variable; returns false when unset.
bool get_environment(const char* name, std::string& value);

}  // namespace atomfile::platform

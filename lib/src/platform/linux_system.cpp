#include "platform/linux_system.hpp"

#include <linux/capability.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <fstream>

#include "platform/call_support.hpp"

namespace atomfile::platform {

int random_bytes(void* buffer, std::size_t size) {
    ATOMFILE_INJECT(Call::getrandom, -1);
    char* cursor = static_cast<char*>(buffer);
    while (size > 0) {
        ssize_t got = ::getrandom(cursor, size, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        cursor += got;
        size -= static_cast<std::size_t>(got);
    }
    return 0;
}

int current_pid() {
    return static_cast<int>(::getpid());
}
unsigned current_uid() {
    return ::geteuid();
}
unsigned current_gid() {
    return ::getegid();
}

bool has_fowner_capability() {
    __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
    // Unknown means no: refused at staging, nothing replaced, rather than a rename refused by
    // the kernel in the middle of a batch.
    ATOMFILE_INJECT(Call::capget, false);
    if (::syscall(SYS_capget, &header, data) != 0) return false;
    return (data[CAP_TO_INDEX(CAP_FOWNER)].effective & CAP_TO_MASK(CAP_FOWNER)) != 0;
}

namespace {

// Whether id falls in one of the ranges of an id map ("inside outside count" per line).
bool in_id_map(const char* map_path, unsigned id) {
    std::ifstream map(map_path);
    if (!map) return true;
    std::uint64_t inside = 0, outside = 0, count = 0;
    while (map >> inside >> outside >> count)
        if (id >= inside && id - inside < count) return true;
    return false;
}

}  // namespace

bool owner_mapped(unsigned uid, unsigned gid) {
    return in_id_map("/proc/self/uid_map", uid) && in_id_map("/proc/self/gid_map", gid);
}

bool get_environment(const char* name, std::string& value) {
    const char* found = std::getenv(name);
    if (found == nullptr) return false;
    value = found;
    return true;
}

}  // namespace atomfile::platform

#include "platform/fault_seam.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <vector>

namespace atomfile::platform {

namespace {

// Recursive: a plan may itself make platform calls (a test that records a listing, say).
std::recursive_mutex plans_mutex;
std::vector<const FaultPlan*> active_plans;  // oldest first
std::atomic<bool> any_plan{false};

}  // namespace

const char* call_name(Call call) {
    static const char* const names[] = {"open",      "create",     "create_anonymous",
                                        "read",      "write",      "seek",
                                        "truncate",  "fsync",      "fdatasync",
                                        "fstat",     "fstatat",    "fchmod",
                                        "fchown",    "rename",     "link",
                                        "unlink",    "rmdir",      "mkdir",
                                        "readlink",  "xattr_list", "xattr_get",
                                        "xattr_set", "lock",       "close",
                                        "getrandom", "copy",       "writeback",
                                        "open_path", "wait",       "symlink",
                                        "capget",    "allocate"};
    static_assert(sizeof(names) / sizeof(names[0]) == static_cast<int>(Call::count_));
    return names[static_cast<int>(call)];
}

FaultScope::FaultScope(FaultPlan plan) : plan_(std::move(plan)) {
    std::lock_guard<std::recursive_mutex> guard(plans_mutex);
    active_plans.push_back(&plan_);
    any_plan.store(true);
}

FaultScope::~FaultScope() {
    std::lock_guard<std::recursive_mutex> guard(plans_mutex);
    active_plans.erase(std::find(active_plans.begin(), active_plans.end(), &plan_));
    any_plan.store(!active_plans.empty());
}

int injected_error(Call call) {
    if (!any_plan.load(std::memory_order_relaxed)) return 0;
    std::lock_guard<std::recursive_mutex> guard(plans_mutex);
    for (auto plan = active_plans.rbegin(); plan != active_plans.rend(); ++plan) {
        if (int error = (**plan)(call); error != 0) return error;
    }
    return 0;
}

}  // namespace atomfile::platform

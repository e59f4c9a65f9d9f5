// Raising and capturing atomfile::Error: the library's own side of error.hpp. Not installed;
// the tools include it until they are on the public API alone.
#pragma once

#include <cerrno>
#include <new>
#include <string>
#include <system_error>

#include "atomfile/error.hpp"

namespace atomfile {

// A step whose words say more than step_text(step): who holds a lock, which attribute failed.
struct StepWords {
    Step step;
    std::string words;
};

// Out of descriptors or memory: a failure of the process, which says nothing of the file or
// directory it was reported for (each candidate, each journal, would fail the same way).
inline bool is_process_limit(int error) {
    return error == EMFILE || error == ENFILE || error == ENOMEM;
}

// Throw Error for step with the current errno, or with errno_value.
[[noreturn]] void throw_errno(Step step, const std::string& path,
                              const std::string& second_path = {});
[[noreturn]] void throw_error(int errno_value, Step step, const std::string& path,
                              const std::string& second_path = {});
[[noreturn]] void throw_error(int errno_value, const StepWords& step, const std::string& path,
                              const std::string& second_path = {});
// A step outside the library, in words (the tools' own): Step::other unless the words are a
// Step's step_text().
[[noreturn]] void throw_errno(const std::string& words, const std::string& path,
                              const std::string& second_path = {});
[[noreturn]] void throw_error(int errno_value, const std::string& words, const std::string& path,
                              const std::string& second_path = {});

// Runs a throwing body and turns any exception into an error code: the shared implementation of
// every noexcept overload. An Error gives its code(), which keeps the step and the errno.
template <class Body>
void capture_error(std::error_code& ec, Body&& body) noexcept {
    ec.clear();
    try {
        body();
    } catch (const std::system_error& e) {
        ec = e.code();
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
    } catch (...) {
        ec = std::make_error_code(std::errc::io_error);
    }
}

}  // namespace atomfile

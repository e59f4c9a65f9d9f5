// How atomfile reports failure.
//
// Every throwing function throws atomfile::Error (a std::system_error) whose message names the
// step that failed and the path(s) involved, e.g.
//     atomfile: sync temp file for '/etc/app.conf': Input/output error
// code() keeps the errno value (std::generic_category()), so callers can compare it with
// std::errc values. Each throwing function also has a noexcept overload that takes a
// std::error_code& and sets it instead of throwing; it never throws, even on allocation failure
// (that becomes std::errc::not_enough_memory).
#pragma once

#include <string>
#include <system_error>

namespace atomfile {

class Error : public std::system_error {
  public:
    // step: what was being attempted, in words ("create temp file", "rename temp over target").
    Error(std::error_code code, std::string step, std::string path, std::string second_path = {});

    const std::string& step() const noexcept { return step_; }
    const std::string& path() const noexcept { return path_; }
    const std::string& second_path() const noexcept { return second_path_; }

  private:
    std::string step_;
    std::string path_;
    std::string second_path_;
};

// Throws Error with the current errno value.
[[noreturn]] void throw_errno(const std::string& step, const std::string& path,
                              const std::string& second_path = {});
// Throws Error with the given errno value.
[[noreturn]] void throw_error(int errno_value, const std::string& step, const std::string& path,
                              const std::string& second_path = {});

// Runs a throwing body and turns any exception into an error code: the shared implementation of
// every noexcept overload.
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

#pragma once

namespace atomfile {
inline constexpr const char* version = "0.1.0";
}  // namespace atomfile

#include <doctest/doctest.h>

#include "atomfile/error.hpp"
#include "detail/random_name.hpp"
#include "swap/swap_names.hpp"

using namespace atomfile;
using namespace atomfile::swap;

TEST_CASE("a target is split into its directory and its own name, trailing slashes dropped") {
    const SwapTarget target = split_target("/srv/site/", Step::create_staging);
    CHECK(target.path == "/srv/site");
    CHECK(target.parent == "/srv");
    CHECK(target.name == "site");
    const SwapTarget top = split_target("/site", Step::create_staging);
    CHECK(top.parent == "/");
    CHECK(top.name == "site");
}

TEST_CASE("a target without a name of its own is refused with EINVAL at the given step") {
    for (const char* path : {"", "/", ".", "..", "/srv/site/.", "/srv/.."}) {
        CAPTURE(path);
        try {
            split_target(path, Step::create_temp_link);
            FAIL("accepted");
        } catch (const Error& e) {
            CHECK(e.code() == std::errc::invalid_argument);
            CHECK(e.step_id() == Step::create_temp_link);
        }
    }
}

TEST_CASE("only the prefix followed by one random name's characters is taken for a leftover") {
    const std::string prefix = staging_prefix("site");
    CHECK(prefix == ".site.atomfile-swap-");
    CHECK(link_prefix("site") == ".site.atomfile-link-");
    CHECK(is_named_like(prefix + "abc_019xyz", prefix));
    CHECK_FALSE(is_named_like(prefix + "abc_019xy", prefix));    // too short
    CHECK_FALSE(is_named_like(prefix + "abc_019xyzz", prefix));  // too long
    CHECK_FALSE(is_named_like(prefix + "abc-019xyz", prefix));   // not of the alphabet
    CHECK_FALSE(is_named_like(staging_prefix("site2") + "abc_019xyz", prefix));
}

TEST_CASE("a long name's prefixes fit in a name component and stay distinct") {
    const std::string a(255, 'a');
    std::string b = a;
    b.back() = 'b';
    const std::size_t longest = staging_prefix(a).size() + detail::random_characters;
    CHECK(longest <= 255);
    CHECK(link_prefix(a).size() + detail::random_characters <= 255);
    CHECK(staging_prefix(a) != staging_prefix(b));
    CHECK(staging_prefix(std::string(229, 'a')) == "." + std::string(229, 'a') + ".atomfile-swap-");
}

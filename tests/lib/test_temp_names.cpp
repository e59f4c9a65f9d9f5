// The names the engine leaves in a directory, and how they are recognised.
#include <doctest/doctest.h>

#include "replace/temp_names.hpp"

using namespace atomfile::replace;

TEST_CASE("a temp name is the hidden target name, a marker and ten random characters") {
    std::string name = random_temp_name("config.json", "config.json");
    CHECK(name.rfind(".config.json.atomfile-", 0) == 0);
    CHECK(name.size() == std::string(".config.json.atomfile-").size() + 10);
    CHECK(is_temp_name(name));
    CHECK(random_temp_name("config.json", "") != name);
}

TEST_CASE("a long target name is shortened so the temp name stays within NAME_MAX") {
    std::string name = random_temp_name(std::string(255, 'n'), "");
    CHECK(name.size() <= 255);
    CHECK(is_temp_name(name));
}

TEST_CASE("only exact temp and lock names are recognised") {
    CHECK(is_temp_name(".f.atomfile-abc_012xyz"));
    CHECK_FALSE(is_temp_name("f.atomfile-abc_012xyz"));   // not hidden
    CHECK_FALSE(is_temp_name(".f.atomfile-abc_012xy"));   // too short
    CHECK_FALSE(is_temp_name(".f.atomfile-ABC_012xyz"));  // outside the alphabet
    CHECK_FALSE(is_temp_name(".f.atomfile-lock"));
    CHECK(is_lock_name(".f.atomfile-lock"));
    CHECK(lock_name("f") == ".f.atomfile-lock");
    CHECK_FALSE(is_lock_name("f.atomfile-lock"));
    CHECK_FALSE(is_lock_name(".f.atomfile-lock~"));
}

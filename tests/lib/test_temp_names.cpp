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

TEST_CASE("a lock name for a name too long to take the marker is shortened, deterministically") {
    const std::string longest_plain(240, 'n');
    CHECK(lock_name(longest_plain) == "." + longest_plain + ".atomfile-lock");
    const std::string name(250, 'n');
    std::string lock = lock_name(name);
    CHECK(lock.size() <= 255);
    CHECK(lock == lock_name(name));
    CHECK(lock.rfind("." + std::string(200, 'n') + "~", 0) == 0);
    CHECK(is_lock_name(lock));
    CHECK_FALSE(is_temp_name(lock));
    CHECK(lock_name(std::string(255, 'n')).size() <= 255);
}

TEST_CASE("long names that share a prefix get different lock names") {
    std::string a = std::string(250, 'n') + "a";
    std::string b = std::string(250, 'n') + "b";
    CHECK(lock_name(a) != lock_name(b));
    CHECK(lock_name(a.substr(0, 245)) != lock_name(a.substr(0, 246)));
}

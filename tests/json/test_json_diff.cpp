#include <doctest/doctest.h>

#include <string>

#include "json/json_diff.hpp"

using atomfile::json::unified_diff;

TEST_CASE("equal texts give no diff") {
    CHECK(unified_diff("a\nb\n", "a\nb\n", "f", "f").empty());
}

TEST_CASE("a changed line is shown with three lines of context") {
    std::string before = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
    std::string after = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
    CHECK(unified_diff(before, after, "a.json", "b.json") ==
          "--- a.json\n+++ b.json\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
}

TEST_CASE("distant changes make separate hunks, near ones share one") {
    std::string before, after;
    for (int i = 1; i <= 20; ++i) {
        before += std::to_string(i) + "\n";
        after += (i == 2 || i == 18 ? "x" : std::to_string(i)) + "\n";
    }
    std::string diff = unified_diff(before, after, "f", "f");
    CHECK(diff.find("@@ -1,5 +1,5 @@\n 1\n-2\n+x\n 3\n 4\n 5\n") != std::string::npos);
    CHECK(diff.find("@@ -15,6 +15,6 @@\n 15\n 16\n 17\n-18\n+x\n 19\n 20\n") != std::string::npos);
    std::string near = after;
    near.replace(near.find("\n6\n") + 1, 1, "y");
    std::string joined = unified_diff(before, near, "f", "f");
    CHECK(joined.find("@@ -1,9 +1,9 @@") != std::string::npos);
}

TEST_CASE("insertions and deletions are aligned, not shown as one replaced block") {
    std::string diff = unified_diff("a\nb\nc\n", "a\nnew\nb\nc\n", "f", "f");
    CHECK(diff == "--- f\n+++ f\n@@ -1,3 +1,4 @@\n a\n+new\n b\n c\n");
    CHECK(unified_diff("a\nb\nc\n", "a\nc\n", "f", "f") ==
          "--- f\n+++ f\n@@ -1,3 +1,2 @@\n a\n-b\n c\n");
}

TEST_CASE("a missing final newline is marked, and empty sides use line 0") {
    CHECK(unified_diff("a", "b", "f", "f") ==
          "--- f\n+++ f\n@@ -1,1 +1,1 @@\n-a\n\\ No newline at end of file\n+b\n"
          "\\ No newline at end of file\n");
    CHECK(unified_diff("", "x\n", "f", "f") == "--- f\n+++ f\n@@ -0,0 +1,1 @@\n+x\n");
}

TEST_CASE("a change beyond the edit budget is still a correct (coarser) diff") {
    std::string before, after;
    for (int i = 0; i < 50; ++i)
        before += "a" + std::to_string(i) + "\n", after += "b" + std::to_string(i) + "\n";
    std::string diff = unified_diff(before, after, "f", "f", 3, 10);
    CHECK(diff.rfind("--- f\n+++ f\n@@ -1,50 +1,50 @@\n-a0\n", 0) == 0);
}

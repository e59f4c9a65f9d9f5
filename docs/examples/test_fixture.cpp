// Guide, "Temp directories as test fixtures": each test gets a fresh directory that is gone
// afterwards, whatever the test leaves behind.
#include <atomfile/atomfile.hpp>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

// The code under test: copies a CSV file, upper-casing its header line.
void process_csv(const fs::path& input, const fs::path& output) {
    std::ifstream in(input);
    std::ofstream out(output);
    std::string line;
    for (bool header = true; std::getline(in, line); header = false) {
        if (header)
            for (char& c : line) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        out << line << '\n';
    }
}

// A fixture: construct in the test, and the directory goes with it.
struct CsvFixture {
    atomfile::TemporaryDirectory dir{
        atomfile::TemporaryDirectoryOptions().with_prefix("csv_test_")};
    fs::path input = fs::path(dir.path()) / "input.csv";
    fs::path output = fs::path(dir.path()) / "output.csv";
};

bool test_header_is_upper_cased() {
    CsvFixture fixture;
    std::ofstream(fixture.input) << "a,b,c\n1,2,3\n";
    process_csv(fixture.input, fixture.output);
    std::ifstream result(fixture.output);
    std::ostringstream text;
    text << result.rdbuf();
    return text.str() == "A,B,C\n1,2,3\n";
}

int main() {
    bool passed = test_header_is_upper_cased();
    std::cout << "test_header_is_upper_cased: " << (passed ? "passed" : "FAILED") << '\n';
    return passed ? 0 : 1;
}

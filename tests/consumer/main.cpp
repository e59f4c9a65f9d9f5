// Proves the installed headers and library work from another project: replace a file
// atomically and read it back.
#include <atomfile/atomfile.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: consumer FILE\n";
        return 2;
    }
    atomfile::write_atomic(argv[1], "installed and working\n");
    std::ifstream in(argv[1]);
    std::stringstream content;
    content << in.rdbuf();
    if (content.str() != "installed and working\n") {
        std::cerr << "consumer: unexpected content: " << content.str();
        return 1;
    }
    std::cout << "consumer: atomfile " << atomfile::version << " works from an installed tree\n";
    return 0;
}

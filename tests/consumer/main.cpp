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
    // The error_code form compares with the contract's conditions and keeps the errno.
    std::error_code ec;
    atomfile::write_atomic(argv[1], "installed and working\n", {}, ec);
    if (ec == atomfile::errc::replaced_not_durable) {
        std::cerr << "consumer: replaced, not durable: " << atomfile::errno_of(ec).message()
                  << '\n';
        return 1;
    }
    if (ec) {
        std::cerr << "consumer: " << ec.message() << '\n';
        return 1;
    }
    std::cout << "consumer: atomfile " << atomfile::version << " works from an installed tree\n";
    return 0;
}

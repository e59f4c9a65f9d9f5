// Guide, "Spooled files": in memory until the data outgrows max_size, then on disk.
#include <atomfile/atomfile.hpp>

#include <iostream>
#include <string>

int main() {
    atomfile::SpooledTemporaryFile buffer(10240);  // in memory until more than 10 KiB
    buffer.write("small data stays in RAM");
    buffer.seek(0);
    std::cout << buffer.read() << " (on disk: " << std::boolalpha << buffer.rolled_over()
              << ")\n";

    buffer.write(std::string(20000, 'x'));  // now past max_size
    std::cout << "after 20000 more bytes, on disk: " << buffer.rolled_over() << '\n';
    buffer.seek(0);
    std::cout << "first bytes still: " << buffer.read(10) << '\n';

    // Asking for the descriptor always moves the data to a real file.
    atomfile::SpooledTemporaryFile small;
    small.write("tiny");
    int fd = small.fileno();
    std::cout << "descriptor " << fd << ", on disk: " << small.rolled_over() << '\n';
    return buffer.rolled_over() && small.rolled_over() ? 0 : 1;
}

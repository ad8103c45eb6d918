// host/io/atomic_file.cpp — temporary file, fsync, rename.
#include "host/io/atomic_file.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "host/check.hpp"

namespace rbm::detail {

void write_file_atomically(const std::string& path,
                           const char* what,
                           const std::function<bool(std::FILE*)>& write) {
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  std::FILE* file = std::fopen(temp.c_str(), "wb");
  if (!file) RBM_THROW(IoError, "cannot create '", temp, "': ", std::strerror(errno));
  bool ok = write(file);
  ok = ok && std::fflush(file) == 0 && ::fsync(::fileno(file)) == 0;
  ok = (std::fclose(file) == 0) && ok;
  if (!ok || std::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(temp.c_str());
    RBM_THROW(IoError, "cannot write ", what, " '", path, "': ", reason);
  }
}

void write_text_atomically(const std::string& path, const char* what, const std::string& bytes) {
  write_file_atomically(path, what, [&](std::FILE* file) {
    return std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size();
  });
}

}  // namespace rbm::detail

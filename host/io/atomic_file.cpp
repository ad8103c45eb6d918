// host/io/atomic_file.cpp — temporary file, fsync, rename, fsync of the directory.
//
// The temporary name is unique per call (pid and a process-wide counter, created with O_EXCL),
// so threads or processes saving to the same path at once never write into each other's file:
// each rename is atomic and the last one wins with a complete file.
#include "host/io/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "host/check.hpp"
#include "rbm/io.hpp"

namespace rbm::detail {
namespace {

/// Creates a fresh temporary file next to `path`; sets `temp` to its name.
std::FILE* create_temporary(const std::string& path, std::string& temp) {
  static std::atomic<unsigned long> counter{0};
  // O_EXCL: a stale file of a crashed process with the same pid is never reused; try the next
  // number instead.
  for (int attempt = 0; attempt < 100; ++attempt) {
    temp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
      if (errno == EEXIST) continue;
      RBM_THROW(IoError, "cannot create '", temp, "': ", std::strerror(errno));
    }
    std::FILE* file = ::fdopen(fd, "wb");
    if (file == nullptr) {
      const std::string reason = std::strerror(errno);
      ::close(fd);
      std::remove(temp.c_str());
      RBM_THROW(IoError, "cannot create '", temp, "': ", reason);
    }
    return file;
  }
  RBM_THROW(IoError, "cannot create a temporary file next to '", path,
            "': 100 names in a row exist already");
}

/// Makes the rename itself durable. Filesystems that cannot sync a directory say EINVAL (or
/// have no directory handle at all); that is no reason to report a failed save.
void sync_directory(const std::string& path, const char* what) {
  std::filesystem::path directory = std::filesystem::path(path).parent_path();
  if (directory.empty()) directory = ".";
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  const bool ok = ::fsync(fd) == 0 || errno == EINVAL || errno == ENOTSUP;
  const std::string reason = std::strerror(errno);
  ::close(fd);
  if (!ok)
    RBM_THROW(IoError, "wrote ", what, " '", path, "' but syncing its directory failed: ", reason);
}

}  // namespace

void write_file_atomically(const std::string& path,
                           const char* what,
                           const std::function<bool(std::FILE*)>& write) {
  std::string temp;
  std::FILE* file = create_temporary(path, temp);
  bool ok = false;
  try {
    ok = write(file);
  } catch (...) {  // e.g. bad_alloc inside `write`: do not leave the temporary behind
    std::fclose(file);
    std::remove(temp.c_str());
    throw;
  }
  ok = ok && std::fflush(file) == 0 && ::fsync(::fileno(file)) == 0;
  ok = (std::fclose(file) == 0) && ok;
  if (!ok || std::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(temp.c_str());
    RBM_THROW(IoError, "cannot write ", what, " '", path, "': ", reason);
  }
  sync_directory(path, what);
}

void write_text_atomically(const std::string& path, const char* what, const std::string& bytes) {
  write_file_atomically(path, what, [&](std::FILE* file) {
    return std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size();
  });
}

}  // namespace rbm::detail

namespace rbm {

void save_text(const std::string& path, const std::string& text, const std::string& what) {
  detail::write_text_atomically(path, what.c_str(), text);
}

}  // namespace rbm

// host/data/gz_file.hpp — a read-only zlib file that closes itself, shared by the IDX and text
// loaders. zlib's gz* calls read gzip and plain files alike.
#pragma once
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "host/check.hpp"

namespace rbm::detail {

class GzFile {
 public:
  /// Throws IoError naming the path when the file cannot be opened.
  explicit GzFile(const std::string& path) : path_(path) {
    errno = 0;
    file_ = gzopen(path.c_str(), "rb");
    if (file_ == nullptr) {
      RBM_THROW(IoError, "'", path,
                "': cannot open: ", errno != 0 ? std::strerror(errno) : "out of memory");
    }
    gzbuffer(file_, 1 << 17);  // larger than the 8 KiB default: fewer syscalls on 47 MB files
  }
  ~GzFile() { gzclose(file_); }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  gzFile get() const { return file_; }
  const std::string& path() const { return path_; }

  /// zlib's error code for the last call, and its message without the "<path>: " zlib
  /// prefixes to some of them (ours leads).
  int error(std::string& message) const {
    int code = 0;
    const char* text = gzerror(file_, &code);
    message = text != nullptr ? text : "unknown error";
    if (message.rfind(path_ + ": ", 0) == 0) message.erase(0, path_.size() + 2);
    return code;
  }

 private:
  std::string path_;
  gzFile file_ = nullptr;
};

}  // namespace rbm::detail

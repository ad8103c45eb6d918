// tests/fuzz/fuzz_common.hpp — helpers shared by the libFuzzer targets: the loaders take paths,
// so each target writes its input to a file in a private temporary directory first; gzip for
// the targets that cover compressed files too.
//
// The policy every target follows: rbm::Error (and its subclasses) is the documented way for a
// loader to refuse input, so it is caught; any other exception escapes and libFuzzer reports
// it as a crash, like a sanitizer finding, a leak or a timeout.
#pragma once
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace rbm_fuzz {

/// A directory of this process's own, removed at exit. The name lives on the heap and is never
/// freed: the exit handler runs after static destructors would have destroyed a static string.
inline const std::string& temp_dir() {
  static const std::string* const dir = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "rbm_fuzz_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("rbm_fuzz: mkdtemp");
      std::abort();
    }
    return new std::string(pattern);
  }();
  static const int registered = std::atexit([] {
    std::error_code ignored;
    std::filesystem::remove_all(*dir, ignored);
  });
  (void)registered;
  return *dir;
}

/// Writes `bytes` to `name` in the temporary directory and returns the full path.
inline std::string write_file(const std::string& name, const std::string& bytes) {
  const std::string path = temp_dir() + "/" + name;
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr || std::fwrite(bytes.data(), 1, bytes.size(), file) != bytes.size() ||
      std::fclose(file) != 0) {
    std::perror("rbm_fuzz: cannot write the input file");
    std::abort();
  }
  return path;
}

/// `bytes` as one gzip member (deflate level 1: fast, and any level is valid gzip).
inline std::string gzip(const std::string& bytes) {
  z_stream stream{};
  if (deflateInit2(&stream, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  std::string out(deflateBound(&stream, bytes.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  if (deflate(&stream, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

/// Consumes the first byte of the input as option bits (0 when the input is empty).
inline std::uint8_t take_byte(const std::uint8_t*& data, std::size_t& size) {
  if (size == 0) return 0;
  --size;
  return *data++;
}

}  // namespace rbm_fuzz

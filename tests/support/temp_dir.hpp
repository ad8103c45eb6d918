// tests/support/temp_dir.hpp — a fresh directory for one test, removed with its contents
// afterwards. mkdtemp makes the name unique, so test processes running at once (ctest -j, two
// build trees, two checkouts on one machine) never share a path; the name also carries the
// prefix and the test's name, for finding what a failed test left behind.
#pragma once
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace rbm::test {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "rbm_test") {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = prefix + "_" + (info ? info->name() : "test") + "_XXXXXX";
    for (char& c : name)
      if (c == '/') c = '_';
    std::string pattern = (std::filesystem::temp_directory_path() / name).string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("mkdtemp(" + pattern + "): " + std::strerror(errno));
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  /// The path of `name` inside, as a string.
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace rbm::test

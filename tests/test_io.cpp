// tests/test_io.cpp — safetensors model files: round trips, multi-model files, atomic writes,
// corrupt and truncated files, and that Python's safetensors package reads what we write.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "rbm/rbm.hpp"

namespace fs = std::filesystem;

namespace {

rbm::Model random_model(int D, int L, unsigned seed) {
  rbm::Model m = rbm::Model::zeros(D, L);
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (auto* params : {&m.weights, &m.visible_bias, &m.hidden_bias})
    for (float& x : *params) x = normal(gen);
  m.provenance = R"({"train_config":{"cd_steps":3},"data":"bas:4"})";
  return m;
}

class IoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("rbm_io_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  static std::string read_bytes(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  static void write_bytes(const std::string& p, const std::string& bytes) {
    std::ofstream(p, std::ios::binary) << bytes;
  }
  fs::path dir_;
};

void expect_same(const rbm::Model& a, const rbm::Model& b) {
  EXPECT_EQ(a.n_visible, b.n_visible);
  EXPECT_EQ(a.n_hidden, b.n_hidden);
  EXPECT_EQ(a.weights, b.weights);  // bit-exact: the file stores raw float32
  EXPECT_EQ(a.visible_bias, b.visible_bias);
  EXPECT_EQ(a.hidden_bias, b.hidden_bias);
  EXPECT_EQ(a.provenance, b.provenance);
  EXPECT_EQ(a.visible_type, b.visible_type);
}

TEST_F(IoTest, RoundTripIsBitExact) {
  const rbm::Model model = random_model(13, 7, 1);
  rbm::save_model(path("m.safetensors"), model);
  expect_same(rbm::load_model(path("m.safetensors")), model);
}

TEST_F(IoTest, MultiModelRoundTrip) {
  std::vector<rbm::Model> models{random_model(5, 3, 1), random_model(5, 3, 2),
                                 random_model(5, 3, 3)};
  rbm::save_models(path("sweep.safetensors"), models);
  const auto loaded = rbm::load_models(path("sweep.safetensors"));
  ASSERT_EQ(loaded.size(), models.size());
  for (std::size_t m = 0; m < models.size(); ++m) expect_same(loaded[m], models[m]);
  EXPECT_THROW(rbm::load_model(path("sweep.safetensors")), rbm::IoError);
}

TEST_F(IoTest, HeaderIsPaddedJsonWithOffsets) {
  rbm::save_model(path("m.safetensors"), random_model(4, 2, 1));
  const std::string bytes = read_bytes(path("m.safetensors"));
  std::uint64_t header_size = 0;
  for (int k = 0; k < 8; ++k) header_size |= std::uint64_t(std::uint8_t(bytes[k])) << (8 * k);
  EXPECT_EQ(header_size % 8, 0u);
  EXPECT_EQ(bytes.size(), 8 + header_size + 4 * (4 * 2 + 4 + 2));
  const std::string header = bytes.substr(8, header_size);
  EXPECT_NE(header.find("\"weights\""), std::string::npos);
  EXPECT_NE(header.find("\"F32\""), std::string::npos);
  EXPECT_NE(header.find("\"__metadata__\""), std::string::npos);
}

TEST_F(IoTest, OverwriteIsAtomicAndLeavesNoTemporary) {
  rbm::save_model(path("m.safetensors"), random_model(6, 4, 1));
  const rbm::Model second = random_model(6, 4, 2);
  rbm::save_model(path("m.safetensors"), second);
  expect_same(rbm::load_model(path("m.safetensors")), second);
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    ++files;
    EXPECT_EQ(entry.path().filename(), "m.safetensors");
  }
  EXPECT_EQ(files, 1);
}

TEST_F(IoTest, UnwritableDirectoryThrowsIoError) {
  EXPECT_THROW(rbm::save_model(path("no/such/dir/m.safetensors"), random_model(3, 2, 1)),
               rbm::IoError);
}

TEST_F(IoTest, InvalidModelIsNotSaved) {
  rbm::Model bad = random_model(3, 2, 1);
  bad.weights[1] = std::nanf("");
  EXPECT_THROW(rbm::save_model(path("m.safetensors"), bad), rbm::InvalidArgument);
  EXPECT_FALSE(fs::exists(path("m.safetensors")));
}

TEST_F(IoTest, MissingFileNamesThePath) {
  try {
    rbm::load_model(path("absent.safetensors"));
    FAIL() << "expected IoError";
  } catch (const rbm::IoError& e) {
    EXPECT_NE(std::string(e.what()).find("absent.safetensors"), std::string::npos) << e.what();
  }
}

TEST_F(IoTest, TruncatedFilesThrowIoError) {
  rbm::save_model(path("m.safetensors"), random_model(9, 5, 1));
  const std::string bytes = read_bytes(path("m.safetensors"));
  // Every strict prefix is rejected: inside the size field, the header, or the data.
  for (std::size_t keep : {std::size_t{0}, std::size_t{5}, std::size_t{8}, std::size_t{30},
                           bytes.size() / 2, bytes.size() - 4, bytes.size() - 1}) {
    SCOPED_TRACE("kept " + std::to_string(keep) + " of " + std::to_string(bytes.size()) + " bytes");
    write_bytes(path("cut.safetensors"), bytes.substr(0, keep));
    EXPECT_THROW(rbm::load_model(path("cut.safetensors")), rbm::IoError);
  }
}

TEST_F(IoTest, CorruptHeadersThrowIoError) {
  rbm::save_model(path("m.safetensors"), random_model(4, 3, 1));
  const std::string bytes = read_bytes(path("m.safetensors"));
  std::uint64_t header_size = 0;
  for (int k = 0; k < 8; ++k) header_size |= std::uint64_t(std::uint8_t(bytes[k])) << (8 * k);
  const std::string header = bytes.substr(8, header_size);
  auto with_header = [&](std::string h) {
    h.append((8 - h.size() % 8) % 8, ' ');
    std::string size(8, '\0');
    for (int k = 0; k < 8; ++k) size[k] = static_cast<char>(std::uint64_t(h.size()) >> (8 * k));
    return size + h + bytes.substr(8 + header_size);
  };
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string h = header;
    const auto at = h.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return with_header(h.replace(at, from.size(), to));
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not JSON", with_header("{\"weights\": [")},
      {"wrong dtype", replaced("\"F32\"", "\"F16\"")},
      {"missing tensor", replaced("\"hidden_bias\"", "\"hidden_bias_x\"")},
      {"huge header size", std::string("\xff\xff\xff\xff\xff\xff\x00\x00", 8) + bytes.substr(8)},
  };
  for (const auto& [what, file] : cases) {
    SCOPED_TRACE(what);
    write_bytes(path("bad.safetensors"), file);
    EXPECT_THROW(rbm::load_model(path("bad.safetensors")), rbm::IoError);
  }
}

TEST_F(IoTest, NonFiniteValuesInFileAreRejected) {
  rbm::Model model = random_model(3, 2, 1);
  rbm::save_model(path("m.safetensors"), model);
  std::string bytes = read_bytes(path("m.safetensors"));
  const float nan = std::nanf("");
  bytes.replace(bytes.size() - 4, 4, reinterpret_cast<const char*>(&nan), 4);  // last hidden bias
  write_bytes(path("nan.safetensors"), bytes);
  EXPECT_THROW(rbm::load_model(path("nan.safetensors")), rbm::IoError);
}

// Python's reference implementation must read our files (skips when it is not installed).
TEST_F(IoTest, PythonSafetensorsReadsOurFile) {
  if (std::system("python3 -c 'import safetensors.numpy' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "python3 with the safetensors package is not installed";
  const rbm::Model model = random_model(11, 6, 3);
  rbm::save_model(path("m.safetensors"), model);
  const std::string script = path("check.py");
  std::ofstream(script) << "import sys\n"
                           "from safetensors import safe_open\n"
                           "with safe_open(sys.argv[1], framework='numpy') as f:\n"
                           "    meta = f.metadata()\n"
                           "    w = f.get_tensor('weights')\n"
                           "    b = f.get_tensor('visible_bias')\n"
                           "    c = f.get_tensor('hidden_bias')\n"
                           "assert meta['format'] == 'rbm', meta\n"
                           "assert w.shape == (11, 6) and b.shape == (11,) and c.shape == (6,)\n"
                           "print(repr(float(w[2, 5])), repr(float(c[5])))\n";
  const std::string out = path("out.txt");
  ASSERT_EQ(std::system(("python3 " + script + " " + path("m.safetensors") + " > " + out).c_str()),
            0);
  std::ifstream in(out);
  double w25 = 0, c5 = 0;
  in >> w25 >> c5;
  EXPECT_EQ(static_cast<float>(w25), model.weight(2, 5));
  EXPECT_EQ(static_cast<float>(c5), model.hidden_bias[5]);
}

}  // namespace

// tests/test_io.cpp — safetensors model files: round trips, multi-model files, atomic writes
// (also from several threads at once), corrupt, truncated and hostile files (every failure an
// IoError naming the file), F64/F16/BF16 tensors converted on load, and that Python's
// safetensors package reads what we write; text files (save_text) are written atomically too.
#include <gtest/gtest.h>

#include <atomic>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "rbm/rbm.hpp"
#include "tests/support/temp_dir.hpp"

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
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  static std::string read_bytes(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  static void write_bytes(const std::string& p, const std::string& bytes) {
    std::ofstream(p, std::ios::binary) << bytes;
  }
  rbm::test::TempDir temp_{"rbm_io"};
  const fs::path dir_ = temp_.path();
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
      {"integer dtype", replaced("\"F32\"", "\"I32\"")},
      {"unknown dtype", replaced("\"F32\"", "\"X\"")},
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

// ---- hand-written files: hostile headers and other dtypes ------------------------------------

/// One tensor of a hand-written safetensors file: its header entry and its raw data bytes.
struct HandTensor {
  std::string name;
  std::string dtype;
  nlohmann::json shape;
  std::string bytes;
};

/// A safetensors file built byte by byte, independent of the library's writer; `offsets`
/// overrides the data_offsets of every tensor when not null.
std::string safetensors_bytes(const std::vector<HandTensor>& tensors,
                              const nlohmann::json& metadata = nullptr) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.is_null()) header["__metadata__"] = metadata;
  std::string data;
  for (const HandTensor& t : tensors) {
    header[t.name] = {{"dtype", t.dtype},
                      {"shape", t.shape},
                      {"data_offsets", {data.size(), data.size() + t.bytes.size()}}};
    data += t.bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  for (int k = 0; k < 8; ++k) out[k] = static_cast<char>(std::uint64_t(text.size()) >> (8 * k));
  return out + text + data;
}

template <typename Bits>
std::string little_endian(const std::vector<Bits>& values) {
  std::string out;
  for (Bits v : values)
    for (std::size_t k = 0; k < sizeof(Bits); ++k)
      out.push_back(static_cast<char>(static_cast<std::uint64_t>(v) >> (8 * k)));
  return out;
}
std::string f32_bytes(const std::vector<float>& values) {
  std::vector<std::uint32_t> bits(values.size());
  std::memcpy(bits.data(), values.data(), 4 * values.size());
  return little_endian(bits);
}
std::string f64_bytes(const std::vector<double>& values) {
  std::vector<std::uint64_t> bits(values.size());
  std::memcpy(bits.data(), values.data(), 8 * values.size());
  return little_endian(bits);
}

/// A valid 2x3 model in F32 whose tensors can be swapped for others.
std::vector<HandTensor> small_model_tensors() {
  return {{"weights", "F32", {2, 3}, f32_bytes({1, 2, 3, 4, 5, 6})},
          {"visible_bias", "F32", {2}, f32_bytes({0.5f, -0.5f})},
          {"hidden_bias", "F32", {3}, f32_bytes({1, 0, -1})}};
}

/// Expects load_models to throw IoError whose message names the file (and `part`).
::testing::AssertionResult load_fails(const std::string& file, const std::string& part = "") {
  try {
    rbm::load_models(file);
  } catch (const rbm::IoError& e) {
    const std::string message = e.what();
    if (message.find(file) == std::string::npos || message.find(part) == std::string::npos)
      return ::testing::AssertionFailure()
             << "message lacks the file or '" << part << "': " << message;
    return ::testing::AssertionSuccess() << message;
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "threw something else than IoError: " << e.what();
  }
  return ::testing::AssertionFailure() << "loaded without an error";
}

TEST_F(IoTest, MetadataMustBeAnObjectOfStrings) {
  const std::vector<std::pair<std::string, nlohmann::json>> cases = {
      {"metadata is an array", nlohmann::json::array({"format", "rbm"})},
      {"metadata is a string", "rbm"},
      {"value is a number", {{"format", "rbm"}, {"n_models", 1}}},
      {"value is an object", {{"provenance", {{"data", "bas:4"}}}}},
      {"n_models is not a number", {{"n_models", "one"}}},
      {"n_models has a suffix", {{"n_models", "1x"}}},
      {"n_models is negative", {{"n_models", "-1"}}},
      {"n_models is huge", {{"n_models", "99999999999999999999999"}}},
  };
  for (const auto& [what, metadata] : cases) {
    SCOPED_TRACE(what);
    write_bytes(path("meta.safetensors"), safetensors_bytes(small_model_tensors(), metadata));
    EXPECT_TRUE(load_fails(path("meta.safetensors")));
  }
  write_bytes(path("ok.safetensors"),
              safetensors_bytes(small_model_tensors(), {{"n_models", "1"}}));
  EXPECT_EQ(rbm::load_model(path("ok.safetensors")).weights,
            (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST_F(IoTest, ShapesThatOverflowOrExceedTheFileAreIoErrors) {
  // Each product wraps around 2^64 (or reaches 2^62 elements) while data_offsets claim a few
  // bytes: the reader must compare with the file, not allocate.
  const std::vector<std::pair<std::string, nlohmann::json>> shapes = {
      {"2^62 x 1", {std::uint64_t{1} << 62, 1}},
      {"2^40 x 2^40", {std::uint64_t{1} << 40, std::uint64_t{1} << 40}},
      {"2^31 x 2^31", {std::uint64_t{1} << 31, std::uint64_t{1} << 31}},
      {"2^62 x 4", {std::uint64_t{1} << 62, 4}},
      {"2^63 x 2", {std::uint64_t{1} << 63, 2}},
      {"2^64 - 1", {~std::uint64_t{0}, 1}},
      {"negative", {-2, -3}},
      {"zero", {0, 3}},
      {"fractional", {2.5, 3}},
      {"string", {"2", 3}},
  };
  for (const auto& [what, shape] : shapes) {
    SCOPED_TRACE(what);
    for (const std::string& bytes : {std::string(), f32_bytes({1, 2, 3, 4, 5, 6})}) {
      auto tensors = small_model_tensors();
      tensors[0].shape = shape;
      tensors[0].bytes = bytes;
      write_bytes(path("shape.safetensors"), safetensors_bytes(tensors));
      EXPECT_TRUE(load_fails(path("shape.safetensors"), "weights"));
    }
  }
}

TEST_F(IoTest, AbsurdRankIsAnIoError) {
  // Even a tensor that load_models does not use: the reader checks every tensor of the file.
  auto tensors = small_model_tensors();
  tensors.push_back({"extra", "F32", std::vector<int>(1000, 1), f32_bytes({7})});
  write_bytes(path("rank.safetensors"), safetensors_bytes(tensors));
  EXPECT_TRUE(load_fails(path("rank.safetensors"), "rank 1000"));
  tensors.back().shape = std::vector<int>(64, 1);  // numpy's limit is fine
  write_bytes(path("rank64.safetensors"), safetensors_bytes(tensors));
  EXPECT_NO_THROW(rbm::load_model(path("rank64.safetensors")));
}

TEST_F(IoTest, OverlappingTensorsAreAnIoError) {
  // Two tensors on the same bytes: allowed, a small file could make the reader allocate its
  // size many times over.
  auto tensors = small_model_tensors();
  tensors.push_back({"alias", "F32", {2, 3}, ""});
  std::string file = safetensors_bytes(tensors);
  const std::string entry = R"("alias":{"data_offsets":[44,44])";
  const auto at = file.find(entry);
  ASSERT_NE(at, std::string::npos) << file.substr(8, 200);
  file.replace(at, entry.size(), R"("alias":{"data_offsets":[ 0,24])");
  write_bytes(path("overlap.safetensors"), file);
  EXPECT_TRUE(load_fails(path("overlap.safetensors"), "overlap"));
}

TEST_F(IoTest, DeeplyNestedHeaderIsAnIoError) {
  // A million nested arrays (2 MB of header): parsing, error reporting and freeing the JSON
  // must not recurse once per level (that would overflow the stack).
  constexpr std::size_t depth = 1'000'000;
  std::string header = "{\"weights\":" + std::string(depth, '[') + std::string(depth, ']') + "}";
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string file(8, '\0');
  for (int k = 0; k < 8; ++k) file[k] = static_cast<char>(std::uint64_t(header.size()) >> (8 * k));
  write_bytes(path("nested.safetensors"), file + header);
  EXPECT_TRUE(load_fails(path("nested.safetensors"), "weights"));
  // The same depth inside a shape, after an extent too large for the file.
  header = "{\"weights\":{\"dtype\":\"F32\",\"data_offsets\":[0,0],\"shape\":[1000," +
           std::string(depth, '[') + std::string(depth, ']') + "]}}";
  header.append((8 - header.size() % 8) % 8, ' ');
  for (int k = 0; k < 8; ++k) file[k] = static_cast<char>(std::uint64_t(header.size()) >> (8 * k));
  write_bytes(path("nested.safetensors"), file.substr(0, 8) + header);
  EXPECT_TRUE(load_fails(path("nested.safetensors"), "weights"));
}

TEST_F(IoTest, NotARegularFileIsAnIoError) {
  EXPECT_TRUE(load_fails(dir_.string()));
  fs::create_directories(path("dir.safetensors"));
  EXPECT_TRUE(load_fails(path("dir.safetensors")));
}

TEST_F(IoTest, F64F16AndBF16TensorsAreConvertedToF32) {
  // float64: values are rounded to the nearest float (numpy saves float64 by default).
  const std::vector<double> w64 = {0.1, 1.0 / 3.0, -2.5, 1e-40, 3.4028234663852886e38, 1e-50};
  // float16 bit patterns: 1, -2, 0x3555 = 0.333251953125, 65504 (largest), 2^-24 (smallest
  // subnormal), 2^-14 (smallest normal).
  const std::vector<std::uint16_t> h16 = {0x3c00, 0xc000, 0x3555, 0x7bff, 0x0001, 0x0400};
  const std::vector<float> h16_values = {
      1.0f, -2.0f, 0.333251953125f, 65504.0f, std::ldexp(1.0f, -24), std::ldexp(1.0f, -14)};
  // bfloat16: the upper 16 bits of a float32: 1, -3, 3.140625, 2^-133 (subnormal), -0.
  const std::vector<std::uint16_t> b16 = {0x3f80, 0xc040, 0x4049};
  const std::vector<float> b16_values = {1.0f, -3.0f, 3.140625f};
  const std::vector<std::uint16_t> b16_bias = {0x0001, 0x8000};

  std::vector<float> w64_values;
  for (double x : w64) w64_values.push_back(static_cast<float>(x));
  EXPECT_EQ(w64_values[4], FLT_MAX);

  const std::vector<std::pair<std::string, std::vector<HandTensor>>> files = {
      {"f64",
       {{"weights", "F64", {2, 3}, f64_bytes(w64)},
        {"visible_bias", "F64", {2}, f64_bytes({0.25, -7.0})},
        {"hidden_bias", "F64", {3}, f64_bytes({1e-3, 0.0, -1e10})}}},
      {"f16",
       {{"weights", "F16", {2, 3}, little_endian(h16)},
        {"visible_bias", "F16", {2}, little_endian(std::vector<std::uint16_t>{0x3800, 0x8000})},
        {"hidden_bias", "F16", {3}, little_endian(std::vector<std::uint16_t>{0x3c00, 0, 0xbc00})}}},
      {"bf16",
       {{"weights", "BF16", {3, 1}, little_endian(b16)},
        {"visible_bias", "BF16", {3}, little_endian(b16)},
        {"hidden_bias", "BF16", {1}, little_endian(std::vector<std::uint16_t>{0x3f80})}}},
      {"mixed",
       {{"weights", "F16", {2, 3}, little_endian(h16)},
        {"visible_bias", "BF16", {2}, little_endian(b16_bias)},
        {"hidden_bias", "F64", {3}, f64_bytes({1e-3, 0.0, -1e10})}}},
  };
  for (const auto& [name, tensors] : files) {
    write_bytes(path(name + ".safetensors"), safetensors_bytes(tensors, {{"format", "rbm"}}));
  }
  const rbm::Model f64 = rbm::load_model(path("f64.safetensors"));
  EXPECT_EQ(f64.weights, w64_values);
  EXPECT_EQ(f64.visible_bias, (std::vector<float>{0.25f, -7.0f}));
  EXPECT_EQ(f64.hidden_bias, (std::vector<float>{1e-3f, 0.0f, -1e10f}));

  const rbm::Model f16 = rbm::load_model(path("f16.safetensors"));
  EXPECT_EQ(f16.weights, h16_values);
  EXPECT_EQ(f16.visible_bias, (std::vector<float>{0.5f, -0.0f}));
  EXPECT_TRUE(std::signbit(f16.visible_bias[1]));
  EXPECT_EQ(f16.hidden_bias, (std::vector<float>{1.0f, 0.0f, -1.0f}));

  const rbm::Model bf16 = rbm::load_model(path("bf16.safetensors"));
  EXPECT_EQ(bf16.n_visible, 3);
  EXPECT_EQ(bf16.n_hidden, 1);
  EXPECT_EQ(bf16.weights, b16_values);
  EXPECT_EQ(bf16.visible_bias, b16_values);
  EXPECT_EQ(bf16.hidden_bias, (std::vector<float>{1.0f}));

  const rbm::Model mixed = rbm::load_model(path("mixed.safetensors"));
  EXPECT_EQ(mixed.weights, h16_values);
  EXPECT_EQ(mixed.visible_bias, (std::vector<float>{std::ldexp(1.0f, -133), -0.0f}));
  EXPECT_EQ(mixed.hidden_bias, (std::vector<float>{1e-3f, 0.0f, -1e10f}));

  // Saved again, every model is plain F32 and loads bit-exactly.
  rbm::save_model(path("again.safetensors"), mixed);
  EXPECT_EQ(rbm::load_model(path("again.safetensors")).weights, mixed.weights);
}

TEST_F(IoTest, NonFiniteValuesAfterConversionAreRejected) {
  const std::vector<std::pair<std::string, HandTensor>> cases = {
      {"f64 beyond float range", {"hidden_bias", "F64", {3}, f64_bytes({1, 1e300, 1})}},
      {"f64 below float range", {"hidden_bias", "F64", {3}, f64_bytes({1, -1e39, 1})}},
      {"f64 nan", {"hidden_bias", "F64", {3}, f64_bytes({1, std::nan(""), 1})}},
      {"f16 inf",
       {"hidden_bias", "F16", {3}, little_endian(std::vector<std::uint16_t>{0, 0x7c00, 0})}},
      {"f16 nan",
       {"hidden_bias", "F16", {3}, little_endian(std::vector<std::uint16_t>{0, 0x7e00, 0})}},
      {"bf16 -inf",
       {"hidden_bias", "BF16", {3}, little_endian(std::vector<std::uint16_t>{0, 0xff80, 0})}},
  };
  for (const auto& [what, bias] : cases) {
    SCOPED_TRACE(what);
    auto tensors = small_model_tensors();
    tensors[2] = bias;
    write_bytes(path("inf.safetensors"), safetensors_bytes(tensors));
    EXPECT_TRUE(load_fails(path("inf.safetensors"), "hidden_bias"));
  }
}

// numpy writes float64 unless told otherwise; Python's safetensors then writes F64 tensors.
TEST_F(IoTest, PythonFloat64FileLoads) {
  if (std::system("python3 -c 'import safetensors.numpy, numpy' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "python3 with the safetensors package is not installed";
  const std::string script = path("write.py");
  std::ofstream(script) << "import sys, numpy as np\n"
                           "from safetensors.numpy import save_file\n"
                           "w = np.arange(12, dtype=np.float64).reshape(4, 3) / 7\n"
                           "save_file({'weights': w, 'visible_bias': np.full(4, 0.1),\n"
                           "           'hidden_bias': np.array([1, 2, 3], dtype=np.float16)},\n"
                           "          sys.argv[1], metadata={'format': 'rbm'})\n";
  ASSERT_EQ(std::system(("python3 " + script + " " + path("np.safetensors")).c_str()), 0);
  const rbm::Model model = rbm::load_model(path("np.safetensors"));
  ASSERT_EQ(model.n_visible, 4);
  ASSERT_EQ(model.n_hidden, 3);
  for (int k = 0; k < 12; ++k) EXPECT_EQ(model.weights[k], static_cast<float>(k / 7.0)) << k;
  EXPECT_EQ(model.visible_bias, std::vector<float>(4, 0.1f));
  EXPECT_EQ(model.hidden_bias, (std::vector<float>{1, 2, 3}));
}

TEST_F(IoTest, ConcurrentSavesToOnePathLeaveOneCompleteModel) {
  constexpr int n_threads = 8, saves_per_thread = 6;
  std::vector<rbm::Model> models;
  for (int t = 0; t < n_threads; ++t) models.push_back(random_model(64, 32, 100 + t));
  const std::string target = path("shared.safetensors");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < n_threads; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < saves_per_thread; ++k) {
        try {
          rbm::save_model(target, models[t]);
        } catch (const std::exception& e) {
          ++failures;
          ADD_FAILURE() << "thread " << t << ": " << e.what();
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  const rbm::Model loaded = rbm::load_model(target);
  int matches = 0;
  for (const rbm::Model& model : models)
    matches += loaded.weights == model.weights && loaded.visible_bias == model.visible_bias &&
               loaded.hidden_bias == model.hidden_bias;
  EXPECT_EQ(matches, 1) << "the file is not exactly one of the saved models";
  for (const auto& entry : fs::directory_iterator(dir_))
    EXPECT_EQ(entry.path().filename(), "shared.safetensors") << "left behind: " << entry.path();
}

TEST_F(IoTest, SaveTextReplacesTheFileAtomicallyAndNamesFailures) {
  rbm::save_text(path("t.csv"), "a,b\n1,2\n");
  const std::string second(100000, 'x');  // larger than one stdio buffer
  rbm::save_text(path("t.csv"), second, "table");
  EXPECT_EQ(read_bytes(path("t.csv")), second);
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    ++files;
    EXPECT_EQ(entry.path().filename(), "t.csv");
  }
  EXPECT_EQ(files, 1);
  const std::string missing = path("no/such/dir/t.csv");
  try {
    rbm::save_text(missing, "x", "search table");
    ADD_FAILURE() << "no IoError";
  } catch (const rbm::IoError& e) {
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
  }
}

}  // namespace

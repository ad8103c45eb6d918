// host/io/safetensors.cpp — model files in the safetensors format
// (https://github.com/huggingface/safetensors: u64 little-endian header size, JSON header,
// raw little-endian tensor bytes; offsets relative to the end of the header).
// Written atomically: a temporary file in the same directory, fsync'ed, then renamed.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "host/check.hpp"
#include "rbm/io.hpp"
#include "rbm/version.hpp"

namespace rbm {
namespace {

using nlohmann::json;

// Header sizes beyond this are certainly corrupt (a D×L model's header is a few hundred bytes
// plus its provenance).
constexpr std::uint64_t kMaxHeaderBytes = 100u << 20;

std::string prefix_of(std::size_t m, std::size_t n_models) {
  return n_models == 1 ? std::string() : "m" + std::to_string(m) + ".";
}

struct TensorRef {
  std::string name;
  const std::vector<float>* data;
  std::vector<std::int64_t> shape;
};

/// Writes `bytes` to `path` via a temporary file and rename, so a crash never leaves a
/// half-written model behind.
void write_atomically(const std::string& path,
                      const std::string& header,
                      const std::vector<TensorRef>& tensors) {
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  std::FILE* file = std::fopen(temp.c_str(), "wb");
  if (!file) RBM_THROW(IoError, "cannot create '", temp, "': ", std::strerror(errno));
  bool ok = true;
  const std::uint64_t header_size = header.size();
  unsigned char size_bytes[8];
  for (int k = 0; k < 8; ++k) size_bytes[k] = static_cast<unsigned char>(header_size >> (8 * k));
  ok = ok && std::fwrite(size_bytes, 1, 8, file) == 8;
  ok = ok && std::fwrite(header.data(), 1, header.size(), file) == header.size();
  for (const TensorRef& t : tensors)
    ok = ok && std::fwrite(t.data->data(), sizeof(float), t.data->size(), file) == t.data->size();
  ok = ok && std::fflush(file) == 0 && ::fsync(::fileno(file)) == 0;
  ok = (std::fclose(file) == 0) && ok;
  if (!ok || std::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(temp.c_str());
    RBM_THROW(IoError, "cannot write model file '", path, "': ", reason);
  }
}

}  // namespace

void save_models(const std::string& path, const std::vector<Model>& models) {
  static_assert(sizeof(float) == 4, "safetensors F32 needs 4-byte floats");
  RBM_EXPECTS(!models.empty(), "save_models: no models to save to '", path, "'");
  json header;
  json metadata = {
      {"format", "rbm"}, {"rbm_version", version()}, {"n_models", std::to_string(models.size())}};
  std::vector<TensorRef> tensors;
  for (std::size_t m = 0; m < models.size(); ++m) {
    const Model& model = models[m];
    model.validate();
    const std::string p = prefix_of(m, models.size());
    metadata[p + "visible_type"] = to_string(model.visible_type);
    metadata[p + "hidden_type"] = to_string(model.hidden_type);
    metadata[p + "provenance"] = model.provenance.empty() ? "{}" : model.provenance;
    tensors.push_back({p + "weights", &model.weights, {model.n_visible, model.n_hidden}});
    tensors.push_back({p + "visible_bias", &model.visible_bias, {model.n_visible}});
    tensors.push_back({p + "hidden_bias", &model.hidden_bias, {model.n_hidden}});
  }
  header["__metadata__"] = metadata;
  std::uint64_t offset = 0;
  for (const TensorRef& t : tensors) {
    const std::uint64_t bytes = t.data->size() * sizeof(float);
    header[t.name] = {
        {"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // the format pads the header to 8 bytes
  write_atomically(path, text, tensors);
}

void save_model(const std::string& path, const Model& model) {
  save_models(path, {model});
}

std::vector<Model> load_models(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) RBM_THROW(IoError, "cannot open model file '", path, "': ", std::strerror(errno));
  in.seekg(0, std::ios::end);
  const std::uint64_t file_size = static_cast<std::uint64_t>(in.tellg());
  in.seekg(0);
  if (file_size < 8)
    RBM_THROW(IoError, "'", path, "' is not a safetensors file: ", file_size, " bytes");
  unsigned char size_bytes[8];
  in.read(reinterpret_cast<char*>(size_bytes), 8);
  std::uint64_t header_size = 0;
  for (int k = 0; k < 8; ++k) header_size |= static_cast<std::uint64_t>(size_bytes[k]) << (8 * k);
  if (header_size > kMaxHeaderBytes || header_size > file_size - 8)
    RBM_THROW(IoError, "'", path, "' is corrupt or truncated: header claims ", header_size,
              " bytes but the file has ", file_size, " bytes");
  std::string header_text(header_size, '\0');
  in.read(header_text.data(), static_cast<std::streamsize>(header_size));
  json header;
  try {
    header = json::parse(header_text);
  } catch (const json::exception& e) {
    RBM_THROW(IoError, "'", path, "' has a corrupt safetensors header: ", e.what());
  }
  const std::uint64_t data_size = file_size - 8 - header_size;
  std::vector<char> data(data_size);
  in.read(data.data(), static_cast<std::streamsize>(data_size));
  if (!in) RBM_THROW(IoError, "'", path, "': read failed");

  auto fail = [&](const std::string& what) -> void { RBM_THROW(IoError, "'", path, "': ", what); };
  const json metadata = header.value("__metadata__", json::object());
  const std::size_t n_models = std::stoul(metadata.value("n_models", std::string("1")));
  std::vector<Model> models;
  for (std::size_t m = 0; m < n_models; ++m) {
    const std::string p = prefix_of(m, n_models);
    auto read_tensor = [&](const std::string& name, std::size_t rank) {
      if (!header.contains(name)) fail("missing tensor '" + name + "'");
      const json& info = header[name];
      if (info.value("dtype", std::string()) != "F32")
        fail("tensor '" + name + "' has dtype " + info.value("dtype", std::string("?")) +
             ", expected F32");
      const auto shape = info.at("shape").get<std::vector<std::int64_t>>();
      const auto offsets = info.at("data_offsets").get<std::vector<std::uint64_t>>();
      if (shape.size() != rank || offsets.size() != 2)
        fail("tensor '" + name + "' has a bad shape");
      std::uint64_t count = 1;
      for (auto extent : shape) {
        if (extent <= 0) fail("tensor '" + name + "' has a non-positive extent");
        count *= static_cast<std::uint64_t>(extent);
      }
      if (offsets[1] < offsets[0] || offsets[1] > data_size || offsets[1] - offsets[0] != count * 4)
        fail("tensor '" + name + "' data_offsets [" + std::to_string(offsets[0]) + ", " +
             std::to_string(offsets[1]) + "] do not fit its shape or the " +
             std::to_string(data_size) + "-byte data section (truncated file?)");
      std::vector<float> values(count);
      std::memcpy(values.data(), data.data() + offsets[0], count * 4);
      return std::make_pair(shape, values);
    };
    Model model;
    try {
      auto [w_shape, w] = read_tensor(p + "weights", 2);
      auto [b_shape, b] = read_tensor(p + "visible_bias", 1);
      auto [c_shape, c] = read_tensor(p + "hidden_bias", 1);
      model.n_visible = static_cast<int>(w_shape[0]);
      model.n_hidden = static_cast<int>(w_shape[1]);
      model.weights = std::move(w);
      model.visible_bias = std::move(b);
      model.hidden_bias = std::move(c);
      model.visible_type =
          parse_unit_type(metadata.value(p + "visible_type", std::string("bernoulli")));
      model.hidden_type =
          parse_unit_type(metadata.value(p + "hidden_type", std::string("bernoulli")));
      model.provenance = metadata.value(p + "provenance", std::string("{}"));
      model.validate();
    } catch (const json::exception& e) {
      fail(std::string("bad tensor description: ") + e.what());
    } catch (const InvalidArgument& e) {
      fail(std::string("invalid model: ") + e.what());
    }
    models.push_back(std::move(model));
  }
  return models;
}

Model load_model(const std::string& path) {
  auto models = load_models(path);
  if (models.size() != 1)
    RBM_THROW(IoError, "'", path, "' holds ", models.size(), " models; use load_models");
  return std::move(models.front());
}

}  // namespace rbm

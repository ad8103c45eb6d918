// host/io/tensor_file.cpp — reading and writing safetensors files of float32 tensors.
#include "host/io/tensor_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "host/check.hpp"
#include "host/io/atomic_file.hpp"

namespace rbm::detail {
namespace {

using nlohmann::json;

// Header sizes beyond this are certainly corrupt (a model's header is a few hundred bytes plus
// its provenance).
constexpr std::uint64_t kMaxHeaderBytes = 100u << 20;

std::string header_text(const TensorFile& file) {
  json header;
  header["__metadata__"] = file.metadata;
  std::uint64_t offset = 0;
  for (const NamedTensor& t : file.tensors) {
    const std::uint64_t bytes = t.values.size() * sizeof(float);
    header[t.name] = {
        {"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // the format pads the header to 8 bytes
  return text;
}

/// One tensor of the header, checked against the data section of `data_size` bytes.
NamedTensor read_tensor(const std::string& name,
                        const json& info,
                        const std::vector<char>& data,
                        const std::string& path) {
  auto fail = [&](const std::string& what) -> void {
    RBM_THROW(IoError, "'", path, "': tensor '", name, "' ", what);
  };
  if (!info.is_object()) fail("is not described by a JSON object");
  if (info.value("dtype", std::string()) != "F32")
    fail("has dtype " + info.value("dtype", std::string("?")) + ", expected F32");
  NamedTensor tensor;
  tensor.name = name;
  tensor.shape = info.at("shape").get<std::vector<std::int64_t>>();
  const auto offsets = info.at("data_offsets").get<std::vector<std::uint64_t>>();
  if (offsets.size() != 2) fail("has malformed data_offsets");
  std::uint64_t count = 1;
  for (auto extent : tensor.shape) {
    if (extent <= 0) fail("has a non-positive extent");
    count *= static_cast<std::uint64_t>(extent);
  }
  if (offsets[1] < offsets[0] || offsets[1] > data.size() || offsets[1] - offsets[0] != count * 4)
    fail("data_offsets [" + std::to_string(offsets[0]) + ", " + std::to_string(offsets[1]) +
         "] do not fit its shape or the " + std::to_string(data.size()) +
         "-byte data section (truncated file?)");
  tensor.values.resize(count);
  std::memcpy(tensor.values.data(), data.data() + offsets[0], count * 4);
  return tensor;
}

}  // namespace

const NamedTensor* TensorFile::find(const std::string& name) const {
  for (const NamedTensor& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

const NamedTensor& TensorFile::get(const std::string& path,
                                   const std::string& name,
                                   std::size_t rank) const {
  const NamedTensor* tensor = find(name);
  if (!tensor) RBM_THROW(IoError, "'", path, "': missing tensor '", name, "'");
  if (tensor->shape.size() != rank)
    RBM_THROW(IoError, "'", path, "': tensor '", name, "' has rank ", tensor->shape.size(),
              ", expected ", rank);
  return *tensor;
}

void write_tensor_file(const std::string& path, const char* what, const TensorFile& file) {
  static_assert(sizeof(float) == 4, "safetensors F32 needs 4-byte floats");
  const std::string header = header_text(file);
  write_file_atomically(path, what, [&](std::FILE* out) {
    const std::uint64_t header_size = header.size();
    unsigned char size_bytes[8];
    for (int k = 0; k < 8; ++k) size_bytes[k] = static_cast<unsigned char>(header_size >> (8 * k));
    bool ok = std::fwrite(size_bytes, 1, 8, out) == 8;
    ok = ok && std::fwrite(header.data(), 1, header.size(), out) == header.size();
    for (const NamedTensor& t : file.tensors)
      ok = ok &&
           std::fwrite(t.values.data(), sizeof(float), t.values.size(), out) == t.values.size();
    return ok;
  });
}

TensorFile read_tensor_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) RBM_THROW(IoError, "cannot open '", path, "': ", std::strerror(errno));
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
  std::string text(header_size, '\0');
  in.read(text.data(), static_cast<std::streamsize>(header_size));
  std::vector<char> data(file_size - 8 - header_size);
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  if (!in) RBM_THROW(IoError, "'", path, "': read failed");

  TensorFile file;
  try {
    const json header = json::parse(text);
    if (!header.is_object()) RBM_THROW(IoError, "'", path, "': the header is not a JSON object");
    for (const auto& [name, info] : header.items()) {
      if (name == "__metadata__")
        file.metadata = info.get<std::map<std::string, std::string>>();
      else
        file.tensors.push_back(read_tensor(name, info, data, path));
    }
  } catch (const json::exception& e) {
    RBM_THROW(IoError, "'", path, "' has a corrupt safetensors header: ", e.what());
  }
  return file;
}

}  // namespace rbm::detail

// host/cpu/cpu_backend.cpp — conditionals, free energy, reconstruction error and exact log Z on
// the CPU; training is in cpu_training.cpp, chains in cpu_chains.cpp. All follow host/backend.hpp.
#include "host/cpu/cpu_backend.hpp"

#include <algorithm>
#include <cmath>

#include "host/check.hpp"
#include "host/common/units.hpp"
#include "host/cpu/cpu_math.hpp"

// OpenBLAS names the kernel set it picked for this CPU; weak, so any other CBLAS links too.
extern "C" char* openblas_get_corename(void) __attribute__((weak));

namespace rbm::detail {
namespace cpu {

std::size_t min_rows_per_thread(int width) {
  return std::max<std::size_t>(1, kMinElementsPerThread / static_cast<std::size_t>(width));
}

const CpuData& as_cpu(const ResidentData& data) {
  const auto* cpu_data = dynamic_cast<const CpuData*>(&data);
  RBM_EXPECTS(cpu_data != nullptr, "dataset was uploaded to another backend, not the CPU");
  return *cpu_data;
}

void hidden_fields(const Model& m, const float* rows, int n_rows, float* out) {
  gemm(false, false, n_rows, m.n_hidden, m.n_visible, 1.0f, rows, m.weights.data(), 0.0f, out);
}

void visible_fields(const Model& m, const float* rows, int n_rows, float* out) {
  gemm(false, true, n_rows, m.n_visible, m.n_hidden, 1.0f, rows, m.weights.data(), 0.0f, out);
}

void run_layer(const LayerPass& pass, ThreadPool& pool) {
  const std::size_t count = static_cast<std::size_t>(pass.rows) * pass.cols;
  if (units::is_one_hot(pass.type)) {
    const bool with_off = pass.type == UnitType::potts_off;
    pool.parallel_for(
        pass.rows,
        [&](std::size_t b, std::size_t e) {
          for (std::size_t r = b; r < e; ++r) {
            const std::size_t at = r * pass.cols;
            units::one_hot_row(pass.fields + at, pass.bias, pass.cols, with_off,
                               pass.u ? pass.u[at] : 0.0f,
                               pass.samples ? pass.samples + at : nullptr);
          }
        },
        min_rows_per_thread(pass.cols));
    return;
  }
  const float scale = pass.type == UnitType::spin ? 2.0f : 1.0f;
  pool.parallel_for(
      pass.rows,
      [&](std::size_t b, std::size_t e) {
        add_bias_sigmoid(pass.fields, pass.bias, b, e, pass.cols, scale);
      },
      min_rows_per_thread(pass.cols));
  if (pass.samples)
    pool.parallel_for(
        count,
        [&](std::size_t b, std::size_t e) {
          sample_units(pass.fields, pass.u, units::off_value(pass.type), pass.samples, b, e);
        },
        kMinElementsPerThread);
  if (pass.type == UnitType::spin)
    pool.parallel_for(
        count, [&](std::size_t b, std::size_t e) { spin_means(pass.fields, b, e); },
        kMinElementsPerThread);
}

void bits_to_units(UnitType type, const float* bits, std::size_t count, float* out) {
  if (type == UnitType::spin)
    for (std::size_t e = 0; e < count; ++e) out[e] = 2.0f * bits[e] - 1.0f;
  else
    std::copy_n(bits, count, out);
}

double mean_squared_difference(const float* a, const float* b, std::size_t count) {
  double sum = 0;
  for (std::size_t e = 0; e < count; ++e) {
    const double d = static_cast<double>(a[e]) - b[e];
    sum += d * d;
  }
  return sum / static_cast<double>(count);
}

}  // namespace cpu

using namespace cpu;

namespace {

constexpr std::size_t kChunk = 1024;  // rows per inference GEMM: bounded scratch for any N

/// The rows [begin, begin + rows) of the resident data as visible unit values.
const float* data_rows(
    const Model& m, const CpuData& data, std::size_t begin, int rows, std::vector<float>& scratch) {
  const float* bits = data.values.data() + begin * m.n_visible;
  if (m.visible_type != UnitType::spin) return bits;
  scratch.resize(static_cast<std::size_t>(rows) * m.n_visible);
  bits_to_units(m.visible_type, bits, scratch.size(), scratch.data());
  return scratch.data();
}

/// p(on) of a layer from its fields (no sampling): the means, except for spin units.
void on_probabilities(
    UnitType type, float* fields, const float* bias, int rows, int cols, ThreadPool& pool) {
  if (units::is_one_hot(type)) {
    run_layer({type, rows, cols, fields, bias, nullptr, nullptr}, pool);
    return;
  }
  const float scale = type == UnitType::spin ? 2.0f : 1.0f;
  pool.parallel_for(
      rows,
      [&](std::size_t b, std::size_t e) { add_bias_sigmoid(fields, bias, b, e, cols, scale); },
      min_rows_per_thread(cols));
}

}  // namespace

CpuBackend::CpuBackend(const EngineOptions& options) : pool_(options.cpu_threads) {}

namespace {

/// ", OpenBLAS <kernels>" and, when OpenBLAS did not recognise an x86 CPU with AVX2 or AVX-512
/// and fell back to its SSE3 (Prescott) kernels — several times slower GEMMs — how to fix it.
std::string blas_description() {
  if (!openblas_get_corename) return "";
  const std::string core = openblas_get_corename();
  std::string text = ", OpenBLAS " + core;
#if defined(__x86_64__) && defined(__GNUC__)
  if (core == "Prescott" && __builtin_cpu_supports("avx2")) {
    const bool avx512 = __builtin_cpu_supports("avx512f");
    text += std::string(" kernels on an ") + (avx512 ? "AVX-512" : "AVX2") +
            " CPU: set OPENBLAS_CORETYPE=" + (avx512 ? "SkylakeX" : "Haswell") +
            " for faster GEMMs";
  }
#endif
  return text;
}

}  // namespace

std::string CpuBackend::device_name() const {
  return "cpu (" + std::to_string(pool_.size()) + " threads" + blas_description() + ")";
}

std::shared_ptr<const ResidentData> CpuBackend::upload(const Dataset& data) {
  auto resident = std::make_shared<CpuData>();
  resident->n_samples = data.n_samples;
  resident->n_visible = data.n_visible;
  resident->values.assign(data.values.begin(), data.values.end());
  resident->bit_means = column_bit_means(data);
  return resident;
}

std::shared_ptr<const ResidentData> CpuBackend::upload_device(const DataView& view) {
  RBM_THROW(InvalidArgument, "the CPU backend cannot read CUDA device memory (",
            view.name.empty() ? std::string("dataset") : "'" + view.name + "'",
            " is on cuda:", view.cuda_device,
            "): copy it to host memory first (e.g. tensor.cpu()) or use a CUDA engine");
}

std::vector<LogZResult> CpuBackend::log_z(const std::vector<EnumerationModel<double>>& models,
                                          const LogZOptions& options) {
  std::vector<LogZResult> results;
  for (std::size_t m = 0; m < models.size(); ++m) {
    LogZOptions per_model = options;
    if (options.progress) {  // report progress over all models together
      per_model.progress = [&, m](double fraction) {
        return options.progress((static_cast<double>(m) + fraction) / models.size());
      };
    }
    results.push_back(cpu_exact_log_z(models[m], per_model, pool_));
  }
  return results;
}

LogZRate CpuBackend::log_z_rate() {
  if (!log_z_rate_) log_z_rate_ = calibrate_cpu_log_z_rate(pool_);
  return *log_z_rate_;
}

std::vector<double> CpuBackend::free_energy(const Model& model, const ResidentData& data) {
  const CpuData& cpu_data = as_cpu(data);
  const int D = model.n_visible, L = model.n_hidden;
  const bool one_hot = units::is_one_hot(model.hidden_type);
  std::vector<double> energies(cpu_data.n_samples);
  std::vector<float> fields(kChunk * L), scratch;
  for (std::size_t begin = 0; begin < cpu_data.n_samples; begin += kChunk) {
    const int rows = static_cast<int>(std::min(kChunk, cpu_data.n_samples - begin));
    const float* v = data_rows(model, cpu_data, begin, rows, scratch);
    hidden_fields(model, v, rows, fields.data());
    pool_.parallel_for(
        rows,
        [&](std::size_t b, std::size_t e) {
          std::vector<double> field(L);
          for (std::size_t r = b; r < e; ++r) {
            double energy = 0;
            for (int i = 0; i < D; ++i)
              energy -= static_cast<double>(model.visible_bias[i]) * v[r * D + i];
            for (int j = 0; j < L; ++j)
              field[j] = static_cast<double>(fields[r * L + j]) + model.hidden_bias[j];
            if (one_hot) {
              energy -= units::one_hot_log_partition(field.data(), L,
                                                     model.hidden_type == UnitType::potts_off);
            } else {
              for (int j = 0; j < L; ++j)
                energy -= units::log_partition_term(model.hidden_type, field[j]);
            }
            energies[begin + r] = energy;
          }
        },
        min_rows_per_thread(D + L));
  }
  return energies;
}

double CpuBackend::reconstruction_error(const Model& model, const ResidentData& data) {
  const CpuData& cpu_data = as_cpu(data);
  const int D = model.n_visible, L = model.n_hidden;
  std::vector<float> hidden(kChunk * L), recon(kChunk * D), scratch;
  double sum = 0;
  for (std::size_t begin = 0; begin < cpu_data.n_samples; begin += kChunk) {
    const int rows = static_cast<int>(std::min(kChunk, cpu_data.n_samples - begin));
    const float* v = data_rows(model, cpu_data, begin, rows, scratch);
    hidden_fields(model, v, rows, hidden.data());
    run_layer(
        {model.hidden_type, rows, L, hidden.data(), model.hidden_bias.data(), nullptr, nullptr},
        pool_);
    visible_fields(model, hidden.data(), rows, recon.data());
    run_layer(
        {model.visible_type, rows, D, recon.data(), model.visible_bias.data(), nullptr, nullptr},
        pool_);
    sum += mean_squared_difference(v, recon.data(), static_cast<std::size_t>(rows) * D) * rows;
  }
  return sum / static_cast<double>(cpu_data.n_samples);
}

std::vector<float> CpuBackend::hidden_probabilities(const Model& model, const ResidentData& data) {
  const CpuData& cpu_data = as_cpu(data);
  const int L = model.n_hidden;
  std::vector<float> out(cpu_data.n_samples * L), scratch;
  for (std::size_t begin = 0; begin < cpu_data.n_samples; begin += kChunk) {
    const int rows = static_cast<int>(std::min(kChunk, cpu_data.n_samples - begin));
    float* fields = out.data() + begin * L;
    hidden_fields(model, data_rows(model, cpu_data, begin, rows, scratch), rows, fields);
    on_probabilities(model.hidden_type, fields, model.hidden_bias.data(), rows, L, pool_);
  }
  return out;
}

std::vector<float> CpuBackend::visible_probabilities(const Model& model,
                                                     const std::vector<float>& hidden) {
  const int rows = static_cast<int>(hidden.size() / model.n_hidden);
  std::vector<float> out(static_cast<std::size_t>(rows) * model.n_visible);
  visible_fields(model, hidden.data(), rows, out.data());
  on_probabilities(model.visible_type, out.data(), model.visible_bias.data(), rows, model.n_visible,
                   pool_);
  return out;
}

std::unique_ptr<Backend> make_cpu_backend(const EngineOptions& options) {
  return std::make_unique<CpuBackend>(options);
}

}  // namespace rbm::detail

// cuda/cuda_backend.cu — the CUDA backend: every Backend operation on the device, implementing
// the training and sampling contract of host/backend.hpp exactly as the CPU backend does. This
// file is the dispatch (device selection, error translation); the work is in training.cu,
// inference.cu, chains.cu and logz.cu.
#include <cmath>
#include <string>

#include "cuda/check.cuh"
#include "cuda/context.cuh"
#include "cuda/cuda_backend.hpp"
#include "cuda/logz.cuh"
#include "cuda/operations.cuh"

namespace rbm::cuda {

int device_count() noexcept {
  // Queried once, on first use (never from a static initializer): any error (no driver, no
  // device) means zero devices.
  static const int count = [] {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      cudaGetLastError();
      n = 0;
    }
    return n;
  }();
  return count;
}

namespace {

class CudaBackend final : public detail::Backend {
 public:
  explicit CudaBackend(const EngineOptions& options) : ctx_(options) {}

  BackendKind kind() const override { return BackendKind::cuda; }
  std::string device_name() const override {
    return "cuda:" + std::to_string(ctx_.device()) + " (" + ctx_.device_name() + ")";
  }

  std::shared_ptr<const detail::ResidentData> upload(const Dataset& data) override {
    return guarded("upload", [&] {
      auto resident = std::make_shared<CudaData>();
      resident->n_samples = data.n_samples;
      resident->n_visible = data.n_visible;
      resident->bit_means = detail::column_bit_means(data);
      resident->device = ctx_.device();
      resident->values.copy_from_host(data.values, ctx_.stream());
      resident->labels.copy_from_host(data.labels, ctx_.stream());
      ctx_.synchronize("upload");
      return std::shared_ptr<const detail::ResidentData>(std::move(resident));
    });
  }

  std::shared_ptr<const detail::ResidentData> upload_device(const DataView& view) override {
    return guarded("upload", [&] { return cuda::upload_device(ctx_, view); });
  }

  std::unique_ptr<detail::TrainingState> start_training(const detail::TrainSetup& setup,
                                                        const detail::TrainingSnapshot& initial,
                                                        const detail::ResidentData& data) override {
    return guarded("training",
                   [&] { return cuda::start_training(ctx_, setup, initial, as_cuda(data)); });
  }
  detail::EpochReport train_epoch(detail::TrainingState& state,
                                  const detail::EpochPlan& plan) override {
    return guarded("training", [&] { return cuda::train_epoch(ctx_, state, plan); });
  }
  detail::TrainingSnapshot snapshot(detail::TrainingState& state, bool epoch_start) override {
    return guarded("training", [&] { return cuda::snapshot(ctx_, state, epoch_start); });
  }
  Model cd_step(const detail::CdStepInput& input) override {
    return guarded("cd_step", [&] { return cuda::cd_step(ctx_, input); });
  }

  detail::LogZPrecision log_z_precision() const override { return detail::LogZPrecision::float32; }
  using detail::Backend::log_z;
  std::vector<LogZResult> log_z(const std::vector<detail::EnumerationModel<float>>& models,
                                const LogZOptions& options) override {
    return guarded("log_z", [&] { return exact_log_z(models, options, ctx_.stream(), logz_); });
  }
  detail::LogZRate log_z_rate() override {
    return guarded("log_z", [&] { return cuda::log_z_rate(ctx_.device()); });
  }

  std::vector<double> free_energy(const Model& model, const detail::ResidentData& data) override {
    return guarded("free_energy", [&] { return cuda::free_energy(ctx_, model, as_cuda(data)); });
  }
  double reconstruction_error(const Model& model, const detail::ResidentData& data) override {
    return guarded("reconstruction_error",
                   [&] { return cuda::reconstruction_error(ctx_, model, as_cuda(data)); });
  }
  std::vector<float> hidden_probabilities(const Model& model,
                                          const detail::ResidentData& data) override {
    return guarded("hidden_probabilities",
                   [&] { return cuda::hidden_probabilities(ctx_, model, as_cuda(data)); });
  }
  std::vector<float> visible_probabilities(const Model& model,
                                           const std::vector<float>& hidden) override {
    return guarded("visible_probabilities",
                   [&] { return cuda::visible_probabilities(ctx_, model, hidden); });
  }
  std::unique_ptr<detail::ChainState> start_chains(const detail::ChainStart& start) override {
    return guarded("chains", [&] { return cuda::start_chains(ctx_, start); });
  }
  void temper(detail::ChainState& chains, const std::vector<float>& ladder, int rounds) override {
    guarded("chains", [&] { cuda::temper(ctx_, chains, ladder, rounds); });
  }
  void anneal(detail::ChainState& chains,
              const std::vector<float>& ladder,
              bool sweep_after_last) override {
    guarded("annealing", [&] { cuda::anneal(ctx_, chains, ladder, sweep_after_last); });
  }
  detail::ChainReadout read_chains(detail::ChainState& chains) override {
    return guarded("chains", [&] { return cuda::read_chains(ctx_, chains); });
  }
  std::vector<double> chain_free_energies(detail::ChainState& chains, float beta) override {
    return guarded("chains", [&] { return cuda::chain_free_energies(ctx_, chains, beta); });
  }

 private:
  /// Runs an operation on this backend's device; CUDA failures are rethrown with the operation
  /// named, after the stream has drained. (The operation's buffers are freed while unwinding,
  /// before the drain; that is safe because cudaFree waits for the device's queued work.)
  template <typename F>
  auto guarded(const char* operation, F&& body) -> decltype(body()) {
    const std::string prefix = std::string("CUDA backend, ") + operation + ": ";
    try {
      ctx_.activate();
      return body();
    } catch (const OutOfMemory& e) {
      drain();
      throw OutOfMemory(prefix + e.what());
    } catch (const CudaError& e) {
      drain();
      throw CudaError(prefix + e.what());
    } catch (...) {
      drain();
      throw;
    }
  }
  void drain() noexcept {
    try {
      if (cudaStreamSynchronize(ctx_.stream()) != cudaSuccess) cudaGetLastError();
    } catch (...) {  // no stream could be made: nothing is queued
    }
  }

  const CudaData& as_cuda(const detail::ResidentData& data) const {
    const auto* cuda_data = dynamic_cast<const CudaData*>(&data);
    RBM_EXPECTS(cuda_data != nullptr, "dataset was uploaded to another backend, not CUDA");
    RBM_EXPECTS(cuda_data->device == ctx_.device(), "dataset was uploaded to CUDA device ",
                cuda_data->device, ", this engine runs on device ", ctx_.device());
    return *cuda_data;
  }

  Context ctx_;
  LogZResources logz_;
};

}  // namespace

std::unique_ptr<detail::Backend> make_cuda_backend(const EngineOptions& options) {
  return std::make_unique<CudaBackend>(options);
}

}  // namespace rbm::cuda

// host/cpu/cpu_backend.hpp — the CPU backend: the fallback without a GPU and the reference
// every GPU result is checked against. It implements the contract in host/backend.hpp.
#pragma once
#include <memory>

#include "host/backend.hpp"
#include "host/common/parallel.hpp"

namespace rbm::detail {

struct CpuData final : ResidentData {
  std::vector<float> values;  ///< [N][D], 0/1 as float: the operand the GEMMs read directly
};

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(const EngineOptions& options);

  BackendKind kind() const override { return BackendKind::cpu; }
  std::string device_name() const override;

  std::shared_ptr<const ResidentData> upload(const Dataset& data) override;
  void train(std::vector<Model>& models,
             const std::vector<TrainConfig>& configs,
             const ResidentData& data,
             const EpochCallback& on_epoch) override;
  Model cd_step(const CdStepInput& input) override;

  std::vector<LogZResult> log_z(const std::vector<Model>& models,
                                const LogZOptions& options) override;
  std::vector<double> free_energy(const Model& model, const ResidentData& data) override;
  double reconstruction_error(const Model& model, const ResidentData& data) override;
  std::vector<float> hidden_probabilities(const Model& model, const ResidentData& data) override;
  std::vector<float> visible_probabilities(const Model& model,
                                           const std::vector<float>& hidden) override;
  Dataset sample(const Model& model, const SampleOptions& options) override;

 private:
  ThreadPool pool_;
};

/// Exact log Z of one model on the CPU (host/cpu/cpu_logz.cpp), reporting to options.progress.
LogZResult cpu_exact_log_z(const Model& model, const LogZOptions& options, ThreadPool& pool);

}  // namespace rbm::detail

// host/cpu/cpu_backend.hpp — the CPU backend: the fallback without a GPU and the reference
// every GPU result is checked against. It implements the contract in host/backend.hpp.
#pragma once
#include <memory>
#include <optional>

#include "host/backend.hpp"
#include "host/common/parallel.hpp"

namespace rbm::detail {

struct CpuData final : ResidentData {
  std::vector<float> values;  ///< [N][D], data bits 0/1 as float: the operand GEMMs read
};

/// The fields of one layer turned into means (in place) and, optionally, samples: the units
/// of host/common/units.hpp over `rows` rows of `cols` units. `u` holds the rows' uniforms in
/// the contract's [rows][cols] layout (a one-hot row reads u[r·cols]).
struct LayerPass {
  UnitType type;
  int rows, cols;
  float* fields;      ///< [rows][cols]: GEMM output in, means out
  const float* bias;  ///< [cols]
  const float* u;     ///< uniforms or null (no sampling)
  float* samples;     ///< [rows][cols] or null
};

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(const EngineOptions& options);

  BackendKind kind() const override { return BackendKind::cpu; }
  std::string device_name() const override;

  std::shared_ptr<const ResidentData> upload(const Dataset& data) override;
  std::shared_ptr<const ResidentData> upload_device(const DataView& view) override;
  std::unique_ptr<TrainingState> start_training(const TrainSetup& setup,
                                                const TrainingSnapshot& initial,
                                                const ResidentData& data) override;
  EpochReport train_epoch(TrainingState& state, const EpochPlan& plan) override;
  TrainingSnapshot snapshot(TrainingState& state, bool epoch_start) override;
  Model cd_step(const CdStepInput& input) override;

  LogZPrecision log_z_precision() const override { return LogZPrecision::float64; }
  using Backend::log_z;
  std::vector<LogZResult> log_z(const std::vector<EnumerationModel<double>>& models,
                                const LogZOptions& options) override;
  LogZRate log_z_rate() override;
  std::vector<double> free_energy(const Model& model, const ResidentData& data) override;
  double reconstruction_error(const Model& model, const ResidentData& data) override;
  std::vector<float> hidden_probabilities(const Model& model, const ResidentData& data) override;
  std::vector<float> visible_probabilities(const Model& model,
                                           const std::vector<float>& hidden) override;
  std::unique_ptr<ChainState> start_chains(const ChainStart& start) override;
  void temper(ChainState& chains, const std::vector<float>& ladder, int rounds) override;
  void anneal(ChainState& chains, const std::vector<float>& ladder, bool sweep_after_last) override;
  ChainReadout read_chains(ChainState& chains) override;
  std::vector<double> chain_free_energies(ChainState& chains, float beta) override;

 private:
  ThreadPool pool_;
  std::optional<LogZRate> log_z_rate_;  ///< calibrated on first use
};

// Shared by the CPU backend's files (host/cpu/cpu_backend.cpp, cpu_training.cpp).
namespace cpu {
/// Below this many elements per thread a parallel_for costs more than the loop itself.
constexpr std::size_t kMinElementsPerThread = 1 << 15;
std::size_t min_rows_per_thread(int width);
const CpuData& as_cpu(const ResidentData& data);
/// Runs a layer pass (see LayerPass) on the pool.
void run_layer(const LayerPass& pass, ThreadPool& pool);
/// Fields of the hidden layer from visible rows [R][D]: rows·W into out [R][L] (no bias).
void hidden_fields(const Model& m, const float* rows, int n_rows, float* out);
/// Fields of the visible layer from hidden rows [R][L]: rows·Wᵀ into out [R][D] (no bias).
void visible_fields(const Model& m, const float* rows, int n_rows, float* out);
/// Data bits [rows][D] as the visible unit's values (spin: 2x − 1) into out.
void bits_to_units(UnitType type, const float* bits, std::size_t count, float* out);
double mean_squared_difference(const float* a, const float* b, std::size_t count);

// Chains (host/cpu/cpu_chains.cpp): the chains contract's arithmetic on one model's chains, used
// by chain sets and by the tempering negative phase of training.
/// One model's chains, updated in place, between its base-rate model and itself.
struct ChainBlock {
  const Model* model = nullptr;
  const float* base_visible = nullptr;  ///< [D]
  const float* base_hidden = nullptr;   ///< [L]
  float* x = nullptr;                   ///< [rows][D] unit values
  int rows = 0;
  const std::uint8_t* clamped = nullptr;  ///< [rows][D] or null
  std::uint64_t seed = 0;
  RandomStream stream = RandomStream::sample;  ///< of the swap uniforms (substream 2)
};
/// The biases at one β (chains::interpolated_bias), computed once per level.
struct ChainLevel {
  float beta = 1;
  std::vector<float> visible, hidden;  ///< [D], [L]
};
ChainLevel level_at(const ChainBlock& block, float beta);
std::vector<ChainLevel> levels_at(const ChainBlock& block, const std::vector<float>& ladder);
struct ChainWorkspace {
  std::vector<float> g_h, h, g_v, sampled, zeros;
};
/// F_β of one chain from its state x [D] and weight product g = xW [L], in double.
double chain_free_energy(const ChainLevel& level,
                         UnitType hidden_type,
                         const float* x,
                         const float* g);
/// ws.g_h = x·W, the start of every sweep and free energy.
void hidden_products(const ChainBlock& block, ChainWorkspace& ws);
/// A sweep from ws.g_h, row c at levels[c mod R], with u = [rows][L] then [rows][D] uniforms.
void sweep_from_products(const ChainBlock& block,
                         const std::vector<ChainLevel>& levels,
                         const float* u,
                         ChainWorkspace& ws,
                         ThreadPool& pool);
/// Tempering round `round`'s swaps on ws.g_h (exchanging rows of x and g_h), counted per level
/// pair in accepted and attempted [R − 1].
void swap_round(const ChainBlock& block,
                const std::vector<ChainLevel>& levels,
                std::uint64_t round,
                ChainWorkspace& ws,
                std::uint64_t* accepted,
                std::uint64_t* attempted);
}  // namespace cpu

/// Exact log Z' of one model on the CPU (host/cpu/cpu_logz.cpp), reporting to options.progress.
LogZResult cpu_exact_log_z(const EnumerationModel<double>& model,
                           const LogZOptions& options,
                           ThreadPool& pool);
/// The CPU's enumeration rate on `pool`, from a short run (~10 ms on 2 cores) of a fixed model.
LogZRate calibrate_cpu_log_z_rate(ThreadPool& pool);

}  // namespace rbm::detail

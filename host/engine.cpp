// host/engine.cpp — the public Engine: backend selection (the one place that decides), input
// validation, transactional training, and the device-agnostic pieces above the Backend seam.
#include "rbm/engine.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "host/backend.hpp"
#include "host/check.hpp"
#include "host/common/units.hpp"
#include "host/enumeration.hpp"
#include "host/trainer.hpp"
#ifdef RBM_WITH_CUDA
#include "cuda/cuda_backend.hpp"
#endif

namespace rbm {

const char* to_string(BackendKind kind) {
  switch (kind) {
    case BackendKind::auto_:
      return "auto";
    case BackendKind::cpu:
      return "cpu";
    case BackendKind::cuda:
      return "cuda";
  }
  return "unknown";
}

BackendKind parse_backend_kind(const std::string& text) {
  if (text == "auto") return BackendKind::auto_;
  if (text == "cpu") return BackendKind::cpu;
  if (text == "cuda") return BackendKind::cuda;
  RBM_THROW(InvalidArgument, "unknown backend '", text, "' (expected auto, cpu or cuda)");
}

bool cuda_available() {
#ifdef RBM_WITH_CUDA
  return cuda::device_count() > 0;
#else
  return false;
#endif
}

std::size_t cd_step_uniform_count(int batch_size, int n_visible, int n_hidden, int cd_steps) {
  return static_cast<std::size_t>(cd_steps) * batch_size *
         (static_cast<std::size_t>(n_visible) + n_hidden);
}

namespace {

/// Exact log Z's hard limit on the enumerated layer: state indices are 64-bit, and 2^62 states
/// would take longer than anyone waits.
constexpr int kMaxLog2States = 62;

std::unique_ptr<detail::Backend> make_backend(BackendKind kind, const EngineOptions& options) {
  if (kind == BackendKind::auto_) kind = cuda_available() ? BackendKind::cuda : BackendKind::cpu;
  if (kind == BackendKind::cpu) return detail::make_cpu_backend(options);
#ifdef RBM_WITH_CUDA
  if (cuda::device_count() == 0)
    RBM_THROW(CudaError, "backend 'cuda' requested but no usable CUDA device was found");
  return cuda::make_cuda_backend(options);
#else
  RBM_THROW(NotBuilt,
            "backend 'cuda' requested but this rbm was built without CUDA "
            "(configure with -DRBM_WITH_CUDA=ON)");
#endif
}

void expect_same_shape(const Model& model, int n_visible, const char* what) {
  RBM_EXPECTS(model.n_visible == n_visible, "model has D=", model.n_visible, " visible units but ",
              what, " has ", n_visible, " columns");
}

}  // namespace

namespace detail {
std::vector<double> column_bit_means(const Dataset& data) {
  std::vector<double> means(data.n_visible, 0.0);
  for (std::size_t n = 0; n < data.n_samples; ++n)
    for (int i = 0; i < data.n_visible; ++i) means[i] += data.at(n, i);
  for (double& mean : means) mean /= static_cast<double>(std::max<std::size_t>(data.n_samples, 1));
  return means;
}
}  // namespace detail

// ---- DataHandle ------------------------------------------------------------------------------
std::size_t DataHandle::n_samples() const {
  return resident().n_samples;
}
int DataHandle::n_visible() const {
  return resident().n_visible;
}
const detail::ResidentData& DataHandle::resident() const {
  RBM_EXPECTS(data_ != nullptr, "DataHandle is empty: call Engine::upload first");
  return *data_;
}

// ---- Engine ----------------------------------------------------------------------------------
Engine::Engine(BackendKind kind, const EngineOptions& options)
    : backend_(make_backend(kind, options)), mutex_(std::make_unique<std::recursive_mutex>()) {}
Engine::~Engine() = default;
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;

BackendKind Engine::kind() const {
  return backend_->kind();
}
std::string Engine::device_name() const {
  return backend_->device_name();
}

DataHandle Engine::upload(const Dataset& data) {
  const std::lock_guard<std::recursive_mutex> lock(*mutex_);
  data.validate();
  RBM_EXPECTS(data.n_samples > 0, "dataset '", data.name, "' is empty");
  DataHandle handle;
  handle.data_ = backend_->upload(data);
  return handle;
}

std::vector<Model> Engine::train(const std::vector<Model>& models,
                                 const std::vector<TrainConfig>& configs,
                                 const DataHandle& data,
                                 const TrainOptions& options) {
  const std::lock_guard<std::recursive_mutex> lock(*mutex_);
  RBM_EXPECTS(!models.empty(), "train: no models given");
  RBM_EXPECTS(configs.size() == 1 || configs.size() == models.size(), "train: ", configs.size(),
              " configs for ", models.size(), " models (give one, or one per model)");
  const detail::ResidentData& resident = data.resident();
  std::vector<TrainConfig> per_model(models.size(), configs.front());
  if (configs.size() == models.size()) per_model = configs;
  for (std::size_t m = 0; m < models.size(); ++m) {
    models[m].validate();
    validate(per_model[m]);
    expect_same_shape(models[m], resident.n_visible, "the dataset");
    RBM_EXPECTS(models[m].n_hidden == models.front().n_hidden, "train: model ", m,
                " has L=", models[m].n_hidden, " but model 0 has L=", models.front().n_hidden,
                " (models trained together share one shape)");
    const double largest_batch = per_model[m].batch_size.max_over(std::max(per_model[m].epochs, 1));
    RBM_EXPECTS(largest_batch <= static_cast<double>(resident.n_samples), "batch_size ",
                per_model[m].batch_size.to_string(), " exceeds the dataset's ", resident.n_samples,
                " samples");
  }
  // Transactional: the backend trains its own copies; the caller's models are never touched.
  return detail::run_training(*backend_, resident,
                              detail::initial_checkpoint(models, per_model, resident), options);
}

std::vector<Model> Engine::train(const std::vector<Model>& models,
                                 const std::vector<TrainConfig>& configs,
                                 const DataHandle& data,
                                 const EpochCallback& on_epoch) {
  TrainOptions options;
  options.on_epoch = on_epoch;
  return train(models, configs, data, options);
}

Model Engine::train(const Model& model,
                    const TrainConfig& config,
                    const DataHandle& data,
                    const EpochCallback& on_epoch) {
  return train(std::vector<Model>{model}, {config}, data, on_epoch).front();
}

std::vector<Model> Engine::resume(const TrainingCheckpoint& checkpoint,
                                  const DataHandle& data,
                                  const TrainOptions& options) {
  const std::lock_guard<std::recursive_mutex> lock(*mutex_);
  detail::validate(checkpoint);
  const detail::ResidentData& resident = data.resident();
  for (std::size_t m = 0; m < checkpoint.models.size(); ++m) {
    checkpoint.models[m].validate();
    validate(checkpoint.configs[m]);
    expect_same_shape(checkpoint.models[m], resident.n_visible, "the dataset");
  }
  return detail::run_training(*backend_, resident, checkpoint, options);
}

Model Engine::cd_step(const Model& model,
                      const std::vector<float>& batch,
                      const TrainConfig& config,
                      const std::vector<float>& uniforms) {
  const std::lock_guard<std::recursive_mutex> lock(*mutex_);
  model.validate();
  validate(config);
  RBM_EXPECTS(!batch.empty() && batch.size() % model.n_visible == 0, "cd_step: batch has ",
              batch.size(), " values, not a multiple of D = ", model.n_visible);
  for (std::size_t e = 0; e < batch.size(); ++e)
    RBM_EXPECTS(batch[e] == 0.0f || batch[e] == 1.0f, "cd_step: batch value [", e / model.n_visible,
                "][", e % model.n_visible, "] is ", batch[e], "; batches hold data bits 0 or 1");
  const int batch_size =
      detail::checked_int(batch.size() / model.n_visible, "cd_step's batch rows");
  const int cd_steps = config.cd_steps.at_int(0, config.epochs);
  const std::size_t needed =
      cd_step_uniform_count(batch_size, model.n_visible, model.n_hidden, cd_steps);
  RBM_EXPECTS(uniforms.size() == needed, "cd_step: ", uniforms.size(),
              " uniforms given, the step needs k*B*(D+L) = ", needed);
  detail::CdStepInput input;
  input.model = &model;
  input.batch = &batch;
  input.batch_size = batch_size;
  input.cd_steps = cd_steps;
  input.learning_rate = static_cast<float>(config.learning_rate.at(0, config.epochs));
  input.weight_decay = config.weight_decay;
  input.uniforms = &uniforms;
  return backend_->cd_step(input);
}

bool Engine::can_enumerate(const Model& model, const LogZOptions& options) const {
  return detail::units::is_one_hot(model.hidden_type) ||
         std::min(model.n_visible, model.n_hidden) <= options.max_log2_states;
}

LogZResult Engine::log_z(const Model& model, const LogZOptions& options) {
  return log_z(std::vector<Model>{model}, options).front();
}

std::vector<LogZResult> Engine::log_z(const std::vector<Model>& models,
                                      const LogZOptions& options) {
  const std::lock_guard<std::recursive_mutex> lock(*mutex_);
  RBM_EXPECTS(!models.empty(), "log_z: no models given");
  const Model& first = models.front();
  for (const Model& model : models) {
    model.validate();
    RBM_EXPECTS(model.n_visible == first.n_visible && model.n_hidden == first.n_hidden &&
                    model.visible_type == first.visible_type &&
                    model.hidden_type == first.hidden_type,
                "log_z: models of one call share one shape and unit types; got ", model.n_visible,
                "x", model.n_hidden, " and ", first.n_visible, "x", first.n_hidden);
  }
  std::vector<LogZResult> results;
  if (detail::units::is_one_hot(first.hidden_type)) {  // L (+1) states: no enumeration needed
    for (const Model& model : models) results.push_back(detail::one_hot_log_z(model));
    return results;
  }
  const int log2_states = std::min(first.n_visible, first.n_hidden);
  RBM_EXPECTS(options.max_log2_states <= kMaxLog2States, "LogZOptions::max_log2_states is ",
              options.max_log2_states, "; exact log Z enumerates at most 2^", kMaxLog2States,
              " states (2^64 would not even fit the state counter)");
  RBM_EXPECTS(log2_states <= options.max_log2_states, "exact log Z of a ", first.n_visible, "x",
              first.n_hidden, " model needs 2^", log2_states, " = ", std::ldexp(1.0, log2_states),
              " states x ", std::max(first.n_visible, first.n_hidden), " units; the limit is 2^",
              options.max_log2_states,
              " states (raise LogZOptions::max_log2_states / --max-log2-states)");
  std::vector<detail::EnumerationModel> reduced;
  for (const Model& model : models) reduced.push_back(detail::enumeration_model(model));
  return backend_->log_z(reduced, options);
}

std::vector<double> Engine::free_energy(const Model& model, const DataHandle& data) {
  const std::lock_guard<std::recursive_mutex> lock(*mutex_);
  model.validate();
  expect_same_shape(model, data.n_visible(), "the dataset");
  return backend_->free_energy(model, data.resident());
}

double Engine::mean_log_likelihood(const Model& model, const DataHandle& data, double log_z) {
  RBM_EXPECTS(std::isfinite(log_z), "mean_log_likelihood: log_z is ", log_z);
  const std::vector<double> energies = free_energy(model, data);
  const double mean_free_energy =
      std::accumulate(energies.begin(), energies.end(), 0.0) / static_cast<double>(energies.size());
  return -mean_free_energy - log_z;
}

double Engine::reconstruction_error(const Model& model, const DataHandle& data) {
  const std::lock_guard<std::recursive_mutex> lock(*mutex_);
  model.validate();
  expect_same_shape(model, data.n_visible(), "the dataset");
  return backend_->reconstruction_error(model, data.resident());
}

std::vector<float> Engine::hidden_probabilities(const Model& model, const DataHandle& data) {
  const std::lock_guard<std::recursive_mutex> lock(*mutex_);
  model.validate();
  expect_same_shape(model, data.n_visible(), "the dataset");
  return backend_->hidden_probabilities(model, data.resident());
}

std::vector<float> Engine::visible_probabilities(const Model& model,
                                                 const std::vector<float>& hidden) {
  const std::lock_guard<std::recursive_mutex> lock(*mutex_);
  model.validate();
  RBM_EXPECTS(hidden.size() % model.n_hidden == 0, "visible_probabilities: ", hidden.size(),
              " hidden values is not a multiple of L = ", model.n_hidden);
  return backend_->visible_probabilities(model, hidden);
}

}  // namespace rbm

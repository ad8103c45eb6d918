// host/engine.cpp — the public Engine: backend selection (the one place that decides), input
// validation, transactional training, and the device-agnostic pieces above the Backend seam.
#include "rbm/engine.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>

#include "host/backend.hpp"
#include "host/check.hpp"
#include "host/common/units.hpp"
#include "host/data/data_view.hpp"
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
/// Pairs per second below every backend's rate: an enumeration this slow rate would finish
/// within its time budget needs no rate (and no CPU calibration) to be allowed.
constexpr double kSlowestLogZRate = 1e8;

/// A count or a rate for people: three significant digits.
std::string rounded(double value, const char* unit = "") {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.3g%s", value, unit);
  return buffer;
}

std::string duration_text(double seconds) {
  if (seconds < 120) return rounded(seconds, " s");
  if (seconds < 7200) return rounded(seconds / 60, " min");
  if (seconds < 2 * 86400) return rounded(seconds / 3600, " h");
  return rounded(seconds / 86400, " days");
}

/// The estimate and the check of Engine::log_z_estimate; the rate is asked for only when the
/// answer depends on it (or `always_rate`).
LogZEstimate estimate_log_z(detail::Backend& backend,
                            const Model& model,
                            const LogZOptions& options,
                            std::size_t n_models,
                            bool always_rate) {
  RBM_EXPECTS(!options.max_log2_states || *options.max_log2_states <= kMaxLog2States,
              "LogZOptions::max_log2_states is ", options.max_log2_states.value_or(0),
              "; exact log Z enumerates at most 2^", kMaxLog2States,
              " states (2^64 would not even fit the state counter)");
  RBM_EXPECTS(!options.max_seconds || *options.max_seconds > 0, "LogZOptions::max_seconds is ",
              options.max_seconds.value_or(0), "; a time budget must be > 0 seconds");
  const int D = model.n_visible, L = model.n_hidden;
  const bool one_hot = detail::units::is_one_hot(model.hidden_type);
  const double n = static_cast<double>(n_models);
  LogZEstimate e;
  if (one_hot) {
    e.states = L + (model.hidden_type == UnitType::potts_off ? 1 : 0);
    e.log2_states = std::log2(e.states);
    e.pairs = n * e.states * D;
  } else {
    e.log2_states = std::min(D, L);
    e.states = std::ldexp(1.0, std::min(D, L));
    e.pairs = n * e.states * std::max(D, L);
  }
  const double budget = options.max_seconds       ? *options.max_seconds
                        : options.max_log2_states ? INFINITY
                                                  : kDefaultLogZSeconds;
  const bool rate_matters = !one_hot && e.pairs > budget * kSlowestLogZRate;
  if (always_rate || rate_matters) {
    const detail::LogZRate rate = backend.log_z_rate();
    e.pairs_per_second = rate.pairs_per_second;
    e.rate_source = rate.source;
    e.seconds = e.pairs / rate.pairs_per_second;
  }
  if (one_hot) return e;  // L (+1) states: always affordable
  const std::string what =
      detail::concat("exact log Z of ", n_models == 1 ? "a " : std::to_string(n_models) + " ", D,
                     "x", L, n_models == 1 ? " model" : " models", " needs 2^", e.log2_states,
                     " = ", rounded(e.states), " states x ", std::max(D, L), " units");
  if (e.log2_states > kMaxLog2States) {
    e.refusal =
        detail::concat(what, "; exact log Z enumerates at most 2^", kMaxLog2States, " states");
  } else if (options.max_log2_states && e.log2_states > *options.max_log2_states) {
    e.refusal = detail::concat(what, "; the limit is 2^", *options.max_log2_states,
                               " states (raise LogZOptions::max_log2_states / --max-log2-states)");
  } else if (rate_matters && e.seconds > budget) {
    e.refusal =
        detail::concat(what, " (", rounded(e.pairs), " pairs): about ", duration_text(e.seconds),
                       " at this backend's ", rounded(e.pairs_per_second), " pairs/s (",
                       e.rate_source, "); the time limit is ", duration_text(budget),
                       " (raise LogZOptions::max_seconds / --max-seconds, or give a "
                       "state limit instead: LogZOptions::max_log2_states / --max-log2-states ",
                       e.log2_states, ")");
  }
  e.allowed = e.refusal.empty();
  return e;
}

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
std::vector<LogZResult> Backend::log_z(const std::vector<EnumerationModel<double>>&,
                                       const LogZOptions&) {
  RBM_THROW(Error, device_name(), " does not enumerate log Z in float64");
}
std::vector<LogZResult> Backend::log_z(const std::vector<EnumerationModel<float>>&,
                                       const LogZOptions&) {
  RBM_THROW(Error, device_name(), " does not enumerate log Z in float32");
}

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

DataHandle Engine::upload(const DataView& view) {
  if (view.cuda_device < 0) return upload(dataset_from(view));
  const std::lock_guard<std::recursive_mutex> lock(*mutex_);
  detail::check_view_shape(view);
  DataHandle handle;
  handle.data_ = backend_->upload_device(view);
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
  const std::lock_guard<std::recursive_mutex> lock(*mutex_);
  model.validate();
  return estimate_log_z(*backend_, model, options, 1, false).allowed;
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
  const LogZEstimate check = estimate_log_z(*backend_, first, options, models.size(), false);
  if (!check.allowed) throw InvalidArgument(check.refusal);
  // Reduced in double once; a float32 backend gets each value rounded once, and every backend
  // returns the raw sum, to which the reduction's constant is added here.
  std::vector<detail::ReducedModel> reduced;
  for (const Model& model : models) reduced.push_back(detail::reduce_for_enumeration(model));
  if (backend_->log_z_precision() == detail::LogZPrecision::float64) {
    std::vector<detail::EnumerationModel<double>> layers;
    for (detail::ReducedModel& r : reduced) layers.push_back(std::move(r.layers));
    results = backend_->log_z(layers, options);
  } else {
    std::vector<detail::EnumerationModel<float>> layers;
    for (const detail::ReducedModel& r : reduced)
      layers.push_back(detail::rounded_to_float(r.layers));
    results = backend_->log_z(layers, options);
  }
  for (std::size_t m = 0; m < results.size(); ++m) {
    results[m].log_z += reduced[m].log_offset;
    results[m].enumerated_hidden = reduced[m].enumerated_hidden;
  }
  return results;
}

LogZEstimate Engine::log_z_estimate(const Model& model,
                                    const LogZOptions& options,
                                    std::size_t n_models) {
  const std::lock_guard<std::recursive_mutex> lock(*mutex_);
  model.validate();
  RBM_EXPECTS(n_models >= 1, "log_z_estimate: n_models must be >= 1");
  return estimate_log_z(*backend_, model, options, n_models, true);
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

// host/c_api.cpp — the C API (include/rbm/rbm.h) over the C++ API. Handles are structs holding
// the C++ values; every function runs its body through `guarded`, which turns any exception
// into a status code and this thread's last-error message, so nothing crosses into C.
#include <atomic>
#include <cmath>
#include <cstdint>
#include <memory>
#include <mutex>
#include <new>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "host/check.hpp"
#include "rbm/rbm.h"
#include "rbm/rbm.hpp"
#include "rbm/run_config.hpp"

struct rbm_engine {
  rbm::Engine engine;
  std::uint64_t id;  ///< never reused in a process: keys the uploads a data handle holds
  std::string device_name;
};

struct rbm_data {
  rbm::Dataset dataset;
  mutable std::mutex mutex;  ///< guards `uploads` (uploads may run from several threads)
  mutable std::vector<std::pair<std::uint64_t, rbm::DataHandle>> uploads;  ///< by engine id
};

struct rbm_model {
  rbm::Model model;
};

struct rbm_model_list {
  std::vector<rbm::Model> models;
};

namespace {

using rbm::detail::concat;

thread_local std::string t_last_error;
thread_local bool t_last_error_lost = false;  ///< recording the message itself ran out of memory
std::atomic<std::uint64_t> g_next_engine_id{1};

int fail(int status, const char* function, const char* what) noexcept {
  try {
    t_last_error.assign(function).append(": ").append(what);
    t_last_error_lost = false;
  } catch (...) {
    t_last_error_lost = true;
  }
  return status;
}

/// Runs `body`; RBM_OK, or the status matching the exception it threw (rbm/error.hpp's classes;
/// Interrupted is a Cancelled) with its message recorded for rbm_last_error.
template <typename Body>
int guarded(const char* function, Body&& body) noexcept {
  try {
    body();
    return RBM_OK;
  } catch (const rbm::Diverged& e) {
    return fail(RBM_ERR_DIVERGED, function, e.what());
  } catch (const rbm::InvalidArgument& e) {
    return fail(RBM_ERR_INVALID_ARGUMENT, function, e.what());
  } catch (const rbm::IoError& e) {
    return fail(RBM_ERR_IO, function, e.what());
  } catch (const rbm::CudaError& e) {
    return fail(RBM_ERR_CUDA, function, e.what());
  } catch (const rbm::OutOfMemory& e) {
    return fail(RBM_ERR_OUT_OF_MEMORY, function, e.what());
  } catch (const rbm::NotBuilt& e) {
    return fail(RBM_ERR_NOT_BUILT, function, e.what());
  } catch (const rbm::Cancelled& e) {
    return fail(RBM_ERR_CANCELLED, function, e.what());
  } catch (const std::bad_alloc&) {
    return fail(RBM_ERR_OUT_OF_MEMORY, function, "out of host memory");
  } catch (const std::exception& e) {
    return fail(RBM_ERR_INTERNAL, function, e.what());
  } catch (...) {
    return fail(RBM_ERR_INTERNAL, function, "unknown exception");
  }
}

/// `*pointer`, or InvalidArgument naming the argument.
template <typename T>
T& deref(T* pointer, const char* name) {
  RBM_EXPECTS(pointer != nullptr, name, " is NULL");
  return *pointer;
}

/// `pointer`, or InvalidArgument naming the argument.
template <typename T>
T* not_null(T* pointer, const char* name) {
  RBM_EXPECTS(pointer != nullptr, name, " is NULL");
  return pointer;
}

/// An output handle: checked, set to NULL until the call succeeds.
template <typename T>
T*& output(T** out, const char* name) {
  RBM_EXPECTS(out != nullptr, name, " (the output) is NULL");
  *out = nullptr;
  return *out;
}

void expect_size(std::size_t given, std::size_t needed, const char* name, const std::string& what) {
  RBM_EXPECTS(given == needed, name, " is ", given, ", expected ", what, " = ", needed);
}

std::size_t product(std::size_t a, std::size_t b, const char* what) {
  RBM_EXPECTS(b == 0 || a <= SIZE_MAX / b, what, " = ", a, "*", b, " does not fit in size_t");
  return a * b;
}

std::size_t count(int n) {
  return static_cast<std::size_t>(n);
}

/// The copy of `data` on `engine` (rbm_engine_upload made it), or InvalidArgument.
rbm::DataHandle resident_on(const rbm_data& data, const rbm_engine& engine) {
  const std::lock_guard<std::mutex> lock(data.mutex);
  for (const auto& [id, handle] : data.uploads)
    if (id == engine.id) return handle;
  RBM_THROW(rbm::InvalidArgument, "data ('", data.dataset.name,
            "') is not uploaded to this engine: call rbm_engine_upload(engine, data) first");
}

/// A dataset from a caller's N×D buffer of 0/1 values (uint8 or float).
template <typename Value>
std::unique_ptr<rbm_data> data_from(std::size_t n_samples,
                                    int n_visible,
                                    const Value* values,
                                    std::size_t n_values) {
  RBM_EXPECTS(n_samples >= 1, "n_samples is 0; a dataset needs at least one sample");
  RBM_EXPECTS(n_visible >= 1, "n_visible is ", n_visible, "; it must be >= 1");
  expect_size(n_values, product(n_samples, count(n_visible), "n_samples*n_visible"), "n_values",
              concat("n_samples*n_visible = ", n_samples, "*", n_visible));
  auto data = std::make_unique<rbm_data>();
  data->dataset.n_samples = n_samples;
  data->dataset.n_visible = n_visible;
  data->dataset.values.resize(n_values);
  for (std::size_t e = 0; e < n_values; ++e) {
    RBM_EXPECTS(values[e] == Value(0) || values[e] == Value(1), "values[", e, "] (row ",
                e / count(n_visible), ", column ", e % count(n_visible), ") is ", +values[e],
                "; data values are 0 or 1");
    data->dataset.values[e] = values[e] == Value(1) ? 1 : 0;
  }
  return data;
}

void expect_not_uploaded(const rbm_data& data) {
  const std::lock_guard<std::mutex> lock(data.mutex);
  RBM_EXPECTS(data.uploads.empty(),
              "data is already uploaded to an engine; set labels and image shape before "
              "rbm_engine_upload");
}

std::unique_ptr<rbm_model_list> make_list(std::vector<rbm::Model> models) {
  auto list = std::make_unique<rbm_model_list>();
  list->models = std::move(models);
  return list;
}

// ---- training --------------------------------------------------------------------------------

/// The data a training call uses: the caller's (uploaded to the engine) or the spec's, with
/// label units appended when the run asks for them.
struct TrainingData {
  rbm::Dataset loaded;       ///< the config's "data" spec, when the caller passed no data
  rbm::Dataset with_labels;  ///< the pixels with label units (labels_as_visible)
  const rbm::Dataset* pixels = nullptr;   ///< the data as given or loaded
  const rbm::Dataset* visible = nullptr;  ///< what the models train on
  rbm::DataHandle resident;               ///< `visible` on the engine
};

/// Fills `out` from `data`, or loads and uploads run.data; run.data ends up naming the data.
void resolve_data(rbm_engine& engine,
                  const rbm_data* data,
                  rbm::RunConfig& run,
                  TrainingData& out) {
  if (data != nullptr) {
    RBM_EXPECTS(run.data.empty() || run.data == data->dataset.name, "config_json's \"data\" is '",
                run.data, "' but data holds '", data->dataset.name,
                "' (leave the key out, or pass data = NULL to load the spec)");
    out.pixels = &data->dataset;
    out.resident = resident_on(*data, engine);
    run.data = data->dataset.name;
  } else {
    RBM_EXPECTS(!run.data.empty(), "data is NULL and config_json names no \"data\" spec");
    out.loaded = rbm::load_dataset(run.data);
    out.pixels = &out.loaded;
  }
  out.visible = out.pixels;
  const std::vector<int> classes = rbm::run_label_classes(run, *out.pixels);
  if (!classes.empty()) {
    out.with_labels = rbm::with_label_units(*out.pixels, classes);
    out.visible = &out.with_labels;
    out.resident = engine.engine.upload(out.with_labels);
  } else if (data == nullptr) {
    out.resident = engine.engine.upload(out.loaded);
  }
}

rbm::TrainOptions epoch_options(rbm_epoch_callback on_epoch, void* user_data) {
  rbm::TrainOptions options;
  if (on_epoch == nullptr) return options;
  options.on_epoch = [on_epoch, user_data](const std::vector<rbm::EpochMetrics>& metrics) {
    std::vector<rbm_epoch_metrics> c_metrics;
    for (const rbm::EpochMetrics& m : metrics)
      c_metrics.push_back({m.model, m.epoch, m.reconstruction_error, m.seconds, m.batch_size,
                           m.cd_steps, m.learning_rate, m.momentum, m.diverged ? 1 : 0});
    return on_epoch(c_metrics.data(), c_metrics.size(), user_data) == 0;
  };
  return options;
}

/// Trains `initial` with the run's per-model configs and hands out the models, stamped with the
/// run's provenance; on Diverged, the last healthy models before rethrowing.
void train_run(rbm_engine& engine,
               const rbm::RunConfig& run,
               const TrainingData& data,
               const std::vector<rbm::Model>& initial,
               rbm_epoch_callback on_epoch,
               void* user_data,
               rbm_model_list_t*& out) {
  const auto stamped = [&](std::vector<rbm::Model> models) {
    for (std::size_t m = 0; m < models.size(); ++m)
      models[m].provenance = rbm::run_provenance(run, m, *data.pixels, engine.engine);
    return make_list(std::move(models)).release();
  };
  try {
    out = stamped(engine.engine.train(initial, rbm::model_configs(run), data.resident,
                                      epoch_options(on_epoch, user_data)));
  } catch (const rbm::Diverged& e) {
    out = stamped(e.last_good);
    throw;
  }
}

}  // namespace

// ---- status, version -------------------------------------------------------------------------

extern "C" {

const char* rbm_last_error(void) {
  return t_last_error_lost ? "rbm: out of memory while recording an error message"
                           : t_last_error.c_str();
}

const char* rbm_status_name(int status) {
  switch (status) {
    case RBM_OK:
      return "RBM_OK";
    case RBM_ERR_INVALID_ARGUMENT:
      return "RBM_ERR_INVALID_ARGUMENT";
    case RBM_ERR_IO:
      return "RBM_ERR_IO";
    case RBM_ERR_CUDA:
      return "RBM_ERR_CUDA";
    case RBM_ERR_OUT_OF_MEMORY:
      return "RBM_ERR_OUT_OF_MEMORY";
    case RBM_ERR_NOT_BUILT:
      return "RBM_ERR_NOT_BUILT";
    case RBM_ERR_CANCELLED:
      return "RBM_ERR_CANCELLED";
    case RBM_ERR_DIVERGED:
      return "RBM_ERR_DIVERGED";
    case RBM_ERR_INTERNAL:
      return "RBM_ERR_INTERNAL";
    default:
      return "unknown";
  }
}

const char* rbm_version(void) {
  return rbm::version();
}

// ---- engines ---------------------------------------------------------------------------------

int rbm_cuda_available(void) {
  return rbm::cuda_available() ? 1 : 0;
}

int rbm_engine_create(const char* backend, int cpu_threads, int cuda_device, rbm_engine_t** out) {
  return guarded(__func__, [&] {
    rbm_engine_t*& engine = output(out, "engine");
    const rbm::BackendKind kind = rbm::parse_backend_kind(not_null(backend, "backend"));
    RBM_EXPECTS(cpu_threads >= 0, "cpu_threads is ", cpu_threads, " (0 = all hardware threads)");
    RBM_EXPECTS(cuda_device >= 0, "cuda_device is ", cuda_device, "; devices count from 0");
    rbm::EngineOptions options;
    options.cpu_threads = cpu_threads;
    options.cuda_device = cuda_device;
    rbm::Engine made(kind, options);
    std::string name = made.device_name();
    engine = new rbm_engine{std::move(made), g_next_engine_id++, std::move(name)};
  });
}

void rbm_engine_free(rbm_engine_t* engine) {
  delete engine;
}

int rbm_engine_kind(const rbm_engine_t* engine, const char** kind) {
  return guarded(__func__, [&] {
    deref(kind, "kind") = rbm::to_string(deref(engine, "engine").engine.kind());
  });
}

int rbm_engine_device_name(const rbm_engine_t* engine, const char** name) {
  return guarded(__func__,
                 [&] { deref(name, "name") = deref(engine, "engine").device_name.c_str(); });
}

int rbm_engine_upload(rbm_engine_t* engine, rbm_data_t* data) {
  return guarded(__func__, [&] {
    rbm_engine& e = deref(engine, "engine");
    rbm_data& d = deref(data, "data");
    {
      const std::lock_guard<std::mutex> lock(d.mutex);
      for (const auto& upload : d.uploads)
        if (upload.first == e.id) return;
    }
    // Uploaded without holding d.mutex: an epoch callback of a training on this engine, which
    // holds the engine, may look up d's uploads meanwhile.
    rbm::DataHandle handle = e.engine.upload(d.dataset);
    const std::lock_guard<std::mutex> lock(d.mutex);
    for (const auto& upload : d.uploads)
      if (upload.first == e.id) return;  // another thread was quicker
    d.uploads.emplace_back(e.id, std::move(handle));
  });
}

// ---- datasets --------------------------------------------------------------------------------

int rbm_data_from_uint8(std::size_t n_samples,
                        int n_visible,
                        const std::uint8_t* values,
                        std::size_t n_values,
                        rbm_data_t** out) {
  return guarded(__func__, [&] {
    rbm_data_t*& result = output(out, "data");
    result = data_from(n_samples, n_visible, not_null(values, "values"), n_values).release();
  });
}

int rbm_data_from_float(std::size_t n_samples,
                        int n_visible,
                        const float* values,
                        std::size_t n_values,
                        rbm_data_t** out) {
  return guarded(__func__, [&] {
    rbm_data_t*& result = output(out, "data");
    result = data_from(n_samples, n_visible, not_null(values, "values"), n_values).release();
  });
}

int rbm_data_from_spec(const char* spec, rbm_data_t** out) {
  return guarded(__func__, [&] {
    rbm_data_t*& result = output(out, "data");
    auto data = std::make_unique<rbm_data>();
    data->dataset = rbm::load_dataset(not_null(spec, "spec"));
    result = data.release();
  });
}

void rbm_data_free(rbm_data_t* data) {
  delete data;
}

int rbm_data_set_labels(rbm_data_t* data, const std::int32_t* labels, std::size_t n_labels) {
  return guarded(__func__, [&] {
    rbm_data& d = deref(data, "data");
    not_null(labels, "labels");
    expect_size(n_labels, d.dataset.n_samples, "n_labels", "n_samples");
    expect_not_uploaded(d);
    d.dataset.labels.assign(labels, labels + n_labels);
  });
}

int rbm_data_set_image_shape(rbm_data_t* data, int height, int width) {
  return guarded(__func__, [&] {
    rbm_data& d = deref(data, "data");
    const bool none = height == 0 && width == 0;
    RBM_EXPECTS(none || (height > 0 && width > 0 &&
                         static_cast<long long>(height) * width == d.dataset.n_visible),
                "image shape ", height, "x", width,
                " does not hold the data's D = ", d.dataset.n_visible,
                " values (0x0 = not images)");
    expect_not_uploaded(d);
    d.dataset.image_height = height;
    d.dataset.image_width = width;
  });
}

int rbm_data_shape(const rbm_data_t* data, std::size_t* n_samples, int* n_visible) {
  return guarded(__func__, [&] {
    const rbm::Dataset& d = deref(data, "data").dataset;
    if (n_samples) *n_samples = d.n_samples;
    if (n_visible) *n_visible = d.n_visible;
  });
}

int rbm_data_image_shape(const rbm_data_t* data, int* height, int* width) {
  return guarded(__func__, [&] {
    const rbm::Dataset& d = deref(data, "data").dataset;
    if (height) *height = d.image_height;
    if (width) *width = d.image_width;
  });
}

int rbm_data_n_labels(const rbm_data_t* data, std::size_t* n_labels) {
  return guarded(__func__,
                 [&] { deref(n_labels, "n_labels") = deref(data, "data").dataset.labels.size(); });
}

int rbm_data_copy_values(const rbm_data_t* data, std::uint8_t* values, std::size_t n_values) {
  return guarded(__func__, [&] {
    const rbm::Dataset& d = deref(data, "data").dataset;
    not_null(values, "values");
    expect_size(n_values, d.values.size(), "n_values",
                concat("n_samples*n_visible = ", d.n_samples, "*", d.n_visible));
    std::copy(d.values.begin(), d.values.end(), values);
  });
}

int rbm_data_copy_labels(const rbm_data_t* data, std::int32_t* labels, std::size_t n_labels) {
  return guarded(__func__, [&] {
    const rbm::Dataset& d = deref(data, "data").dataset;
    not_null(labels, "labels");
    RBM_EXPECTS(!d.labels.empty(), "data ('", d.name, "') has no labels");
    expect_size(n_labels, d.labels.size(), "n_labels", "n_samples");
    std::copy(d.labels.begin(), d.labels.end(), labels);
  });
}

// ---- models ----------------------------------------------------------------------------------

int rbm_model_zeros(int n_visible, int n_hidden, rbm_model_t** out) {
  return guarded(__func__, [&] {
    rbm_model_t*& model = output(out, "model");
    model = new rbm_model{rbm::Model::zeros(n_visible, n_hidden)};
  });
}

int rbm_model_init(const rbm_data_t* data,
                   int n_hidden,
                   const char* config_json,
                   rbm_model_t** out) {
  return guarded(__func__, [&] {
    rbm_model_t*& model = output(out, "model");
    const rbm::Dataset& d = deref(data, "data").dataset;
    RBM_EXPECTS(n_hidden >= 1, "n_hidden is ", n_hidden, "; it must be >= 1");
    const rbm::TrainConfig config =
        config_json ? rbm::train_config_from_json(config_json) : rbm::TrainConfig{};
    model = new rbm_model{rbm::init_model(d, n_hidden, config)};
  });
}

int rbm_model_copy(const rbm_model_t* model, rbm_model_t** out) {
  return guarded(__func__, [&] {
    rbm_model_t*& copy = output(out, "copy");
    copy = new rbm_model{deref(model, "model").model};
  });
}

void rbm_model_free(rbm_model_t* model) {
  delete model;
}

int rbm_model_shape(const rbm_model_t* model, int* n_visible, int* n_hidden) {
  return guarded(__func__, [&] {
    const rbm::Model& m = deref(model, "model").model;
    if (n_visible) *n_visible = m.n_visible;
    if (n_hidden) *n_hidden = m.n_hidden;
  });
}

int rbm_model_unit_types(const rbm_model_t* model,
                         const char** visible_type,
                         const char** hidden_type) {
  return guarded(__func__, [&] {
    const rbm::Model& m = deref(model, "model").model;
    if (visible_type) *visible_type = rbm::to_string(m.visible_type);
    if (hidden_type) *hidden_type = rbm::to_string(m.hidden_type);
  });
}

int rbm_model_set_unit_types(rbm_model_t* model,
                             const char* visible_type,
                             const char* hidden_type) {
  return guarded(__func__, [&] {
    rbm::Model& m = deref(model, "model").model;
    const rbm::UnitType visible =
        visible_type ? rbm::parse_unit_type(visible_type) : m.visible_type;
    const rbm::UnitType hidden = hidden_type ? rbm::parse_unit_type(hidden_type) : m.hidden_type;
    RBM_EXPECTS(visible == rbm::UnitType::bernoulli || visible == rbm::UnitType::spin,
                "visible_type '", rbm::to_string(visible),
                "': visible units are bernoulli or spin (one-hot units only in the hidden layer)");
    m.visible_type = visible;
    m.hidden_type = hidden;
  });
}

int rbm_model_get_parameters(const rbm_model_t* model,
                             float* weights,
                             std::size_t n_weights,
                             float* visible_bias,
                             std::size_t n_visible_bias,
                             float* hidden_bias,
                             std::size_t n_hidden_bias) {
  return guarded(__func__, [&] {
    const rbm::Model& m = deref(model, "model").model;
    const std::string shape = concat(m.n_visible, "*", m.n_hidden);
    if (weights) expect_size(n_weights, m.weights.size(), "n_weights", "D*L = " + shape);
    if (visible_bias) expect_size(n_visible_bias, m.visible_bias.size(), "n_visible_bias", "D");
    if (hidden_bias) expect_size(n_hidden_bias, m.hidden_bias.size(), "n_hidden_bias", "L");
    if (weights) std::copy(m.weights.begin(), m.weights.end(), weights);
    if (visible_bias) std::copy(m.visible_bias.begin(), m.visible_bias.end(), visible_bias);
    if (hidden_bias) std::copy(m.hidden_bias.begin(), m.hidden_bias.end(), hidden_bias);
  });
}

int rbm_model_set_parameters(rbm_model_t* model,
                             const float* weights,
                             std::size_t n_weights,
                             const float* visible_bias,
                             std::size_t n_visible_bias,
                             const float* hidden_bias,
                             std::size_t n_hidden_bias) {
  return guarded(__func__, [&] {
    rbm::Model& m = deref(model, "model").model;
    struct Input {
      const float* values;
      std::size_t size;
      std::vector<float>* target;
      const char* name;
      const char* size_name;
      std::string needed;
    };
    const Input inputs[] = {
        {weights, n_weights, &m.weights, "weights", "n_weights",
         concat("D*L = ", m.n_visible, "*", m.n_hidden)},
        {visible_bias, n_visible_bias, &m.visible_bias, "visible_bias", "n_visible_bias", "D"},
        {hidden_bias, n_hidden_bias, &m.hidden_bias, "hidden_bias", "n_hidden_bias", "L"}};
    for (const Input& in : inputs) {  // everything checked before anything changes
      if (!in.values) continue;
      expect_size(in.size, in.target->size(), in.size_name, in.needed);
      for (std::size_t k = 0; k < in.size; ++k)
        RBM_EXPECTS(std::isfinite(in.values[k]), in.name, "[", k, "] is ", in.values[k],
                    " (parameters must be finite)");
    }
    for (const Input& in : inputs)
      if (in.values) in.target->assign(in.values, in.values + in.size);
  });
}

int rbm_model_provenance(const rbm_model_t* model, const char** json) {
  return guarded(__func__,
                 [&] { deref(json, "json") = deref(model, "model").model.provenance.c_str(); });
}

int rbm_model_validate(const rbm_model_t* model) {
  return guarded(__func__, [&] { deref(model, "model").model.validate(); });
}

int rbm_model_save(const rbm_model_t* model, const char* path) {
  return guarded(__func__,
                 [&] { rbm::save_model(not_null(path, "path"), deref(model, "model").model); });
}

int rbm_model_load(const char* path, rbm_model_t** out) {
  return guarded(__func__, [&] {
    rbm_model_t*& model = output(out, "model");
    model = new rbm_model{rbm::load_model(not_null(path, "path"))};
  });
}

// ---- lists of models -------------------------------------------------------------------------

int rbm_model_list_create(rbm_model_list_t** out) {
  return guarded(__func__, [&] { output(out, "list") = new rbm_model_list{}; });
}

void rbm_model_list_free(rbm_model_list_t* list) {
  delete list;
}

int rbm_model_list_size(const rbm_model_list_t* list, std::size_t* size) {
  return guarded(__func__, [&] { deref(size, "size") = deref(list, "list").models.size(); });
}

int rbm_model_list_get(const rbm_model_list_t* list, std::size_t index, rbm_model_t** out) {
  return guarded(__func__, [&] {
    rbm_model_t*& model = output(out, "model");
    const std::vector<rbm::Model>& models = deref(list, "list").models;
    RBM_EXPECTS(index < models.size(), "index ", index, " is out of range: the list holds ",
                models.size(), " model(s)");
    model = new rbm_model{models[index]};
  });
}

int rbm_model_list_append(rbm_model_list_t* list, const rbm_model_t* model) {
  return guarded(__func__, [&] {
    const rbm::Model& m = deref(model, "model").model;
    deref(list, "list").models.push_back(m);
  });
}

int rbm_model_list_save(const rbm_model_list_t* list, const char* path) {
  return guarded(__func__,
                 [&] { rbm::save_models(not_null(path, "path"), deref(list, "list").models); });
}

int rbm_model_list_load(const char* path, rbm_model_list_t** out) {
  return guarded(__func__, [&] {
    rbm_model_list_t*& list = output(out, "list");
    list = make_list(rbm::load_models(not_null(path, "path"))).release();
  });
}

// ---- training --------------------------------------------------------------------------------

int rbm_train(rbm_engine_t* engine,
              const rbm_data_t* data,
              const char* config_json,
              rbm_epoch_callback on_epoch,
              void* user_data,
              rbm_model_list_t** out) {
  return guarded(__func__, [&] {
    rbm_model_list_t*& models = output(out, "models");
    rbm_engine& e = deref(engine, "engine");
    rbm::RunConfig run = rbm::run_config_from_json(not_null(config_json, "config_json"));
    rbm::validate(run);
    TrainingData training;
    resolve_data(e, data, run, training);
    train_run(e, run, training, rbm::init_models(*training.visible, run), on_epoch, user_data,
              models);
  });
}

int rbm_train_models(rbm_engine_t* engine,
                     const rbm_data_t* data,
                     const rbm_model_list_t* initial,
                     const char* config_json,
                     rbm_epoch_callback on_epoch,
                     void* user_data,
                     rbm_model_list_t** out) {
  return guarded(__func__, [&] {
    rbm_model_list_t*& models = output(out, "models");
    rbm_engine& e = deref(engine, "engine");
    const std::vector<rbm::Model>& start = deref(initial, "initial").models;
    RBM_EXPECTS(!start.empty(), "initial holds no models");
    rbm::RunConfig run = rbm::run_config_from_json(not_null(config_json, "config_json"));
    const nlohmann::json keys = nlohmann::json::parse(config_json);  // valid: it was just read
    const int n_hidden = start.front().n_hidden;
    RBM_EXPECTS(!keys.contains("hidden") || run.hidden == n_hidden, "config_json's \"hidden\" is ",
                run.hidden, " but the initial models have L = ", n_hidden);
    RBM_EXPECTS(!keys.contains("models") || count(run.models) == start.size(),
                "config_json's \"models\" is ", run.models, " but initial holds ", start.size(),
                " model(s)");
    run.hidden = n_hidden;
    run.models = rbm::detail::checked_int(start.size(), "the number of initial models");
    rbm::validate(run);
    TrainingData training;
    resolve_data(e, data, run, training);
    train_run(e, run, training, start, on_epoch, user_data, models);
  });
}

// ---- evaluation ------------------------------------------------------------------------------

int rbm_log_z_exact(rbm_engine_t* engine,
                    const rbm_model_t* model,
                    int max_log2_states,
                    double* log_z) {
  return guarded(__func__, [&] {
    double& result = deref(log_z, "log_z");
    rbm::LogZOptions options;
    RBM_EXPECTS(max_log2_states >= 0, "max_log2_states is ", max_log2_states,
                " (0 = the default time budget)");
    if (max_log2_states > 0) options.max_log2_states = max_log2_states;
    result = deref(engine, "engine").engine.log_z(deref(model, "model").model, options).log_z;
  });
}

int rbm_mean_log_likelihood(rbm_engine_t* engine,
                            const rbm_model_t* model,
                            const rbm_data_t* data,
                            double log_z,
                            double* mean_log_likelihood) {
  return guarded(__func__, [&] {
    double& result = deref(mean_log_likelihood, "mean_log_likelihood");
    rbm_engine& e = deref(engine, "engine");
    result = e.engine.mean_log_likelihood(deref(model, "model").model,
                                          resident_on(deref(data, "data"), e), log_z);
  });
}

rbm_likelihood_options rbm_likelihood_options_default(void) {
  const rbm::AisOptions ais;
  return {"auto", 0.0, 0, ais.n_chains, ais.n_betas, ais.seed};
}

int rbm_log_likelihood(rbm_engine_t* engine,
                       const rbm_model_t* model,
                       const rbm_data_t* data,
                       const rbm_likelihood_options* options,
                       rbm_likelihood* result) {
  return guarded(__func__, [&] {
    rbm_likelihood& out = deref(result, "result");
    rbm_engine& e = deref(engine, "engine");
    const rbm_likelihood_options given = options ? *options : rbm_likelihood_options_default();
    rbm::LikelihoodOptions o;
    o.method = rbm::parse_likelihood_method(not_null(given.method, "options->method"));
    RBM_EXPECTS(given.max_seconds >= 0, "options->max_seconds is ", given.max_seconds,
                " (0 = not given)");
    RBM_EXPECTS(given.max_log2_states >= 0 && given.max_log2_states <= 62,
                "options->max_log2_states is ", given.max_log2_states,
                " (0 = not given, at most 62)");
    RBM_EXPECTS(given.ais_chains >= 2, "options->ais_chains is ", given.ais_chains,
                "; AIS needs at least 2 (for a standard error)");
    RBM_EXPECTS(given.ais_betas >= 1, "options->ais_betas is ", given.ais_betas,
                "; it must be >= 1");
    if (given.max_seconds > 0) o.exact.max_seconds = given.max_seconds;
    if (given.max_log2_states > 0) o.exact.max_log2_states = given.max_log2_states;
    o.ais.n_chains = given.ais_chains;
    o.ais.n_betas = given.ais_betas;
    o.ais.seed = given.ais_seed;
    const rbm::LikelihoodEstimate estimate = e.engine.log_likelihood(
        deref(model, "model").model, resident_on(deref(data, "data"), e), o);
    out = {rbm::to_string(estimate.method), estimate.mean_log_likelihood, estimate.log_z,
           estimate.log_z_error};
  });
}

int rbm_free_energy(rbm_engine_t* engine,
                    const rbm_model_t* model,
                    const rbm_data_t* data,
                    double* free_energies,
                    std::size_t n_free_energies) {
  return guarded(__func__, [&] {
    rbm_engine& e = deref(engine, "engine");
    const rbm_data& d = deref(data, "data");
    not_null(free_energies, "free_energies");
    expect_size(n_free_energies, d.dataset.n_samples, "n_free_energies", "N (samples)");
    const std::vector<double> energies =
        e.engine.free_energy(deref(model, "model").model, resident_on(d, e));
    std::copy(energies.begin(), energies.end(), free_energies);
  });
}

int rbm_hidden_probabilities(rbm_engine_t* engine,
                             const rbm_model_t* model,
                             const rbm_data_t* data,
                             float* probabilities,
                             std::size_t n_probabilities) {
  return guarded(__func__, [&] {
    rbm_engine& e = deref(engine, "engine");
    const rbm_data& d = deref(data, "data");
    const rbm::Model& m = deref(model, "model").model;
    not_null(probabilities, "probabilities");
    expect_size(n_probabilities, product(d.dataset.n_samples, count(m.n_hidden), "N*L"),
                "n_probabilities", concat("N*L = ", d.dataset.n_samples, "*", m.n_hidden));
    const std::vector<float> p = e.engine.hidden_probabilities(m, resident_on(d, e));
    std::copy(p.begin(), p.end(), probabilities);
  });
}

int rbm_reconstruction_error(rbm_engine_t* engine,
                             const rbm_model_t* model,
                             const rbm_data_t* data,
                             double* error) {
  return guarded(__func__, [&] {
    double& result = deref(error, "error");
    rbm_engine& e = deref(engine, "engine");
    result = e.engine.reconstruction_error(deref(model, "model").model,
                                           resident_on(deref(data, "data"), e));
  });
}

// ---- sampling --------------------------------------------------------------------------------

rbm_sample_options rbm_sample_options_default(void) {
  const rbm::SampleOptions defaults;
  return {defaults.n_chains,          defaults.burn_in, defaults.thinning,
          defaults.samples_per_chain, defaults.beta,    defaults.seed};
}

int rbm_sample(rbm_engine_t* engine,
               const rbm_model_t* model,
               const rbm_sample_options* options,
               std::uint8_t* samples,
               std::size_t n_samples) {
  return guarded(__func__, [&] {
    rbm_engine& e = deref(engine, "engine");
    const rbm::Model& m = deref(model, "model").model;
    not_null(samples, "samples");
    const rbm_sample_options given = options ? *options : rbm_sample_options_default();
    RBM_EXPECTS(given.n_chains >= 1, "options->n_chains is ", given.n_chains, "; it must be >= 1");
    RBM_EXPECTS(given.samples_per_chain >= 1, "options->samples_per_chain is ",
                given.samples_per_chain, "; it must be >= 1");
    const std::size_t rows = product(count(given.n_chains), count(given.samples_per_chain),
                                     "n_chains*samples_per_chain");
    expect_size(n_samples, product(rows, count(m.n_visible), "n_chains*samples_per_chain*D"),
                "n_samples",
                concat("n_chains*samples_per_chain*D = ", given.n_chains, "*",
                       given.samples_per_chain, "*", m.n_visible));
    rbm::SampleOptions sample;
    sample.n_chains = given.n_chains;
    sample.burn_in = given.burn_in;
    sample.thinning = given.thinning;
    sample.samples_per_chain = given.samples_per_chain;
    sample.beta = given.beta;
    sample.seed = given.seed;
    const rbm::Dataset drawn = e.engine.sample(m, sample);
    std::copy(drawn.values.begin(), drawn.values.end(), samples);
  });
}

}  // extern "C"

// host/python/bind_engine.cpp — rbm.Engine: backend choice, uploads (arrays and CUDA tensors
// where they lie), training with Python callbacks, exact log Z and log-likelihoods, free
// energies, conditionals, sampling. Every long call runs with the GIL released; callbacks take
// it back, and Ctrl-C between epochs (or log Z rounds) stops the call with KeyboardInterrupt,
// leaving the Engine as it was.
#include <nanobind/stl/function.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/variant.h>
#include <nanobind/stl/vector.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <variant>

#include "host/python/bindings.hpp"

namespace rbm::python {
namespace {

using EpochFunction = nb::typed<nb::callable, std::optional<bool>(std::vector<EpochMetrics>)>;
using InspectFunction = nb::typed<nb::callable, std::optional<bool>(int, std::vector<Model>)>;
using CheckpointFunction = nb::typed<nb::callable, void(TrainingCheckpoint)>;

/// One config for every model, or one per model.
using OneOrMoreConfigs = std::variant<TrainConfig, std::vector<TrainConfig>>;

/// Engine.train's and Engine.resume's keyword options.
struct PythonTrainOptions {
  std::optional<EpochFunction> on_epoch;
  int inspect_every = 0;
  std::optional<InspectFunction> on_inspect;
  int checkpoint_every = 0;
  std::optional<CheckpointFunction> on_checkpoint;
  bool drop_diverged = false;
};

/// The library's TrainOptions around the Python callbacks. Every epoch checks for signals
/// first: a Ctrl-C sets the stop flag, so the run ends after this epoch (handing its checkpoint
/// to on_checkpoint) and KeyboardInterrupt is raised.
TrainOptions train_options(const PythonTrainOptions& py, PythonCalls& calls) {
  TrainOptions options;
  options.stop_requested = calls.stop_flag();
  options.drop_diverged = py.drop_diverged;
  options.on_epoch = [&py, &calls](const std::vector<EpochMetrics>& metrics) {
    if (calls.signalled() || !py.on_epoch) return true;
    return calls.run([&] { return goes_on((*py.on_epoch)(metrics)); });
  };
  if (py.on_inspect) {
    options.inspect_every = py.inspect_every > 0 ? py.inspect_every : 1;
    options.on_inspect = [&py, &calls](int epoch, const std::vector<Model>& models) {
      return calls.run([&] { return goes_on((*py.on_inspect)(epoch, models)); });
    };
  }
  if (py.on_checkpoint) {
    options.checkpoint_every = py.checkpoint_every;
    options.on_checkpoint = [&py, &calls](const TrainingCheckpoint& checkpoint) {
      calls.run([&] {
        (*py.on_checkpoint)(checkpoint);
        return true;
      });
    };
  }
  return options;
}

/// Runs `train(options)` with the GIL released; re-raises what a callback raised (or the
/// KeyboardInterrupt of a Ctrl-C) once training has stopped.
template <typename Train>
std::vector<Model> run_training(const PythonTrainOptions& py, Train&& train) {
  PythonCalls calls;
  const TrainOptions options = train_options(py, calls);
  std::vector<Model> models;
  try {
    nb::gil_scoped_release release;
    models = train(options);
  } catch (const Interrupted&) {
    calls.raise_if_failed();
    throw;
  }
  calls.raise_if_failed();
  return models;
}

std::vector<LogZResult> run_log_z(Engine& engine,
                                  const std::vector<Model>& models,
                                  std::optional<int> max_log2_states,
                                  std::optional<double> max_seconds,
                                  const std::optional<ProgressFunction>& progress) {
  PythonCalls calls;
  LogZOptions options;
  options.max_log2_states = max_log2_states;
  options.max_seconds = max_seconds;
  options.progress = progress_function(calls, progress);
  return run_cancellable(calls, [&] { return engine.log_z(models, options); });
}

double log_z_of(Engine& engine, const Model& model, std::optional<double> log_z) {
  if (log_z) return *log_z;
  return run_log_z(engine, {model}, std::nullopt, std::nullopt, std::nullopt).front().log_z;
}

std::vector<double> free_energies(Engine& engine, const Model& model, nb::handle data) {
  const DataHandle handle = resolve(engine, data);
  nb::gil_scoped_release release;
  return engine.free_energy(model, handle);
}

std::string log_z_repr(const LogZResult& r) {
  char text[200];
  std::snprintf(text, sizeof text, "LogZResult(log_z=%.17g, states=%.6g, seconds=%.3g)", r.log_z,
                r.states, r.seconds);
  return text;
}

const char* const kTrainDoc =
    R"(Trains models of one shape together (one config for all, or one per model) on `data`
(a DataHandle, Dataset or array); returns the trained models (a single Model for a single
Model). The inputs are not changed.

on_epoch(metrics: list[EpochMetrics]) runs after every epoch; returning False stops.
on_inspect(epoch, models) runs every `inspect_every` epochs with the current models.
on_checkpoint(checkpoint) receives the whole training state every `checkpoint_every` epochs and
when the run is interrupted. drop_diverged: a model that blows up is dropped (returned as before
that epoch) instead of stopping the run with Diverged.
Ctrl-C stops after the current epoch (on_checkpoint gets the state) with KeyboardInterrupt; an
exception in a callback stops the same way and is re-raised.)";

}  // namespace

bool goes_on(nb::handle answer) {
  if (answer.is_none()) return true;
  const int truth = PyObject_IsTrue(answer.ptr());
  if (truth < 0) throw nb::python_error();
  return truth == 1;
}

std::function<bool(double)> progress_function(PythonCalls& calls,
                                              const std::optional<ProgressFunction>& progress) {
  return [&calls, progress](double fraction) {
    if (calls.signalled()) return false;
    return !progress || calls.run([&] { return goes_on((*progress)(fraction)); });
  };
}

DataHandle resolve(Engine& engine, nb::handle data) {
  if (nb::isinstance<DataHandle>(data)) return nb::cast<DataHandle>(data);
  if (nb::isinstance<Dataset>(data)) {
    const Dataset& dataset = nb::cast<const Dataset&>(data);
    nb::gil_scoped_release release;
    return engine.upload(dataset);
  }
  const auto array = data_array(data, "data");
  nb::gil_scoped_release release;
  return engine.upload(array->view);
}

SampleOptions sample_options(int n_chains,
                             int burn_in,
                             int thinning,
                             int samples_per_chain,
                             float beta,
                             std::uint64_t seed,
                             nb::handle init,
                             nb::handle clamped) {
  SampleOptions options;
  options.n_chains = n_chains;
  options.burn_in = burn_in;
  options.thinning = thinning;
  options.samples_per_chain = samples_per_chain;
  options.beta = beta;
  options.seed = seed;
  if (!init.is_none()) options.init = to_dataset(init, "init");
  if (!clamped.is_none()) {  // [n_chains, D] or [D] of 0/1
    std::vector<long> shape(as_array(clamped, "clamped").ndim() == 1 ? 1 : 2, -1);
    for (const float flag : read_floats(clamped, "clamped", shape)) {
      RBM_EXPECTS(flag == 0.0f || flag == 1.0f, "clamped: ", flag, " is not 0 or 1");
      options.clamped.push_back(static_cast<std::uint8_t>(flag));
    }
  }
  return options;
}

void bind_engine(nb::module_& m) {
  nb::class_<DataHandle>(
      m, "DataHandle", "A dataset resident on an Engine's backend (Engine.upload); cheap to pass.")
      .def_prop_ro("n_samples", &DataHandle::n_samples)
      .def_prop_ro("n_visible", &DataHandle::n_visible)
      .def("__len__", &DataHandle::n_samples)
      .def("__repr__", [](const DataHandle& d) {
        return "DataHandle(n_samples=" + std::to_string(d.n_samples()) +
               ", n_visible=" + std::to_string(d.n_visible()) + ")";
      });

  nb::class_<LogZResult>(m, "LogZResult", "Exact log Z and what it took.")
      .def_ro("log_z", &LogZResult::log_z)
      .def_ro("enumerated_hidden", &LogZResult::enumerated_hidden,
              "True: summed over the hidden states; False: over the visible ones.")
      .def_ro("states", &LogZResult::states, "States summed: 2^min(D, L), or L (+1) for Potts.")
      .def_ro("log2_states", &LogZResult::log2_states)
      .def_ro("pairs", &LogZResult::pairs, "States × units of the other layer.")
      .def_ro("seconds", &LogZResult::seconds)
      .def_prop_ro("pairs_per_second", &LogZResult::pairs_per_second)
      .def("__float__", [](const LogZResult& r) { return r.log_z; })
      .def("__repr__", &log_z_repr);

  m.def("cuda_available", &cuda_available,
        "True when this build has the CUDA backend and a usable device is present.");
  m.def("cd_step_uniform_count", &cd_step_uniform_count, nb::arg("batch_size"),
        nb::arg("n_visible"), nb::arg("n_hidden"), nb::arg("cd_steps"),
        "Uniforms Engine.cd_step consumes: k·B·(D + L).");

  nb::class_<Engine> engine(
      m, "Engine", R"(Runs everything on one backend: 'cpu', 'cuda' or 'auto' (the GPU when usable).

Data arguments take a DataHandle (uploaded once with Engine.upload), a Dataset, or an array
[N, D] of 0/1 values: NumPy arrays and DLPack tensors (PyTorch, JAX, CuPy). A CUDA tensor given to
a CUDA engine is read where it lies (device to device); a CPU engine refuses it. Long calls
release the GIL; one Engine used from several threads runs their calls one after the other.)");
  engine
      .def(
          "__init__",
          [](Engine* self, const std::string& backend, int threads, int device,
             std::uintptr_t stream) {
            EngineOptions options;
            options.cpu_threads = threads;
            options.cuda_device = device;
            options.cuda_stream = reinterpret_cast<void*>(stream);
            const BackendKind kind = parse_backend_kind(backend);
            nb::gil_scoped_release release;
            new (self) Engine(kind, options);
          },
          nb::arg("backend") = "auto", nb::kw_only(), nb::arg("threads") = 0, nb::arg("device") = 0,
          nb::arg("stream") = 0,
          "threads: CPU threads (0: all); device: CUDA device; stream: a cudaStream_t to borrow "
          "(e.g. torch.cuda.current_stream().cuda_stream), 0 for the engine's own.")
      .def_prop_ro(
          "kind", [](const Engine& e) { return std::string(to_string(e.kind())); },
          "'cpu' or 'cuda'.")
      .def_prop_ro("device_name", &Engine::device_name)
      .def("__repr__", [](const Engine& e) { return "Engine('" + e.device_name() + "')"; })
      .def(
          "upload", &resolve, nb::arg("data"),
          "Copies a Dataset or an array (host memory, or a CUDA tensor on a CUDA engine: device to "
          "device) to the backend once.")
      .def(
          "train",
          [](Engine& e, const Model& model, const TrainConfig& config, nb::handle data,
             std::optional<EpochFunction> on_epoch, int inspect_every,
             std::optional<InspectFunction> on_inspect, int checkpoint_every,
             std::optional<CheckpointFunction> on_checkpoint, bool drop_diverged) {
            const PythonTrainOptions options{on_epoch,         inspect_every, on_inspect,
                                             checkpoint_every, on_checkpoint, drop_diverged};
            const DataHandle handle = resolve(e, data);
            return run_training(
                       options,
                       [&](const TrainOptions& o) { return e.train({model}, {config}, handle, o); })
                .front();
          },
          nb::arg("model"), nb::arg("config"), nb::arg("data"), nb::kw_only(),
          nb::arg("on_epoch") = nb::none(), nb::arg("inspect_every") = 0,
          nb::arg("on_inspect") = nb::none(), nb::arg("checkpoint_every") = 0,
          nb::arg("on_checkpoint") = nb::none(), nb::arg("drop_diverged") = false, kTrainDoc)
      .def(
          "train",
          [](Engine& e, const std::vector<Model>& models, const OneOrMoreConfigs& given,
             nb::handle data, std::optional<EpochFunction> on_epoch, int inspect_every,
             std::optional<InspectFunction> on_inspect, int checkpoint_every,
             std::optional<CheckpointFunction> on_checkpoint, bool drop_diverged) {
            const PythonTrainOptions options{on_epoch,         inspect_every, on_inspect,
                                             checkpoint_every, on_checkpoint, drop_diverged};
            const DataHandle handle = resolve(e, data);
            const auto* one = std::get_if<TrainConfig>(&given);
            const std::vector<TrainConfig> configs =
                one ? std::vector<TrainConfig>{*one} : std::get<std::vector<TrainConfig>>(given);
            return run_training(options, [&](const TrainOptions& o) {
              return e.train(models, configs, handle, o);
            });
          },
          nb::arg("models"), nb::arg("configs"), nb::arg("data"), nb::kw_only(),
          nb::arg("on_epoch") = nb::none(), nb::arg("inspect_every") = 0,
          nb::arg("on_inspect") = nb::none(), nb::arg("checkpoint_every") = 0,
          nb::arg("on_checkpoint") = nb::none(), nb::arg("drop_diverged") = false)
      .def(
          "resume",
          [](Engine& e, const TrainingCheckpoint& checkpoint, nb::handle data,
             std::optional<EpochFunction> on_epoch, int inspect_every,
             std::optional<InspectFunction> on_inspect, int checkpoint_every,
             std::optional<CheckpointFunction> on_checkpoint, bool drop_diverged) {
            const PythonTrainOptions options{on_epoch,         inspect_every, on_inspect,
                                             checkpoint_every, on_checkpoint, drop_diverged};
            const DataHandle handle = resolve(e, data);
            return run_training(
                options, [&](const TrainOptions& o) { return e.resume(checkpoint, handle, o); });
          },
          nb::arg("checkpoint"), nb::arg("data"), nb::kw_only(), nb::arg("on_epoch") = nb::none(),
          nb::arg("inspect_every") = 0, nb::arg("on_inspect") = nb::none(),
          nb::arg("checkpoint_every") = 0, nb::arg("on_checkpoint") = nb::none(),
          nb::arg("drop_diverged") = false,
          "Continues a run from a checkpoint on the same data; the result equals the uninterrupted "
          "run's bit for bit (same machine and thread count). Options as for train.")
      .def(
          "can_enumerate",
          [](const Engine& e, const Model& model, std::optional<int> max_log2_states,
             std::optional<double> max_seconds) {
            LogZOptions options;
            options.max_log2_states = max_log2_states;
            options.max_seconds = max_seconds;
            return e.can_enumerate(model, options);
          },
          nb::arg("model"), nb::kw_only(), nb::arg("max_log2_states") = nb::none(),
          nb::arg("max_seconds") = nb::none(),
          "Whether exact log Z of `model` is within the limits (log_z would not refuse it): at "
          "most 2^max_log2_states states and an estimated max_seconds. Neither given: the "
          "library's default time budget; max_log2_states alone replaces it.")
      .def(
          "log_z",
          [](Engine& e, const Model& model, std::optional<int> max_log2_states,
             std::optional<double> max_seconds, const std::optional<ProgressFunction>& progress) {
            return run_log_z(e, {model}, max_log2_states, max_seconds, progress).front();
          },
          nb::arg("model"), nb::kw_only(), nb::arg("max_log2_states") = nb::none(),
          nb::arg("max_seconds") = nb::none(), nb::arg("progress") = nb::none(),
          "Exact log Z, enumerating the smaller layer's 2^min(D, L) states in float64 (L states "
          "for a Potts layer). More than 2^max_log2_states states, or an estimated time over "
          "max_seconds (default: the library's budget), raise InvalidArgument. "
          "progress(fraction) may return False to cancel (Cancelled); Ctrl-C raises "
          "KeyboardInterrupt.")
      .def(
          "log_z",
          [](Engine& e, const std::vector<Model>& models, std::optional<int> max_log2_states,
             std::optional<double> max_seconds, const std::optional<ProgressFunction>& progress) {
            return run_log_z(e, models, max_log2_states, max_seconds, progress);
          },
          nb::arg("models"), nb::kw_only(), nb::arg("max_log2_states") = nb::none(),
          nb::arg("max_seconds") = nb::none(), nb::arg("progress") = nb::none())
      .def(
          "free_energy",
          [](Engine& e, const Model& model, nb::handle data) {
            std::vector<double> energies = free_energies(e, model, data);
            const std::size_t n = energies.size();
            return to_numpy(std::move(energies), {n});
          },
          nb::arg("model"), nb::arg("data"),
          "F(v) = -log Σ_h exp(-E(v, h)) of every sample, float64 [N].")
      .def(
          "log_probabilities",
          [](Engine& e, const Model& model, nb::handle data, std::optional<double> log_z) {
            const double z = log_z_of(e, model, log_z);
            std::vector<double> values = free_energies(e, model, data);
            for (double& v : values) v = -v - z;
            const std::size_t n = values.size();
            return to_numpy(std::move(values), {n});
          },
          nb::arg("model"), nb::arg("data"), nb::arg("log_z") = nb::none(),
          "Exact log p(v) = -F(v) - log Z of every sample, float64 [N]; log Z is computed when "
          "not given.")
      .def(
          "mean_log_likelihood",
          [](Engine& e, const Model& model, nb::handle data, std::optional<double> log_z) {
            const double z = log_z_of(e, model, log_z);
            const DataHandle handle = resolve(e, data);
            nb::gil_scoped_release release;
            return e.mean_log_likelihood(model, handle, z);
          },
          nb::arg("model"), nb::arg("data"), nb::arg("log_z") = nb::none(),
          "Exact mean log-likelihood, mean(-F(v)) - log Z.")
      .def(
          "reconstruction_error",
          [](Engine& e, const Model& model, nb::handle data) {
            const DataHandle handle = resolve(e, data);
            nb::gil_scoped_release release;
            return e.reconstruction_error(model, handle);
          },
          nb::arg("model"), nb::arg("data"),
          "Mean squared error between v and its mean-field reconstruction p(v | p(h | v)).")
      .def(
          "hidden_probabilities",
          [](Engine& e, const Model& model, nb::handle data) {
            const DataHandle handle = resolve(e, data);
            std::vector<float> p;
            {
              nb::gil_scoped_release release;
              p = e.hidden_probabilities(model, handle);
            }
            const std::size_t n = handle.n_samples();
            return to_numpy(std::move(p), {n, static_cast<std::size_t>(model.n_hidden)});
          },
          nb::arg("model"), nb::arg("data"),
          "p(h_j on | v) of every sample, float32 [N, L] (for a one-hot layer, the softmax).")
      .def(
          "visible_probabilities",
          [](Engine& e, const Model& model, nb::handle hidden) {
            std::vector<long> shape{-1, model.n_hidden};
            std::vector<float> h = read_floats(hidden, "hidden", shape);
            std::vector<float> p;
            {
              nb::gil_scoped_release release;
              p = e.visible_probabilities(model, h);
            }
            return to_numpy(std::move(p), {static_cast<std::size_t>(shape[0]),
                                           static_cast<std::size_t>(model.n_visible)});
          },
          nb::arg("model"), nb::arg("hidden"),
          "p(v_i on | h) for hidden vectors [n, L] (unit values or their means), float32 [n, D].")
      .def(
          "sample",
          [](Engine& e, const Model& model, int n_chains, int burn_in, int thinning,
             int samples_per_chain, float beta, std::uint64_t seed, nb::handle init,
             nb::handle clamped) {
            const SampleOptions options = sample_options(
                n_chains, burn_in, thinning, samples_per_chain, beta, seed, init, clamped);
            Dataset samples;
            {
              nb::gil_scoped_release release;
              samples = e.sample(model, options);
            }
            const std::size_t n = samples.n_samples;
            return to_numpy(std::move(samples.values),
                            {n, static_cast<std::size_t>(model.n_visible)});
          },
          nb::arg("model"), nb::kw_only(), nb::arg("n_chains") = 16, nb::arg("burn_in") = 1000,
          nb::arg("thinning") = 1, nb::arg("samples_per_chain") = 1, nb::arg("beta") = 1.0f,
          nb::arg("seed") = 1, nb::arg("init") = nb::none(), nb::arg("clamped") = nb::none(),
          "Block-Gibbs samples of v, uint8 [n_chains·samples_per_chain, D], chain-major: after "
          "burn_in sweeps, every thinning-th sweep. beta: inverse temperature (samples of "
          "exp(-β E)). init: starting rows [n_chains, D] (default: uniform random). clamped: "
          "[n_chains, D] or [D] of 0/1, 1 = the unit keeps its init value (inpainting, "
          "conditioning).")
      .def(
          "cd_step",
          [](Engine& e, const Model& model, nb::handle batch, const TrainConfig& config,
             nb::handle uniforms) {
            std::vector<long> batch_shape{-1, model.n_visible}, uniform_shape{-1};
            const std::vector<float> rows = read_floats(batch, "batch", batch_shape);
            const std::vector<float> u = read_floats(uniforms, "uniforms", uniform_shape);
            nb::gil_scoped_release release;
            return e.cd_step(model, rows, config, u);
          },
          nb::arg("model"), nb::arg("batch"), nb::arg("config"), nb::arg("uniforms"),
          "One deterministic CD-k step (plain SGD) with caller-supplied uniforms in place of the "
          "random numbers (layout: h0 [B, L], then per step v_t [B, D] and h_t [B, L]).");
  bind_estimators(m, engine);
}

}  // namespace rbm::python

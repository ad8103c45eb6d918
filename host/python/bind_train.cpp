// host/python/bind_train.cpp — the training recipe (rbm.TrainConfig with rbm.Schedule values),
// what an epoch reports (rbm.EpochMetrics), and checkpoints (rbm.TrainingCheckpoint).
#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/function.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/variant.h>
#include <nanobind/stl/vector.h>

#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <variant>

#include "host/python/bindings.hpp"

namespace rbm::python {
namespace {

/// What a schedule-valued option accepts: a Schedule, a number (constant) or a schedule string.
using ScheduleLike = std::variant<Schedule, double, std::string>;

Schedule to_schedule(const ScheduleLike& value) {
  if (const auto* s = std::get_if<Schedule>(&value)) return *s;
  if (const auto* x = std::get_if<double>(&value)) return Schedule(*x);
  return Schedule::parse(std::get<std::string>(value));
}

template <typename T>
T cast_option(nb::handle value, const std::string& name, const char* expected) {
  T out{};
  if (!nb::try_cast(value, out))
    throw InvalidType("TrainConfig." + name + ": expected " + expected + ", got " +
                      nb::type_name(value.type()).c_str());
  return out;
}

/// The options of TrainConfig: each a property, and settable as a keyword of the constructor.
class ConfigOptions {
 public:
  explicit ConfigOptions(nb::class_<TrainConfig>& cls) : cls_(cls) {}

  template <typename T>
  ConfigOptions& plain(const char* name,
                       T TrainConfig::*member,
                       const char* expected,
                       const char* doc) {
    cls_.def_rw(name, member, doc);
    setters()[name] = [member, name, expected](TrainConfig& c, nb::handle v) {
      c.*member = cast_option<T>(v, name, expected);
    };
    return *this;
  }
  ConfigOptions& schedule(const char* name, Schedule TrainConfig::*member, const char* doc) {
    cls_.def_prop_rw(
        name, [member](const TrainConfig& c) { return c.*member; },
        [member](TrainConfig& c, const ScheduleLike& v) { c.*member = to_schedule(v); }, doc);
    setters()[name] = [member, name](TrainConfig& c, nb::handle v) {
      c.*member = to_schedule(
          cast_option<ScheduleLike>(v, name, "a number, a schedule string or a Schedule"));
    };
    return *this;
  }
  /// An enum option as its name: `to_text` and `parse` are the library's.
  template <typename E>
  ConfigOptions& named(const char* name,
                       E TrainConfig::*member,
                       const char* (*to_text)(E),
                       E (*parse)(const std::string&),
                       const char* doc) {
    cls_.def_prop_rw(
        name, [member, to_text](const TrainConfig& c) { return std::string(to_text(c.*member)); },
        [member, parse](TrainConfig& c, const std::string& v) { c.*member = parse(v); }, doc);
    setters()[name] = [member, name, parse](TrainConfig& c, nb::handle v) {
      c.*member = parse(cast_option<std::string>(v, name, "str"));
    };
    return *this;
  }

  static void apply(TrainConfig& config, const nb::kwargs& options) {
    for (const auto& [key, value] : options) {
      const std::string name = nb::cast<std::string>(key);
      const auto setter = setters().find(name);
      if (setter == setters().end()) throw InvalidType("TrainConfig has no option '" + name + "'");
      setter->second(config, value);
    }
  }

 private:
  using Setter = std::function<void(TrainConfig&, nb::handle)>;
  static std::map<std::string, Setter>& setters() {
    static std::map<std::string, Setter> table;
    return table;
  }
  nb::class_<TrainConfig>& cls_;
};

const char* schedule_shape(Schedule::Shape shape) {
  switch (shape) {
    case Schedule::Shape::constant:
      return "constant";
    case Schedule::Shape::linear:
      return "linear";
    case Schedule::Shape::exponential:
      return "exp";
    case Schedule::Shape::step:
      return "step";
    case Schedule::Shape::switch_at:
      return "switch";
  }
  return "unknown";
}

void bind_schedule(nb::module_& m) {
  nb::class_<Schedule>(
      m, "Schedule",
      R"(A hyper-parameter's value per epoch (0-based), over a run of `epochs` epochs.

Written as text anywhere an option takes one: "0.1" (constant), "linear:0.1:0.01" (first to last
epoch), "exp:0.1:0.001" (geometric), "step:0.1:0.5:10" (×0.5 every 10 epochs),
"switch:0.5:0.9:5" (0.5, then 0.9 from epoch 5; a fraction < 1 is that part of the run).)")
      .def(nb::init<double>(), nb::arg("value"), "A constant.")
      .def(
          "__init__",
          [](Schedule* s, const std::string& text) { new (s) Schedule(Schedule::parse(text)); },
          nb::arg("text"), "Parses a schedule string.")
      .def_static("linear", &Schedule::linear, nb::arg("first"), nb::arg("last"))
      .def_static("exponential", &Schedule::exponential, nb::arg("first"), nb::arg("last"))
      .def_static("step", &Schedule::step, nb::arg("first"), nb::arg("factor"), nb::arg("every"))
      .def_static("switch_at", &Schedule::switch_at, nb::arg("before"), nb::arg("after"),
                  nb::arg("at"))
      .def_static("parse", &Schedule::parse, nb::arg("text"))
      .def("at", &Schedule::at, nb::arg("epoch"), nb::arg("epochs"),
           "The value at `epoch` of a run of `epochs`.")
      .def("at_int", &Schedule::at_int, nb::arg("epoch"), nb::arg("epochs"),
           "The same, rounded to an integer.")
      .def("min_over", &Schedule::min_over, nb::arg("epochs"))
      .def("max_over", &Schedule::max_over, nb::arg("epochs"))
      .def_prop_ro(
          "shape", [](const Schedule& s) { return std::string(schedule_shape(s.shape())); },
          "'constant', 'linear', 'exp', 'step' or 'switch'.")
      .def_prop_ro("first", &Schedule::first, "The value at epoch 0.")
      .def_prop_ro("is_constant", &Schedule::is_constant)
      .def("__str__", &Schedule::to_string)
      .def("__repr__", [](const Schedule& s) { return "Schedule('" + s.to_string() + "')"; })
      .def("__eq__", [](const Schedule& a, const Schedule& b) { return a == b; })
      .def("__hash__", [](const Schedule& s) { return std::hash<std::string>()(s.to_string()); })
      .def("__getstate__", [](const Schedule& s) { return std::make_tuple(s.to_string()); })
      .def("__setstate__", [](Schedule& s, const std::tuple<std::string>& state) {
        new (&s) Schedule(Schedule::parse(std::get<0>(state)));
      });
}

void bind_config(nb::module_& m) {
  nb::class_<TrainConfig> cls(
      m, "TrainConfig",
      R"(Everything a CD-k / PCD run needs (the recipe); stored in each trained model's provenance.

Every option is a property and a keyword of the constructor, e.g.
TrainConfig(persistent=True, batch_size=10, epochs=4000, optimizer="adam",
            learning_rate="exp:0.01:0.001"). Schedule-valued options take a number, a schedule
string or a Schedule.)");
  cls.def(
      "__init__",
      [](TrainConfig* self, const nb::kwargs& options) {
        new (self) TrainConfig();
        ConfigOptions::apply(*self, options);
      },
      "A config with the defaults, changed by the options given as keywords.");
  ConfigOptions(cls)
      .schedule("cd_steps", &TrainConfig::cd_steps, "k, Gibbs steps of the negative phase (1).")
      .plain("persistent", &TrainConfig::persistent, "bool",
             "PCD: chains persist across mini-batches (False).")
      .plain("n_chains", &TrainConfig::n_chains, "int", "PCD chains; 0: the largest batch (0).")
      .named("pcd_chains", &TrainConfig::pcd_chains, &to_string, &parse_pcd_chains,
             "What PCD's chains carry between steps: 'hidden' (default) or 'visible'.")
      .plain("tempering_replicas", &TrainConfig::tempering_replicas, "int",
             "Parallel tempering as PCD's negative phase: levels per chain (0: plain PCD).")
      .plain("tempering_min_beta", &TrainConfig::tempering_min_beta, "float",
             "Parallel tempering: the hottest level's inverse temperature (0.1).")
      .schedule("batch_size", &TrainConfig::batch_size, "B, mini-batch size (100).")
      .plain("epochs", &TrainConfig::epochs, "int", "Passes over the data (10).")
      .named("optimizer", &TrainConfig::optimizer, &to_string, &parse_optimizer,
             "'sgd', 'momentum', 'nesterov', 'rmsprop' or 'adam' ('momentum').")
      .schedule("learning_rate", &TrainConfig::learning_rate, "Learning rate (0.05).")
      .schedule("momentum", &TrainConfig::momentum,
                "Momentum of momentum, nesterov, rmsprop (0.5).")
      .plain("rmsprop_alpha", &TrainConfig::rmsprop_alpha, "float", "RMSprop's decay (0.99).")
      .plain("adam_beta1", &TrainConfig::adam_beta1, "float", "Adam's β1 (0.9).")
      .plain("adam_beta2", &TrainConfig::adam_beta2, "float", "Adam's β2 (0.999).")
      .plain("epsilon", &TrainConfig::epsilon, "float", "RMSprop's and Adam's ε (1e-8).")
      .plain("weight_decay", &TrainConfig::weight_decay, "float", "L2 coefficient on W (0).")
      .plain("l1_weight_decay", &TrainConfig::l1_weight_decay, "float", "L1 coefficient on W (0).")
      .plain("sparsity_target", &TrainConfig::sparsity_target, "float",
             "Target mean hidden activation (0).")
      .plain("sparsity_cost", &TrainConfig::sparsity_cost, "float", "Sparsity cost; 0 is off (0).")
      .plain("sparsity_decay", &TrainConfig::sparsity_decay, "float",
             "Decay of the activation estimate (0.9).")
      .plain("centering", &TrainConfig::centering, "bool",
             "Centered gradient (Melchior et al. 2016) (False).")
      .plain("centering_rate", &TrainConfig::centering_rate, "float",
             "Rate of the centering offsets (0.01).")
      .named("visible_type", &TrainConfig::visible_type, &to_string, &parse_unit_type,
             "Visible units of init_model: 'bernoulli' or 'spin'.")
      .named("hidden_type", &TrainConfig::hidden_type, &to_string, &parse_unit_type,
             "Hidden units of init_model: 'bernoulli', 'spin', 'potts', 'potts-off'.")
      .plain("seed", &TrainConfig::seed, "int >= 0", "Drives init, shuffling and sampling (1).")
      .plain("init_weight_std", &TrainConfig::init_weight_std, "float",
             "W ~ N(0, std²) at init (0.01).")
      .plain("init_visible_bias_from_data", &TrainConfig::init_visible_bias_from_data, "bool",
             "b from the data's pixel means at init (True).")
      .named("math", &TrainConfig::math, &to_string, &parse_gemm_math,
             "CUDA GEMM arithmetic: 'fp32' (default), 'tf32' or 'bf16' (float32 accumulation, "
             "float32 master weights and updates).")
      .plain("max_abs_parameter", &TrainConfig::max_abs_parameter, "float",
             "Training stops with Diverged beyond this |θ| (1e4).");
  cls.def(
         "validate", [](const TrainConfig& c) { validate(c); },
         "Raises InvalidArgument for a non-positive batch, a NaN rate, and so on.")
      .def(
          "to_json", [](const TrainConfig& c) { return to_json(c); }, "The config as JSON text.")
      .def_static("from_json", &train_config_from_json, nb::arg("text"),
                  "Reads to_json's text (or `rbm info MODEL --config`'s); unknown keys are errors.")
      .def("copy", [](const TrainConfig& c) { return TrainConfig(c); })
      .def("__copy__", [](const TrainConfig& c) { return TrainConfig(c); })
      .def(
          "__deepcopy__", [](const TrainConfig& c, nb::handle) { return TrainConfig(c); },
          nb::arg("memo"))
      .def("__eq__",
           [](const TrainConfig& a, const TrainConfig& b) { return to_json(a) == to_json(b); })
      .def("__repr__",
           [](const TrainConfig& c) { return "TrainConfig.from_json('" + to_json(c) + "')"; })
      .def("__getstate__", [](const TrainConfig& c) { return std::make_tuple(to_json(c)); })
      .def("__setstate__", [](TrainConfig& c, const std::tuple<std::string>& state) {
        new (&c) TrainConfig(train_config_from_json(std::get<0>(state)));
      });
}

std::string metrics_repr(const EpochMetrics& e) {
  char text[256];
  std::snprintf(text, sizeof text,
                "EpochMetrics(model=%d, epoch=%d, reconstruction_error=%.6g, seconds=%.3g, "
                "batch_size=%d, cd_steps=%d, learning_rate=%.6g, momentum=%.6g%s)",
                e.model, e.epoch, e.reconstruction_error, e.seconds, e.batch_size, e.cd_steps,
                e.learning_rate, e.momentum, e.diverged ? ", diverged=True" : "");
  return text;
}

// ---- checkpoints -----------------------------------------------------------------------------
using State = TrainingCheckpoint::ModelState;

nb::bytes bytes_of(const std::vector<float>& v) {
  return nb::bytes(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}
std::vector<float> floats_of(const nb::bytes& b) {
  std::vector<float> v(b.size() / sizeof(float));
  if (!v.empty()) std::memcpy(v.data(), b.c_str(), v.size() * sizeof(float));
  return v;
}
using StateTuple =
    std::tuple<nb::bytes, nb::bytes, nb::bytes, nb::bytes, nb::bytes, std::uint64_t, std::uint64_t>;

nb::ndarray<nb::numpy, float> copy_of(const std::vector<float>& v) {
  return to_numpy(std::vector<float>(v), {v.size()});
}

void bind_checkpoint(nb::module_& m) {
  nb::class_<State>(m, "ModelState",
                    "What one model's training carries between steps (opaque except for counters).")
      .def_prop_ro(
          "optimizer", [](const State& s) { return copy_of(s.optimizer); }, nb::rv_policy::move,
          "Optimizer slots (a copy).")
      .def_prop_ro(
          "chains", [](const State& s) { return copy_of(s.chains); }, nb::rv_policy::move,
          "PCD chains [R·D] (a copy).")
      .def_ro("rng_offset", &State::rng_offset)
      .def_ro("steps", &State::steps)
      .def("__getstate__",
           [](const State& s) {
             return StateTuple(bytes_of(s.optimizer), bytes_of(s.chains), bytes_of(s.sparsity),
                               bytes_of(s.visible_offsets), bytes_of(s.hidden_offsets),
                               s.rng_offset, s.steps);
           })
      .def("__setstate__", [](State& s, const StateTuple& t) {
        new (&s) State();
        s.optimizer = floats_of(std::get<0>(t));
        s.chains = floats_of(std::get<1>(t));
        s.sparsity = floats_of(std::get<2>(t));
        s.visible_offsets = floats_of(std::get<3>(t));
        s.hidden_offsets = floats_of(std::get<4>(t));
        s.rng_offset = std::get<5>(t);
        s.steps = std::get<6>(t);
      });

  using CheckpointTuple = std::tuple<int, std::vector<TrainConfig>, std::vector<Model>,
                                     std::vector<State>, std::string>;
  nb::class_<TrainingCheckpoint>(
      m, "TrainingCheckpoint",
      R"(The whole state of a run after `epochs_done` epochs: Engine.resume continues it exactly as if
it had not stopped (same machine, same thread count). Lists are copies: assign to change them.)")
      .def_rw("epochs_done", &TrainingCheckpoint::epochs_done)
      .def_rw("configs", &TrainingCheckpoint::configs, "One TrainConfig per model.")
      .def_rw("models", &TrainingCheckpoint::models)
      .def_rw("states", &TrainingCheckpoint::states)
      .def_rw("note", &TrainingCheckpoint::note, "Free text for the caller.")
      .def("__repr__",
           [](const TrainingCheckpoint& c) {
             return "TrainingCheckpoint(epochs_done=" + std::to_string(c.epochs_done) +
                    ", models=" + std::to_string(c.models.size()) + ")";
           })
      .def("__getstate__",
           [](const TrainingCheckpoint& c) {
             return CheckpointTuple(c.epochs_done, c.configs, c.models, c.states, c.note);
           })
      .def("__setstate__", [](TrainingCheckpoint& c, const CheckpointTuple& t) {
        new (&c) TrainingCheckpoint();
        std::tie(c.epochs_done, c.configs, c.models, c.states, c.note) = t;
      });

  m.def(
      "save_checkpoint",
      [](const std::filesystem::path& path, const TrainingCheckpoint& checkpoint) {
        nb::gil_scoped_release release;
        save_checkpoint(path.string(), checkpoint);
      },
      nb::arg("path"), nb::arg("checkpoint"),
      "Writes a checkpoint file (safetensors), atomically.");
  m.def(
      "load_checkpoint",
      [](const std::filesystem::path& path) {
        nb::gil_scoped_release release;
        return load_checkpoint(path.string());
      },
      nb::arg("path"), "Reads a checkpoint file; raises IoError naming the file and the problem.");
}

}  // namespace

void bind_train(nb::module_& m) {
  bind_schedule(m);
  bind_config(m);
  nb::class_<EpochMetrics>(m, "EpochMetrics", "What one model reports after an epoch.")
      .def_ro("model", &EpochMetrics::model, "Index of the model.")
      .def_ro("epoch", &EpochMetrics::epoch, "1-based epoch.")
      .def_ro("reconstruction_error", &EpochMetrics::reconstruction_error,
              "Mean squared error of the one-step mean reconstruction.")
      .def_ro("seconds", &EpochMetrics::seconds, "Wall time of the epoch (all models).")
      .def_ro("batch_size", &EpochMetrics::batch_size)
      .def_ro("cd_steps", &EpochMetrics::cd_steps)
      .def_ro("learning_rate", &EpochMetrics::learning_rate)
      .def_ro("momentum", &EpochMetrics::momentum)
      .def_ro("graphs", &EpochMetrics::graphs, "CUDA: the steps ran through CUDA graphs.")
      .def_ro("diverged", &EpochMetrics::diverged, "The model blew up this epoch (drop_diverged).")
      .def("__repr__", &metrics_repr);
  bind_checkpoint(m);
  m.def(
      "init_model",
      [](nb::handle data, int n_hidden, const TrainConfig& config) {
        const Dataset dataset = to_dataset(data, "data");
        return init_model(dataset, n_hidden, config);
      },
      nb::arg("data"), nb::arg("n_hidden"), nb::arg("config") = TrainConfig(),
      "A fresh model for `data` (Dataset or array) with `n_hidden` hidden units of the config's "
      "unit types: W ~ N(0, init_weight_std²) from config.seed, c = 0, b from the data's means.");
}

}  // namespace rbm::python

// host/python/bind_estimators.cpp — likelihood beyond enumeration and sampling beyond plain
// Gibbs chains (rbm/estimators.hpp): AIS and reverse AIS of log Z, Engine.log_likelihood (exact
// or AIS), parallel tempering, and label posteriors of models with label units.
#include <nanobind/stl/string.h>
#include <nanobind/stl/variant.h>
#include <nanobind/stl/vector.h>

#include <cstdio>
#include <variant>

#include "host/python/bindings.hpp"

namespace rbm::python {
namespace {

template <typename T>
nb::ndarray<nb::numpy, T> array_of(const std::vector<T>& values) {
  return to_numpy(std::vector<T>(values), {values.size()});
}

std::vector<double> doubles_or_empty(nb::handle value, const char* what) {
  if (value.is_none()) return {};
  std::vector<long> shape{-1};
  return read_doubles(value, what, shape);
}

std::vector<float> floats_or_empty(nb::handle value, const char* what) {
  if (value.is_none()) return {};
  std::vector<long> shape{-1};
  return read_floats(value, what, shape);
}

/// Engine's AIS keywords.
AisOptions ais_options(
    int n_chains, int n_betas, nb::handle betas, nb::handle base_visible_bias, std::uint64_t seed) {
  AisOptions options;
  options.n_chains = n_chains;
  options.n_betas = n_betas;
  options.betas = doubles_or_empty(betas, "betas");
  options.base_visible_bias = floats_or_empty(base_visible_bias, "base_visible_bias");
  options.seed = seed;
  return options;
}

using OneOrMoreModels = std::variant<Model, std::vector<Model>>;

/// Runs `compute(models)` for one model or several; returns one result or a list.
template <typename Compute>
nb::object one_or_more(const OneOrMoreModels& given, Compute&& compute) {
  if (const auto* one = std::get_if<Model>(&given))
    return nb::cast(compute(std::vector<Model>{*one}).front());
  return nb::cast(compute(std::get<std::vector<Model>>(given)));
}

std::string likelihood_repr(const LikelihoodEstimate& e) {
  char text[300];
  std::snprintf(text, sizeof text,
                "LikelihoodEstimate(method='%s', mean_log_likelihood=%.10g, log_z=%.10g, "
                "log_z_error=%.3g%s)",
                to_string(e.method), e.mean_log_likelihood, e.log_z, e.log_z_error,
                e.has_bracket ? ", bracketed" : "");
  return text;
}

void bind_results(nb::module_& m) {
  nb::class_<AisResult>(m, "AisResult", "An AIS estimate of log Z.")
      .def_ro("log_z", &AisResult::log_z, "log Ẑ (tends to be low: E[Ẑ] = Z).")
      .def_ro("standard_error", &AisResult::standard_error, "Of log Ẑ (delta method).")
      .def_ro("effective_sample_size", &AisResult::effective_sample_size, "(Σ w)² / Σ w².")
      .def_ro("log_z_base", &AisResult::log_z_base, "log Z of the base-rate model, exact.")
      .def_prop_ro(
          "log_weights", [](const AisResult& r) { return array_of(r.log_weights); },
          nb::rv_policy::move)
      .def_ro("n_betas", &AisResult::n_betas)
      .def_ro("n_chains", &AisResult::n_chains)
      .def_ro("seconds", &AisResult::seconds)
      .def("__float__", [](const AisResult& r) { return r.log_z; })
      .def("__repr__", [](const AisResult& r) {
        char text[160];
        std::snprintf(text, sizeof text, "AisResult(log_z=%.10g, standard_error=%.3g, chains=%d)",
                      r.log_z, r.standard_error, r.n_chains);
        return std::string(text);
      });
  nb::class_<ReverseAisResult>(m, "ReverseAisResult",
                               "Reverse AIS from data rows: a stochastic lower bound.")
      .def_ro("mean_log_likelihood", &ReverseAisResult::mean_log_likelihood)
      .def_ro("standard_error", &ReverseAisResult::standard_error)
      .def_prop_ro(
          "row_log_likelihood",
          [](const ReverseAisResult& r) { return array_of(r.row_log_likelihood); },
          nb::rv_policy::move)
      .def_prop_ro(
          "row_free_energy", [](const ReverseAisResult& r) { return array_of(r.row_free_energy); },
          nb::rv_policy::move)
      .def_prop_ro(
          "log_weights",
          [](const ReverseAisResult& r) {
            const std::size_t per_row = std::max(r.chains_per_row, 1);
            return to_numpy(std::vector<double>(r.log_weights),
                            {r.log_weights.size() / per_row, per_row});
          },
          nb::rv_policy::move, "[rows, chains_per_row].")
      .def_ro("n_betas", &ReverseAisResult::n_betas)
      .def_ro("chains_per_row", &ReverseAisResult::chains_per_row)
      .def_ro("seconds", &ReverseAisResult::seconds);
  nb::class_<TemperingResult>(m, "TemperingResult", "Parallel tempering's samples and swap rates.")
      .def_prop_ro(
          "samples",
          [](const TemperingResult& r) {
            return to_numpy(std::vector<std::uint8_t>(r.samples.values),
                            {r.samples.n_samples, static_cast<std::size_t>(r.samples.n_visible)});
          },
          nb::rv_policy::move,
          "The β = 1 level's samples, uint8 [n, D], as Engine.sample returns them.")
      .def_prop_ro(
          "swap_rates", [](const TemperingResult& r) { return array_of(r.swap_rates); },
          nb::rv_policy::move, "[R - 1] accepted / attempted swaps between neighbouring levels.")
      .def_prop_ro(
          "betas", [](const TemperingResult& r) { return array_of(r.betas); }, nb::rv_policy::move);
  nb::class_<LikelihoodEstimate>(m, "LikelihoodEstimate",
                                 "A mean log-likelihood with the log Z it used (exact or AIS).")
      .def_prop_ro(
          "method", [](const LikelihoodEstimate& e) { return std::string(to_string(e.method)); },
          "'exact' or 'ais'.")
      .def_ro("log_z", &LikelihoodEstimate::log_z)
      .def_ro("log_z_error", &LikelihoodEstimate::log_z_error, "AIS standard error (0 when exact).")
      .def_ro("mean_log_likelihood", &LikelihoodEstimate::mean_log_likelihood)
      .def_ro("has_bracket", &LikelihoodEstimate::has_bracket)
      .def_ro("bracket_lower", &LikelihoodEstimate::bracket_lower, "Reverse AIS: the lower side.")
      .def_ro("bracket_lower_error", &LikelihoodEstimate::bracket_lower_error)
      .def_ro("bracket_upper", &LikelihoodEstimate::bracket_upper, "AIS on the same rows.")
      .def_ro("seconds", &LikelihoodEstimate::seconds)
      .def("__float__", [](const LikelihoodEstimate& e) { return e.mean_log_likelihood; })
      .def("__repr__", &likelihood_repr);

  m.def(
      "ais_schedule", [](int n_betas) { return array_of(ais_schedule(n_betas)); },
      nb::arg("n_betas"),
      "K + 1 inverse temperatures from 0 to 1, denser where the distributions change fastest "
      "(Salakhutdinov & Murray's shape).");
  m.def(
      "base_rate_bias",
      [](nb::handle data, const std::string& visible_type) {
        return array_of(base_rate_bias(to_dataset(data, "data"), parse_unit_type(visible_type)));
      },
      nb::arg("data"), nb::arg("visible_type") = "bernoulli",
      "Visible biases of the independent model with the data's column means (AIS's usual base).");
  m.def(
      "with_label_units",
      [](nb::handle data, const std::vector<int>& classes) {
        return with_label_units(to_dataset(data, "data"), classes);
      },
      nb::arg("data"), nb::arg("classes"),
      "The data with one more unit per class (one-hot labels) appended to every row; a model "
      "trained on it classifies with Engine.label_posteriors.");
}

}  // namespace

void bind_estimators(nb::module_& m, nb::class_<Engine>& engine) {
  bind_results(m);
  engine
      .def(
          "ais_log_z",
          [](Engine& e, const OneOrMoreModels& models, int n_chains, int n_betas, nb::handle betas,
             nb::handle base_visible_bias, std::uint64_t seed,
             const std::optional<ProgressFunction>& progress) {
            PythonCalls calls;
            AisOptions options = ais_options(n_chains, n_betas, betas, base_visible_bias, seed);
            options.progress = progress_function(calls, progress);
            return one_or_more(models, [&](const std::vector<Model>& ms) {
              return run_cancellable(calls, [&] { return e.ais_log_z(ms, options); });
            });
          },
          nb::arg("models"), nb::kw_only(), nb::arg("n_chains") = AisOptions().n_chains,
          nb::arg("n_betas") = AisOptions().n_betas, nb::arg("betas") = nb::none(),
          nb::arg("base_visible_bias") = nb::none(), nb::arg("seed") = 1,
          nb::arg("progress") = nb::none(),
          nb::sig("def ais_log_z(self, models: Model | Sequence[Model], *, n_chains: int = 100, "
                  "n_betas: int = 10000, betas: numpy.typing.ArrayLike | None = None, "
                  "base_visible_bias: numpy.typing.ArrayLike | None = None, seed: int = 1, "
                  "progress: Callable[[float], bool | None] | None = None) -> AisResult | "
                  "list[AisResult]"),
          "Annealed importance sampling of log Z (Salakhutdinov & Murray 2008): n_chains runs "
          "through n_betas distributions (or `betas`, 0 to 1) from a base-rate model with visible "
          "bias base_visible_bias (default 0; rbm.base_rate_bias(data) is the usual choice). One "
          "AisResult per model (a list for a list).")
      .def(
          "reverse_ais",
          [](Engine& e, const Model& model, nb::handle data, const std::vector<std::size_t>& rows,
             int n_chains, int n_betas, nb::handle betas, nb::handle base_visible_bias,
             std::uint64_t seed) {
            const DataHandle handle = resolve(e, data);
            const AisOptions options =
                ais_options(n_chains, n_betas, betas, base_visible_bias, seed);
            nb::gil_scoped_release release;
            return e.reverse_ais(model, handle, rows, options);
          },
          nb::arg("model"), nb::arg("data"), nb::arg("rows"), nb::kw_only(),
          nb::arg("n_chains") = AisOptions().n_chains, nb::arg("n_betas") = AisOptions().n_betas,
          nb::arg("betas") = nb::none(), nb::arg("base_visible_bias") = nb::none(),
          nb::arg("seed") = 1,
          "Reverse AIS (Burda et al. 2015) from the given rows of `data`, n_chains per row: a "
          "stochastic lower bound on their log-likelihood.")
      .def(
          "log_likelihood",
          [](Engine& e, const OneOrMoreModels& models, nb::handle data, const std::string& method,
             std::optional<int> max_log2_states, std::optional<double> max_seconds, int n_chains,
             int n_betas, nb::handle betas, nb::handle base_visible_bias, std::uint64_t seed,
             int bracket_rows, const std::optional<ProgressFunction>& progress) {
            PythonCalls calls;
            LikelihoodOptions options;
            options.method = parse_likelihood_method(method);
            options.exact.max_log2_states = max_log2_states;
            options.exact.max_seconds = max_seconds;
            options.exact.progress = progress_function(calls, progress);
            options.ais = ais_options(n_chains, n_betas, betas, base_visible_bias, seed);
            options.ais.progress = options.exact.progress;
            options.bracket_rows = bracket_rows;
            const DataHandle handle = resolve(e, data);
            return one_or_more(models, [&](const std::vector<Model>& ms) {
              return run_cancellable(calls, [&] { return e.log_likelihood(ms, handle, options); });
            });
          },
          nb::arg("models"), nb::arg("data"), nb::kw_only(), nb::arg("method") = "auto",
          nb::arg("max_log2_states") = nb::none(), nb::arg("max_seconds") = nb::none(),
          nb::arg("n_chains") = AisOptions().n_chains, nb::arg("n_betas") = AisOptions().n_betas,
          nb::arg("betas") = nb::none(), nb::arg("base_visible_bias") = nb::none(),
          nb::arg("seed") = 1, nb::arg("bracket_rows") = 0, nb::arg("progress") = nb::none(),
          nb::sig("def log_likelihood(self, models: Model | Sequence[Model], data: object, *, "
                  "method: str = 'auto', max_log2_states: int | None = None, "
                  "max_seconds: float | None = None, n_chains: int = 100, "
                  "n_betas: int = 10000, betas: numpy.typing.ArrayLike | None = None, "
                  "base_visible_bias: numpy.typing.ArrayLike | None = None, seed: int = 1, "
                  "bracket_rows: int = 0, progress: Callable[[float], bool | None] | None = None) "
                  "-> LikelihoodEstimate | list[LikelihoodEstimate]"),
          "Mean log-likelihood of `data` with log Z exact (method='exact', or 'auto' when "
          "within max_log2_states and max_seconds, as for log_z) or by AIS ('ais', or 'auto' "
          "beyond; the base model "
          "defaults to the data's base rate). bracket_rows > 0 adds reverse AIS on that many rows "
          "for a lower bound. Per-sample exact values: Engine.log_probabilities.")
      .def(
          "sample_tempered",
          [](Engine& e, const Model& model, int n_chains, int burn_in, int thinning,
             int samples_per_chain, std::uint64_t seed, nb::handle init, nb::handle clamped,
             int replicas, double min_beta, nb::handle betas, nb::handle base_visible_bias) {
            const SampleOptions options = sample_options(
                n_chains, burn_in, thinning, samples_per_chain, 1.0f, seed, init, clamped);
            TemperingLadder ladder;
            ladder.replicas = replicas;
            ladder.min_beta = min_beta;
            ladder.betas = doubles_or_empty(betas, "betas");
            ladder.base_visible_bias = floats_or_empty(base_visible_bias, "base_visible_bias");
            nb::gil_scoped_release release;
            return e.sample_tempered(model, options, ladder);
          },
          nb::arg("model"), nb::kw_only(), nb::arg("n_chains") = 16, nb::arg("burn_in") = 1000,
          nb::arg("thinning") = 1, nb::arg("samples_per_chain") = 1, nb::arg("seed") = 1,
          nb::arg("init") = nb::none(), nb::arg("clamped") = nb::none(),
          nb::arg("replicas") = TemperingLadder().replicas,
          nb::arg("min_beta") = TemperingLadder().min_beta, nb::arg("betas") = nb::none(),
          nb::arg("base_visible_bias") = nb::none(),
          "Parallel tempering: n_chains independent ladders of `replicas` levels from min_beta "
          "(geometric) or `betas` up to the model (β = 1), swapping neighbours' states.")
      .def(
          "label_posteriors",
          [](Engine& e, const Model& model, nb::handle pixels, const std::vector<int>& classes) {
            const Dataset rows = to_dataset(pixels, "pixels");
            std::vector<double> p;
            {
              nb::gil_scoped_release release;
              p = e.label_posteriors(model, rows, classes);
            }
            return to_numpy(std::move(p), {rows.n_samples, classes.size()});
          },
          nb::arg("model"), nb::arg("pixels"), nb::arg("classes"),
          "For a model trained on with_label_units data: p(class | pixels) of every row, exactly "
          "(the softmax of the label completions' -F), float64 [N, K].")
      .def(
          "label_activations",
          [](Engine& e, const Model& model, nb::handle pixels, const std::vector<int>& classes,
             int burn_in, int thinning, int samples_per_chain, std::uint64_t seed) {
            const Dataset rows = to_dataset(pixels, "pixels");
            const SampleOptions options =
                sample_options(static_cast<int>(rows.n_samples), burn_in, thinning,
                               samples_per_chain, 1.0f, seed, nb::none(), nb::none());
            std::vector<double> p;
            {
              nb::gil_scoped_release release;
              p = e.label_activations(model, rows, classes, options);
            }
            return to_numpy(std::move(p), {rows.n_samples, classes.size()});
          },
          nb::arg("model"), nb::arg("pixels"), nb::arg("classes"), nb::kw_only(),
          nb::arg("burn_in") = 100, nb::arg("thinning") = 1, nb::arg("samples_per_chain") = 100,
          nb::arg("seed") = 1,
          "The same by clamped Gibbs sampling (pixels clamped, label units free): each label "
          "unit's mean over the kept samples, float64 [N, K].");
}

}  // namespace rbm::python

// host/bm/machine.cpp — the Boltzmann machine as a value: coupling graphs and masks,
// validation, the energy, and the exact correspondence with an RBM of Bernoulli units.
#include <cmath>

#include "host/bm/bm_math.hpp"
#include "host/check.hpp"

namespace rbm {

const char* to_string(CouplingGraph graph) {
  switch (graph) {
    case CouplingGraph::full:
      return "full";
    case CouplingGraph::restricted:
      return "restricted";
    case CouplingGraph::semi_restricted:
      return "semi-restricted";
  }
  return "unknown";
}

CouplingGraph parse_coupling_graph(const std::string& text) {
  if (text == "full") return CouplingGraph::full;
  if (text == "restricted" || text == "rbm") return CouplingGraph::restricted;
  if (text == "semi-restricted") return CouplingGraph::semi_restricted;
  RBM_THROW(InvalidArgument, "unknown coupling graph '", text,
            "' (expected full, restricted (rbm) or semi-restricted)");
}

const char* to_string(BmSweep sweep) {
  return sweep == BmSweep::sequential ? "sequential" : "colour-classes";
}

BmSweep parse_bm_sweep(const std::string& text) {
  if (text == "colour-classes") return BmSweep::colour_classes;
  if (text == "sequential") return BmSweep::sequential;
  RBM_THROW(InvalidArgument, "unknown sweep order '", text,
            "' (expected colour-classes or sequential)");
}

std::vector<std::uint8_t> coupling_mask(CouplingGraph graph, int n_visible, int n_hidden) {
  RBM_EXPECTS(n_visible >= 0 && n_hidden >= 0 && n_visible + n_hidden >= 1,
              "a Boltzmann machine needs at least one unit, got D=", n_visible, " H=", n_hidden);
  const int n = n_visible + n_hidden;
  std::vector<std::uint8_t> mask(static_cast<std::size_t>(n) * n, 0);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const bool vi = i < n_visible, vj = j < n_visible;
      bool on = i != j;
      if (graph == CouplingGraph::restricted) on = on && vi != vj;
      if (graph == CouplingGraph::semi_restricted) on = on && (vi || vj);
      mask[static_cast<std::size_t>(i) * n + j] = on;
    }
  return mask;
}

BoltzmannMachine BoltzmannMachine::zeros(int n_visible, int n_hidden, CouplingGraph graph) {
  BoltzmannMachine m;
  m.mask = coupling_mask(graph, n_visible, n_hidden);
  m.n_visible = n_visible;
  m.n_units = n_visible + n_hidden;
  m.couplings.assign(m.mask.size(), 0.0f);
  m.bias.assign(m.n_units, 0.0f);
  return m;
}

void BoltzmannMachine::validate() const {
  RBM_EXPECTS(n_units >= 1 && n_visible >= 0 && n_visible <= n_units,
              "Boltzmann machine: bad sizes N=", n_units, " D=", n_visible);
  const std::size_t n = static_cast<std::size_t>(n_units);
  RBM_EXPECTS(couplings.size() == n * n && mask.size() == n * n && bias.size() == n,
              "Boltzmann machine: N=", n_units, " needs ", n * n,
              " couplings and mask entries and ", n, " biases; got ", couplings.size(), ", ",
              mask.size(), " and ", bias.size());
  for (std::size_t i = 0; i < n; ++i) {
    RBM_EXPECTS(std::isfinite(bias[i]), "Boltzmann machine: bias[", i, "] is ", bias[i]);
    RBM_EXPECTS(mask[i * n + i] == 0 && couplings[i * n + i] == 0.0f, "Boltzmann machine: unit ", i,
                " is coupled to itself (no self loops allowed)");
    for (std::size_t j = i + 1; j < n; ++j) {
      const float w = couplings[i * n + j];
      const std::uint8_t on = mask[i * n + j];
      RBM_EXPECTS(std::isfinite(w), "Boltzmann machine: coupling [", i, "][", j, "] is ", w);
      RBM_EXPECTS(on <= 1 && mask[j * n + i] == on, "Boltzmann machine: mask [", i, "][", j,
                  "] is not symmetric 0/1");
      RBM_EXPECTS(couplings[j * n + i] == w, "Boltzmann machine: couplings [", i, "][", j,
                  "] = ", w, " and [", j, "][", i, "] = ", couplings[j * n + i],
                  " differ (must be symmetric)");
      RBM_EXPECTS(on || w == 0.0f, "Boltzmann machine: coupling [", i, "][", j, "] = ", w,
                  " lies off the coupling mask");
    }
  }
}

double energy(const BoltzmannMachine& machine, const std::uint8_t* state) {
  const int n = machine.n_units;
  double e = 0;
  for (int i = 0; i < n; ++i) {
    if (!state[i]) continue;
    e -= machine.bias[i];
    for (int j = i + 1; j < n; ++j)
      if (state[j]) e -= machine.coupling(i, j);
  }
  return e;
}

Dataset BmSamples::visible() const {
  Dataset data;
  data.n_visible = n_visible;
  data.n_samples = n_samples();
  data.values.reserve(data.n_samples * n_visible);
  for (std::size_t r = 0; r < data.n_samples; ++r) {
    const std::uint8_t* row = states.data() + r * n_units;
    data.values.insert(data.values.end(), row, row + n_visible);
  }
  data.name = "boltzmann-samples";
  return data;
}

BoltzmannMachine boltzmann_from_rbm(const Model& model) {
  model.validate();
  RBM_EXPECTS(model.visible_type == UnitType::bernoulli && model.hidden_type == UnitType::bernoulli,
              "boltzmann_from_rbm: a Boltzmann machine has {0,1} units; the model's are ",
              to_string(model.visible_type), "/", to_string(model.hidden_type));
  const int D = model.n_visible, L = model.n_hidden, n = D + L;
  BoltzmannMachine m = BoltzmannMachine::zeros(D, L, CouplingGraph::restricted);
  for (int i = 0; i < D; ++i) {
    m.bias[i] = model.visible_bias[i];
    for (int j = 0; j < L; ++j) {
      m.couplings[static_cast<std::size_t>(i) * n + D + j] = model.weight(i, j);
      m.couplings[static_cast<std::size_t>(D + j) * n + i] = model.weight(i, j);
    }
  }
  for (int j = 0; j < L; ++j) m.bias[D + j] = model.hidden_bias[j];
  m.provenance = model.provenance;
  return m;
}

Model rbm_from_boltzmann(const BoltzmannMachine& machine) {
  machine.validate();
  const int D = machine.n_visible, L = machine.n_hidden(), n = machine.n_units;
  RBM_EXPECTS(D >= 1 && L >= 1,
              "rbm_from_boltzmann: an RBM needs visible and hidden units, got D=", D, " H=", L);
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j)
      RBM_EXPECTS((i < D) != (j < D) || machine.coupling(i, j) == 0.0f,
                  "rbm_from_boltzmann: units ", i, " and ", j, " of one layer are coupled (",
                  machine.coupling(i, j), "); an RBM has couplings between the layers only");
  Model model = Model::zeros(D, L);
  for (int i = 0; i < D; ++i) {
    model.visible_bias[i] = machine.bias[i];
    for (int j = 0; j < L; ++j)
      model.weights[static_cast<std::size_t>(i) * L + j] = machine.coupling(i, D + j);
  }
  for (int j = 0; j < L; ++j) model.hidden_bias[j] = machine.bias[D + j];
  model.provenance = machine.provenance;
  return model;
}

namespace detail::bm {

Params::Params(const BoltzmannMachine& machine)
    : n_units(machine.n_units),
      n_visible(machine.n_visible),
      couplings(machine.couplings.begin(), machine.couplings.end()),
      bias(machine.bias.begin(), machine.bias.end()) {}

std::vector<int> sweep_order(const BoltzmannMachine& machine, int first_unit) {
  const int n = machine.n_units;
  std::vector<int> colour(n, -1);
  int n_colours = 0;
  for (int k = first_unit; k < n; ++k) {
    std::vector<bool> taken(n_colours + 1, false);
    for (int j = first_unit; j < k; ++j)
      if (machine.coupled(k, j)) taken[colour[j]] = true;
    int c = 0;
    while (taken[c]) ++c;
    colour[k] = c;
    n_colours = std::max(n_colours, c + 1);
  }
  std::vector<int> order;
  for (int c = 0; c < n_colours; ++c)
    for (int k = first_unit; k < n; ++k)
      if (colour[k] == c) order.push_back(k);
  return order;
}

void gibbs_sweep(const Params& params,
                 const std::vector<int>& order,
                 double temperature,
                 std::uint8_t* state,
                 const SweepUniforms& uniforms) {
  const int n = params.n_units;
  for (const int k : order) {
    const double* w = params.row(k);
    double field = params.bias[k];
    for (int j = 0; j < n; ++j)
      if (state[j]) field += w[j];
    const double p_on = 1.0 / (1.0 + std::exp(-field / temperature));
    const float u =
        random_uniform(uniforms.seed, uniforms.stream, uniforms.substream, uniforms.base + k);
    state[k] = u < p_on;
  }
}

void run_chains(const Params& params,
                const std::vector<int>& order,
                std::uint8_t* states,
                std::size_t count,
                int sweeps,
                const SweepUniforms& uniforms,
                ThreadPool& pool) {
  const std::size_t n = params.n_units;
  pool.parallel_for(count, [&](std::size_t c0, std::size_t c1) {
    for (std::size_t c = c0; c < c1; ++c)
      for (int t = 0; t < sweeps; ++t) {
        SweepUniforms u = uniforms;
        u.base += (static_cast<std::uint64_t>(t) * count + c) * n;
        gibbs_sweep(params, order, 1.0, states + c * n, u);
      }
  });
}

void uniform_start(std::uint8_t* states,
                   std::size_t count,
                   int n_units,
                   int first_unit,
                   std::uint64_t seed,
                   std::uint32_t substream) {
  for (std::size_t c = 0; c < count; ++c)
    for (int k = first_unit; k < n_units; ++k)
      states[c * n_units + k] =
          random_uniform(seed, RandomStream::init, substream, c * n_units + k) < 0.5f;
}

void add_products(const std::uint8_t* state, int n_units, double* sums) {
  for (int i = 0; i < n_units; ++i) {
    if (!state[i]) continue;
    double* row = sums + static_cast<std::size_t>(i) * n_units;
    for (int j = i; j < n_units; ++j) row[j] += state[j];
  }
}

std::vector<double> mean_products(const std::vector<double>& upper_sums, int n_units, double rows) {
  std::vector<double> mean(upper_sums.size());
  const std::size_t n = static_cast<std::size_t>(n_units);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i; j < n; ++j)
      mean[i * n + j] = mean[j * n + i] = upper_sums[i * n + j] / rows;
  return mean;
}

BmGradient gradient_from_moments(const BoltzmannMachine& machine,
                                 const std::vector<double>& positive,
                                 const std::vector<double>& negative) {
  const std::size_t n = machine.n_units;
  BmGradient g;
  g.couplings.assign(n * n, 0.0);
  g.bias.assign(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    g.bias[i] = positive[i * n + i] - negative[i * n + i];
    for (std::size_t j = 0; j < n; ++j)
      if (machine.mask[i * n + j])
        g.couplings[i * n + j] = positive[i * n + j] - negative[i * n + j];
  }
  return g;
}

}  // namespace detail::bm
}  // namespace rbm

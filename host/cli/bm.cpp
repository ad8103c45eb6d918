// host/cli/bm.cpp — `rbm bm train|eval|sample`: the general Boltzmann machine (CPU only) with
// the training options of `rbm train` where they apply (optimizers, schedules, decays, batch,
// seed: --cd K is CD-k from the clamped states, --pcd K persistent free chains), exact
// log-likelihood learning curves while it has few enough units, and annealed sampling.
#include "host/cli/cli.hpp"

namespace rbm::cli {
namespace {

/// Keys of a Boltzmann machine's run configuration besides a RunConfig's.
constexpr const char* kGraphKey = "graph";
constexpr const char* kClampedSweepsKey = "clamped_sweeps";
constexpr const char* kPersistentClampedKey = "persistent_clamped";

void require_cpu(const CommonOptions& common) {
  if (common.backend == "cuda")
    throw InvalidArgument(
        "rbm bm runs on the CPU only (general Boltzmann machines have no CUDA backend; their "
        "sequential Gibbs sweeps are small): use --backend cpu or auto");
}

struct BmRunConfig {
  RunConfig run;  ///< data, hidden, and the TrainConfig
  CouplingGraph graph = CouplingGraph::full;
  BmTrainConfig bm;
};

json to_json(const BmRunConfig& c) {
  json j = json::parse(rbm::to_json(c.run));
  j.erase("models");
  j[kGraphKey] = rbm::to_string(c.graph);
  j[kClampedSweepsKey] = c.bm.clamped_sweeps;
  j[kPersistentClampedKey] = c.bm.persistent_clamped;
  return j;
}

BmRunConfig resolve(const RunConfigOptions& options) {
  json j = options.merged();
  BmRunConfig c;
  BmTrainConfig defaults;
  json bm_keys = {
      {kClampedSweepsKey, j.value(kClampedSweepsKey, json(defaults.clamped_sweeps))},
      {kPersistentClampedKey, j.value(kPersistentClampedKey, json(defaults.persistent_clamped))}};
  if (j.contains(kGraphKey)) c.graph = parse_coupling_graph(j.at(kGraphKey).get<std::string>());
  for (const char* key : {kGraphKey, kClampedSweepsKey, kPersistentClampedKey}) j.erase(key);
  c.run = run_config_from_json(j.dump());
  if (c.run.models != 1) throw InvalidArgument("rbm bm trains one machine at a time (--models 1)");
  if (c.run.hidden < 0) throw InvalidArgument("--hidden must be >= 0 for a Boltzmann machine");
  c.bm = bm_train_config_from_json(bm_keys.dump());
  c.bm.train = c.run.train;
  validate(c.bm);
  return c;
}

// ---- rbm bm train ----------------------------------------------------------------------------
struct TrainCommand {
  CommonOptions common;
  RunConfigOptions run;
  std::string out = "bm.safetensors", valid, curves;
  int eval_every = 0;
  BmExactOptions exact;
  bool csv = false, quiet = false;
};

/// Exact log-likelihoods of the training (and held-out) data every `every` epochs, while the
/// machine's 2^N states are few enough; training and evaluation times kept apart.
class Curves {
 public:
  Curves(const TrainCommand& o, const Dataset& train, const Dataset* valid, int n_units)
      : o_(o), train_(train), valid_(valid), exact_(n_units <= o.exact.max_units) {
    if (o.eval_every > 0 && !exact_)
      note(format("%d units: beyond --max-units %d, no exact log-likelihoods are evaluated",
                  n_units, o.exact.max_units));
  }

  void epoch_done(const BmEpochMetrics& m, const BoltzmannMachine& machine, int epochs) {
    train_seconds_ += m.seconds;
    if (o_.common.json_output)
      print(o_.common,
            {{"event", "epoch"},
             {"epoch", m.epoch},
             {"seconds", m.seconds},
             {"batch_size", m.batch_size},
             {"free_sweeps", m.free_sweeps},
             {"learning_rate", m.learning_rate},
             {"momentum", m.momentum}},
            "");
    if (o_.eval_every <= 0 || (m.epoch % o_.eval_every != 0 && m.epoch != epochs)) return;
    const auto start = Clock::now();
    json row = {{"event", "eval"}, {"epoch", m.epoch}, {"train_seconds", train_seconds_}};
    if (exact_) {
      row["train_ll"] = bm_mean_log_likelihood(machine, train_, o_.exact);
      if (valid_) row["valid_ll"] = bm_mean_log_likelihood(machine, *valid_, o_.exact);
    }
    row["eval_seconds"] = seconds_since(start);
    rows_.push_back(row);
    if (o_.common.json_output)
      print(o_.common, row, "");
    else if (!o_.quiet)
      note(format("epoch %d: %s(%.2f s training so far)", m.epoch,
                  row.contains("train_ll")
                      ? format("exact log-likelihood %.4f ", row["train_ll"].get<double>()).c_str()
                      : "",
                  train_seconds_));
  }

  void write(const std::string& prefix) const {
    if (rows_.empty()) return;
    write_numbers(prefix + ".metrics", rows_, o_.csv);
    if (!exact_) return;
    if (!plots_available()) {
      note("plots are not built (PLplot missing): wrote the numbers only");
      return;
    }
    std::vector<Series> series;
    for (const char* key : {"train_ll", "valid_ll"}) {
      Series s;
      s.label = std::string(key) == "train_ll" ? "training" : "held-out";
      s.markers = true;
      for (const json& row : rows_)
        if (row.contains(key)) {
          s.x.push_back(row["epoch"].get<double>());
          s.y.push_back(row[key].get<double>());
        }
      if (!s.x.empty()) series.push_back(s);
    }
    PlotOptions plot;
    plot.title = "Boltzmann machine learning curve";
    plot.x_label = "epoch";
    plot.y_label = "exact mean log-likelihood (nats)";
    write_line_plot(prefix + ".loglik.png", series, plot);
  }

 private:
  const TrainCommand& o_;
  const Dataset& train_;
  const Dataset* valid_;
  bool exact_;
  double train_seconds_ = 0;
  std::vector<json> rows_;
};

int run_train(TrainCommand& o) {
  require_cpu(o.common);
  const auto start = Clock::now();
  const BmRunConfig config = resolve(o.run);
  if (config.run.data.empty()) throw InvalidArgument("no data: give --data SPEC or a config file");
  const Dataset data = load_dataset(config.run.data);
  Dataset valid;
  if (!o.valid.empty()) valid = load_dataset(o.valid);
  const int n_hidden = config.run.hidden;
  const BoltzmannMachine initial = init_boltzmann(
      data, n_hidden, coupling_mask(config.graph, data.n_visible, n_hidden), config.run.train);
  print(o.common,
        {{"event", "start"},
         {"config", to_json(config)},
         {"n_samples", data.n_samples},
         {"backend", "cpu"}},
        format("training a Boltzmann machine of %d visible + %d hidden units (%s graph) on '%s' "
               "(%zu samples), "
               "%s-%s, %s lr %s, %d epochs",
               data.n_visible, n_hidden, rbm::to_string(config.graph), config.run.data.c_str(),
               data.n_samples, config.run.train.persistent ? "PCD" : "CD",
               config.run.train.cd_steps.to_string().c_str(),
               rbm::to_string(config.run.train.optimizer),
               config.run.train.learning_rate.to_string().c_str(), config.run.train.epochs));
  Curves curves(o, data, o.valid.empty() ? nullptr : &valid, initial.n_units);
  BmTrainOptions options;
  options.threads = o.common.threads;
  options.on_epoch = [&](const BmEpochMetrics& m, const BoltzmannMachine& machine) {
    curves.epoch_done(m, machine, config.run.train.epochs);
    return true;
  };
  BoltzmannMachine trained;
  try {
    trained = train_boltzmann(initial, config.bm, data, options);
  } catch (const Diverged& e) {
    note(std::string("error: ") + e.what() + "; nothing was saved");
    return kExitDiverged;
  }
  const auto [height, width] = image_shape(data);
  trained.provenance =
      json{{"config", to_json(config)}, {"data", config.run.data}, {"image_height", height},
           {"image_width", width},      {"backend", "cpu"},        {"rbm_version", version()}}
          .dump();
  save_boltzmann(o.out, trained);
  curves.write(o.curves.empty() ? stem_of(o.out) : o.curves);
  print(o.common, {{"event", "saved"}, {"out", o.out}, {"seconds", seconds_since(start)}},
        format("saved %s (%.2f s)", o.out.c_str(), seconds_since(start)));
  return 0;
}

// ---- rbm bm eval -----------------------------------------------------------------------------
struct EvalCommand {
  CommonOptions common;
  std::string model, data;
  BmExactOptions exact;
};

int run_eval(const EvalCommand& o) {
  require_cpu(o.common);
  const auto start = Clock::now();
  const BoltzmannMachine machine = load_boltzmann(o.model);
  BmExactOptions exact = o.exact;
  exact.threads = o.common.threads;
  const double log_z = bm_log_z(machine, exact);
  json record = {{"log_z", log_z},
                 {"n_units", machine.n_units},
                 {"n_visible", machine.n_visible},
                 {"log2_states", machine.n_units},
                 {"backend", "cpu"}};
  std::string text = format("log Z = %.10g (2^%d states)", log_z, machine.n_units);
  if (!o.data.empty()) {
    const Dataset data = load_dataset(o.data);
    const double ll = bm_mean_log_likelihood(machine, data, exact);
    record.update({{"data", o.data}, {"n_samples", data.n_samples}, {"log_likelihood", ll}});
    text += format("   exact mean log-likelihood = %.10g nats (%zu samples)", ll, data.n_samples);
  }
  record["seconds"] = seconds_since(start);
  print(o.common, record, text + format("   (%.2f s)", seconds_since(start)));
  return 0;
}

// ---- rbm bm sample ---------------------------------------------------------------------------
struct SampleCommand {
  CommonOptions common;
  std::string model, png = "bm_samples.png", temperature = "1";
  BmSampleOptions sample;
  int scale = 3;
  bool csv = false;
};

int run_sample(SampleCommand& o) {
  require_cpu(o.common);
  const BoltzmannMachine machine = load_boltzmann(o.model);
  BmSampleOptions options = o.sample;
  options.temperature = Schedule::parse(o.temperature);
  options.threads = o.common.threads;
  const BmSamples samples = bm_sample(machine, options);
  const Dataset visible = samples.visible();
  Model shape_only;
  shape_only.n_visible = machine.n_visible;
  shape_only.provenance = machine.provenance;
  const auto [height, width] = image_shape(shape_only);
  if (machine.n_visible > 0) {
    ImageGridOptions grid;
    grid.columns = options.samples_per_chain > 1 ? options.samples_per_chain : 0;
    grid.scale = o.scale;
    write_image_grid(o.png, std::vector<float>(visible.values.begin(), visible.values.end()),
                     static_cast<int>(visible.n_samples), height, width, grid);
  }
  std::vector<json> rows;
  double lowest = INFINITY;
  for (std::size_t r = 0; r < samples.n_samples(); ++r) {
    std::string bits(machine.n_units, '0');
    for (int i = 0; i < machine.n_units; ++i)
      bits[i] = samples.states[r * machine.n_units + i] ? '1' : '0';
    rows.push_back({{"chain", r / options.samples_per_chain},
                    {"sample", r % options.samples_per_chain},
                    {"energy", samples.energies[r]},
                    {"bits", bits}});
    lowest = std::min(lowest, samples.energies[r]);
  }
  write_numbers(stem_of(o.png), rows, o.csv);
  print(o.common,
        {{"event", "sample"},
         {"png", o.png},
         {"samples", samples.n_samples()},
         {"lowest_energy", lowest},
         {"temperature", o.temperature},
         {"sweep", rbm::to_string(options.sweep)}},
        format("wrote %s and %s.jsonl: %zu samples, lowest energy %.6g (temperature %s)",
               o.png.c_str(), stem_of(o.png).c_str(), samples.n_samples(), lowest,
               o.temperature.c_str()));
  return 0;
}

void add_max_units(CLI::App* cmd, BmExactOptions& exact) {
  cmd->add_option("--max-units", exact.max_units, "enumerate at most 2^N states for exact sums")
      ->capture_default_str();
}

}  // namespace

Runner add_bm(CLI::App& app) {
  CLI::App* bm =
      app.add_subcommand("bm", "general Boltzmann machines (CPU only): train, eval, sample");
  bm->require_subcommand(1);

  auto t = std::make_shared<TrainCommand>();
  CLI::App* train = bm->add_subcommand("train",
                                       "Boltzmann machine learning: clamped and free Gibbs phases, "
                                       "rbm train's optimizers and schedules");
  add_common(train, t->common);
  add_run_config_options(train, t->run);
  RunConfigOptions& run = t->run;
  train
      ->add_option_function<std::string>(
          "--graph", [&run](const std::string& g) { run.overrides[kGraphKey] = g; },
          "couplings: full | restricted (rbm) | semi-restricted (default full)")
      ->check(CLI::IsMember({"full", "restricted", "rbm", "semi-restricted"}));
  train->add_option_function<int>(
      "--clamped-sweeps", [&run](int k) { run.overrides[kClampedSweepsKey] = k; },
      "Gibbs sweeps over the hidden units with v clamped, per row and step (default 5)");
  train->add_flag_function(
      "--fresh-clamped", [&run](std::int64_t) { run.overrides[kPersistentClampedKey] = false; },
      "start each clamped phase from uniform hidden states (default: each row's persistent state)");
  train->add_option("--out", t->out, "machine file (safetensors)")->capture_default_str();
  train->add_option(
      "--eval-every", t->eval_every,
      "every N epochs: exact log-likelihood (while N units <= --max-units), written as "
      "OUT.metrics.jsonl and drawn as OUT.loglik.png");
  train->add_option("--valid", t->valid, "held-out dataset spec for --eval-every");
  train->add_option("--curves", t->curves, "prefix of the learning-curve files (default: OUT)");
  train->add_flag("--csv", t->csv, "also write the learning-curve numbers as CSV");
  train->add_flag("--quiet", t->quiet, "no progress output");
  add_max_units(train, t->exact);

  auto e = std::make_shared<EvalCommand>();
  CLI::App* eval = bm->add_subcommand("eval", "exact log Z and mean log-likelihood by enumeration");
  add_common(eval, e->common);
  eval->add_option("--model", e->model, "machine file")->required();
  eval->add_option("--data", e->data, "dataset spec (optional: log Z alone without it)");
  add_max_units(eval, e->exact);

  auto s = std::make_shared<SampleCommand>();
  CLI::App* sample = bm->add_subcommand(
      "sample", "Gibbs chains with a temperature schedule (simulated annealing)");
  add_common(sample, s->common);
  sample->add_option("--model", s->model, "machine file")->required();
  sample->add_option("--chains", s->sample.n_chains, "independent chains")->capture_default_str();
  sample->add_option("--burn-in", s->sample.burn_in, "sweeps before the first kept sample")
      ->capture_default_str();
  sample->add_option("--thinning", s->sample.thinning, "sweeps between kept samples")
      ->capture_default_str();
  sample->add_option("--samples-per-chain", s->sample.samples_per_chain, "samples kept per chain")
      ->capture_default_str();
  sample
      ->add_option("--temperature", s->temperature,
                   "T or a schedule over the burn-in, e.g. exp:10:0.05 anneals (samples are kept "
                   "at its last value)")
      ->capture_default_str();
  sample
      ->add_option_function<std::string>(
          "--sweep", [s](const std::string& text) { s->sample.sweep = parse_bm_sweep(text); },
          "order of the units in a sweep: colour-classes (default) | sequential (index order)")
      ->check(CLI::IsMember({"colour-classes", "sequential"}));
  sample->add_option("--seed", s->sample.seed, "random seed")->capture_default_str();
  sample
      ->add_option("--png", s->png,
                   "picture of the visible units; the numbers go next to it (.jsonl)")
      ->capture_default_str();
  sample->add_option("--scale", s->scale, "pixels per image pixel")->capture_default_str();
  sample->add_flag("--csv", s->csv, "also write the numbers as CSV");

  return [bm, train, eval, sample, t, e, s] {
    if (!bm->parsed()) return -1;
    if (train->parsed()) return run_train(*t);
    if (eval->parsed()) return run_eval(*e);
    return run_sample(*s);
  };
}

}  // namespace rbm::cli

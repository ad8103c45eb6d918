// host/cli/cli.hpp — what the `rbm` subcommands share: options every command takes, the engine
// they run on, output (text for people, one JSON object per line with --json), the run
// configuration of `rbm train` as it is stored in model files, and interruption by Ctrl-C.
#pragma once
#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "rbm/rbm.hpp"
#include "rbm/run_config.hpp"

namespace rbm::cli {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

/// Exit codes beyond 0 (success) and 1 (an error): 3 training diverged, 130 interrupted.
constexpr int kExitDiverged = 3;
constexpr int kExitInterrupted = 130;

double seconds_since(Clock::time_point start);

/// --backend, --json, --threads, taken by every command.
struct CommonOptions {
  std::string backend = "auto";
  bool json_output = false;
  int threads = 0;
};
void add_common(CLI::App* command, CommonOptions& common);
Engine make_engine(const CommonOptions& common);

/// Prints `record` as one JSON line (--json) or `text` for people, on stdout.
void print(const CommonOptions& common, const json& record, const std::string& text);
/// A line of progress on stderr (never stdout, which scripts parse); rank 0's only under mpirun.
void note(const std::string& text);
std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

/// A run configuration (rbm/run_config.hpp) as a JSON object, for output records.
json as_json(const RunConfig& config);
/// The run configuration a model file records (from its provenance), or throws IoError.
RunConfig run_config_of(const Model& model, const std::string& path);

/// The options that set run-configuration keys (--data, --hidden, --cd, --lr, ...) and
/// --config FILE; `rbm train`, `rbm sweep` share them. Options given record their keys in
/// `overrides`; resolve() applies defaults, then the file, then the command line.
struct RunConfigOptions {
  std::string config_file;
  json overrides = json::object();
  RunConfig resolve() const;
  /// The config file's keys with the command line's over them, unchecked (for commands that
  /// add keys of their own).
  json merged() const;
};
void add_run_config_options(CLI::App* command, RunConfigOptions& options);

/// How a command obtains log-likelihoods (rbm::LikelihoodOptions): --method exact|ais|auto,
/// exact log Z's limits --max-seconds S (a time budget estimated from the backend's rate) and
/// --max-log2-states N (given alone it replaces the time budget; auto switches to AIS beyond the
/// limits), --chains, --betas, --ais-seed, and (commands that only evaluate: logz, eval)
/// --bracket ROWS and the short names --chains, --betas, --seed.
struct LikelihoodCli {
  std::string method = "auto";
  double max_seconds = 0;                        ///< 0: not given
  int max_log2_states = 0;                       ///< 0: not given
  double default_seconds = kDefaultLogZSeconds;  ///< the time budget when neither is given
  int chains = 100, betas = 10000, bracket_rows = 0;
  std::uint64_t seed = 1;
  /// The library's options, with progress lines on stderr for long runs.
  LikelihoodOptions options() const;
};
/// Which of the likelihood options a command takes: one that trains (its own --chains and
/// --seed are PCD's: the AIS ones are --ais-*), `logz` (short names), or one that evaluates
/// data (short names and --bracket).
enum class LikelihoodFlags { training, logz, data };
void add_likelihood_options(CLI::App* command, LikelihoodCli& o, LikelihoodFlags flags);
/// Exact log Z's figures as JSON fields: log_z, method, enumerated, log2_states, states,
/// pairs, pairs_per_s, seconds.
json logz_json(const LogZResult& r);
/// A log-likelihood estimate as JSON fields: logz_json's (exact) or method, log_z, log_z_error
/// (AIS), and the bracket when computed.
json likelihood_json(const LikelihoodEstimate& e);
/// A line of progress on stderr every few seconds, with an ETA, for LogZOptions and AisOptions.
std::function<bool(double)> progress_printer(const std::string& what);

/// The classes of a model trained with --labels-as-visible (its last K visible units), from
/// its provenance; empty for other models.
std::vector<int> label_classes(const Model& model);
/// `data` as the model's visible layer: labelled pixels get the model's label units
/// (with_label_units) when the model has them; other data is returned as it is.
Dataset visible_data(const Model& model, const Dataset& data);

/// The image shape of a model's data (recorded at training), else a square, else 1×D.
std::pair<int, int> image_shape(const Model& model);
/// The image shape of a dataset, else as above for its width.
std::pair<int, int> image_shape(const Dataset& data);

/// Writes the numbers behind a picture: `rows` as JSON lines to `stem`.jsonl and, when `csv`,
/// the same rows' scalar fields as `stem`.csv (columns: the union of keys, in first-seen order).
void write_numbers(const std::string& stem, const std::vector<json>& rows, bool csv);
/// "dir/name.png" → "dir/name".
std::string stem_of(const std::string& path);
/// Loads model `index` of a model file (several models: --index picks one).
Model load_one_model(const std::string& path, int index);

/// Ctrl-C (SIGINT) and SIGTERM for long commands: the first asks the command to stop at its next
/// safe point (stop_requested(): training after the current epoch, exact log Z between chunks)
/// and prints `first_note`; a second exits at once (status 130) — unless a file is being
/// written, in which case it exits as soon as the write is complete, so that no partial file is
/// ever left behind.
class Interrupts {
 public:
  static constexpr const char* kTrainingNote =
      "stopping after this epoch (a checkpoint is written); press Ctrl-C again to quit at once";
  static constexpr const char* kLogZNote =
      "stopping exact log Z; press Ctrl-C again to quit at once";
  /// Installs the handlers; `first_note` (a string literal) is printed on the first signal.
  explicit Interrupts(const char* first_note);
  static const std::atomic<bool>& stop_requested();
  /// Held while a file is written (a second signal then waits for it).
  class Writing {
   public:
    Writing();
    ~Writing();
    Writing(const Writing&) = delete;
    Writing& operator=(const Writing&) = delete;
  };
};

/// A subcommand's runner, called when its subcommand was parsed.
using Runner = std::function<int()>;
Runner add_train(CLI::App& app);
Runner add_eval(CLI::App& app);
Runner add_logz(CLI::App& app);
Runner add_info(CLI::App& app);
Runner add_search(CLI::App& app);
Runner add_sweep(CLI::App& app);
Runner add_sample(CLI::App& app);
Runner add_reconstruct(CLI::App& app);
Runner add_denoise(CLI::App& app);
Runner add_filters(CLI::App& app);
Runner add_hidden_stats(CLI::App& app);
Runner add_plot(CLI::App& app);
Runner add_inpaint(CLI::App& app);
Runner add_classify(CLI::App& app);
Runner add_transform(CLI::App& app);
Runner add_bm(CLI::App& app);
Runner add_dbn(CLI::App& app);

}  // namespace rbm::cli

// host/cli/common.cpp — options, output and the run configuration shared by the subcommands.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "host/cli/cli.hpp"

namespace rbm::cli {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void add_common(CLI::App* command, CommonOptions& common) {
  command->add_option("--backend", common.backend, "auto | cpu | cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->capture_default_str();
  command->add_flag("--json", common.json_output, "one JSON object per line on stdout");
  command->add_option("--threads", common.threads, "CPU threads (0 = all)");
}

Engine make_engine(const CommonOptions& common) {
  EngineOptions options;
  options.cpu_threads = common.threads;
  return Engine(parse_backend_kind(common.backend), options);
}

void print(const CommonOptions& common, const json& record, const std::string& text) {
  if (common.json_output)
    std::cout << record.dump() << std::endl;
  else
    std::cout << text << std::endl;
}

void note(const std::string& text) {
  std::cerr << "rbm: " << text << std::endl;
}

std::string format(const char* fmt, ...) {
  char buffer[1024];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buffer, sizeof buffer, fmt, args);
  va_end(args);
  return buffer;
}

// ---- RunConfig -------------------------------------------------------------------------------
json as_json(const RunConfig& config) {
  return json::parse(to_json(config));
}

RunConfig run_config_of(const Model& model, const std::string& path) {
  try {
    const json provenance = json::parse(model.provenance);
    if (provenance.contains("config")) return run_config_from_json(provenance.at("config").dump());
  } catch (const std::exception& e) {
    throw IoError("'" + path + "': its provenance is not a run configuration: " + e.what());
  }
  throw IoError("'" + path + "' records no run configuration (made by an older rbm?)");
}

// ---- log-likelihoods -------------------------------------------------------------------------
std::function<bool(double)> progress_printer(const std::string& what) {
  auto start = Clock::now();
  auto last = start;
  return [what, start, last](double fraction) mutable {
    if (seconds_since(last) >= 2.0) {
      last = Clock::now();
      const double elapsed = seconds_since(start);
      note(format("%s %5.1f%% done, %.0f s elapsed, ~%.0f s left", what.c_str(), 100 * fraction,
                  elapsed, fraction > 0 ? elapsed * (1 - fraction) / fraction : 0.0));
    }
    return !Interrupts::stop_requested();
  };
}

LikelihoodOptions LikelihoodCli::options() const {
  LikelihoodOptions o;
  o.method = parse_likelihood_method(method);
  if (max_seconds > 0) o.exact.max_seconds = max_seconds;
  if (max_log2_states > 0) o.exact.max_log2_states = max_log2_states;
  if (max_seconds <= 0 && max_log2_states <= 0) o.exact.max_seconds = default_seconds;
  o.exact.progress = progress_printer("log Z");
  o.ais.n_chains = chains;
  o.ais.n_betas = betas;
  o.ais.seed = seed;
  o.ais.progress = progress_printer("AIS");
  o.bracket_rows = bracket_rows;
  return o;
}

void add_likelihood_options(CLI::App* command, LikelihoodCli& o, LikelihoodFlags flags) {
  const bool evaluation = flags != LikelihoodFlags::training;
  command->add_option("--method", o.method, "log Z: exact, ais, or auto (exact when affordable)")
      ->check(CLI::IsMember({"exact", "ais", "auto"}))
      ->capture_default_str();
  command
      ->add_option("--max-seconds", o.max_seconds,
                   "exact log Z: at most what is estimated to take S seconds (default " +
                       format("%g", o.default_seconds) +
                       " when no limit is given; auto: AIS beyond, exact: refused)")
      ->check(CLI::PositiveNumber);
  command
      ->add_option("--max-log2-states", o.max_log2_states,
                   "exact log Z: at most 2^N states (given alone, it replaces the time limit)")
      ->check(CLI::Range(1, 62));
  // Commands that train have their own --chains and --seed (PCD's): there only the AIS names.
  command
      ->add_option(evaluation ? "--chains,--ais-chains" : "--ais-chains", o.chains,
                   "AIS: annealing chains")
      ->capture_default_str();
  command
      ->add_option(evaluation ? "--betas,--ais-betas" : "--ais-betas", o.betas,
                   "AIS: intermediate distributions")
      ->capture_default_str();
  command->add_option(evaluation ? "--seed,--ais-seed" : "--ais-seed", o.seed, "AIS: seed")
      ->capture_default_str();
  if (flags == LikelihoodFlags::data)
    command->add_option("--bracket", o.bracket_rows,
                        "AIS: also reverse AIS from this many data rows (the lower side)");
}

json logz_json(const LogZResult& r) {
  return {{"log_z", r.log_z},
          {"method", "exact"},
          {"enumerated", r.enumerated_hidden ? "hidden" : "visible"},
          {"log2_states", r.log2_states},
          {"states", r.states},
          {"pairs", r.pairs},
          {"pairs_per_s", r.pairs_per_second()},
          {"seconds", r.seconds}};
}

json likelihood_json(const LikelihoodEstimate& e) {
  json j = {{"method", rbm::to_string(e.method)}, {"log_z", e.log_z}};
  if (e.method == LikelihoodMethod::exact) {
    j = logz_json(e.exact);
    j.erase("seconds");  // the whole evaluation's seconds are reported beside
  }
  if (e.method == LikelihoodMethod::ais) j["log_z_error"] = e.log_z_error;
  if (e.has_bracket) {
    j["bracket_lower"] = e.bracket_lower;
    j["bracket_lower_error"] = e.bracket_lower_error;
    j["bracket_upper"] = e.bracket_upper;
  }
  return j;
}

Dataset visible_data(const Model& model, const Dataset& data) {
  const std::vector<int> classes = label_classes(model);
  if (classes.empty() || data.n_visible + static_cast<int>(classes.size()) != model.n_visible)
    return data;
  return with_label_units(data, classes);
}

std::vector<int> label_classes(const Model& model) {
  try {
    const json provenance = json::parse(model.provenance);
    if (provenance.contains("label_classes"))
      return provenance.at("label_classes").get<std::vector<int>>();
  } catch (const json::exception&) {
  }
  return {};
}

// ---- pictures and numbers -------------------------------------------------------------------
std::pair<int, int> image_shape(const Dataset& data) {
  if (data.image_height > 0) return {data.image_height, data.image_width};
  const int side = static_cast<int>(std::lround(std::sqrt(data.n_visible)));
  if (side * side == data.n_visible) return {side, side};
  return {1, data.n_visible};
}

std::pair<int, int> image_shape(const Model& model) {
  const int pixels = model.n_visible - static_cast<int>(label_classes(model).size());
  try {
    const json provenance = json::parse(model.provenance);
    const int height = provenance.value("image_height", 0),
              width = provenance.value("image_width", 0);
    if (height > 0 && width > 0 && height * width == pixels) return {height, width};
  } catch (const json::exception&) {
  }
  Dataset shape_only;
  shape_only.n_visible = pixels;
  return image_shape(shape_only);
}

std::string stem_of(const std::string& path) {
  const auto dot = path.rfind('.');
  const auto slash = path.rfind('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return path;
  return path.substr(0, dot);
}

void write_numbers(const std::string& stem, const std::vector<json>& rows, bool csv) {
  std::string lines;
  for (const json& row : rows) lines += row.dump() + "\n";
  save_text(stem + ".jsonl", lines, "numbers");
  if (!csv) return;
  std::vector<std::string> columns;
  for (const json& row : rows)
    for (const auto& [key, value] : row.items())
      if (!value.is_structured() && std::find(columns.begin(), columns.end(), key) == columns.end())
        columns.push_back(key);
  std::string text;
  for (std::size_t c = 0; c < columns.size(); ++c) text += (c ? "," : "") + columns[c];
  text += "\n";
  for (const json& row : rows) {
    for (std::size_t c = 0; c < columns.size(); ++c) {
      if (c) text += ",";
      if (!row.contains(columns[c])) continue;
      const json& value = row[columns[c]];
      text += value.is_string() ? value.get<std::string>() : value.dump();
    }
    text += "\n";
  }
  save_text(stem + ".csv", text, "numbers");
}

Model load_one_model(const std::string& path, int index) {
  std::vector<Model> models = load_models(path);
  if (index < 0 || index >= static_cast<int>(models.size()))
    throw InvalidArgument("'" + path + "' holds " + std::to_string(models.size()) +
                          " model(s); --index " + std::to_string(index) + " is not one of them");
  return std::move(models[index]);
}

// ---- Interrupts ------------------------------------------------------------------------------
namespace {
std::atomic<bool> g_stop{false};
std::atomic<int> g_signals{0};
std::atomic<bool> g_writing{false};
std::atomic<bool> g_exit_after_write{false};
std::atomic<const char*> g_first_note{""};
std::atomic<std::size_t> g_first_note_length{0};
static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free &&
                  std::atomic<const char*>::is_always_lock_free &&
                  std::atomic<std::size_t>::is_always_lock_free,
              "the signal handler needs lock-free atomics");

extern "C" void on_signal(int) {
  if (++g_signals == 1) {
    g_stop = true;
    static const char prefix[] = "\nrbm: ";
    [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, prefix, sizeof prefix - 1);
    n = ::write(STDERR_FILENO, g_first_note.load(), g_first_note_length.load());
    n = ::write(STDERR_FILENO, "\n", 1);
  } else if (g_writing) {
    g_exit_after_write = true;
  } else {
    ::_exit(kExitInterrupted);
  }
}
}  // namespace

Interrupts::Interrupts(const char* first_note) {
  g_first_note_length = std::strlen(first_note);
  g_first_note = first_note;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

const std::atomic<bool>& Interrupts::stop_requested() {
  return g_stop;
}

Interrupts::Writing::Writing() {
  g_writing = true;
}

Interrupts::Writing::~Writing() {
  g_writing = false;
  if (g_exit_after_write) ::_exit(kExitInterrupted);
}

}  // namespace rbm::cli

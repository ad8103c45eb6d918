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
#include "host/io/atomic_file.hpp"
#include "host/json_fields.hpp"

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

LogZOptions LogZLimits::options() const {
  LogZOptions options;
  if (max_seconds > 0) options.max_seconds = max_seconds;
  if (max_log2_states > 0) options.max_log2_states = max_log2_states;
  if (max_seconds <= 0 && max_log2_states <= 0) options.max_seconds = default_seconds;
  return options;
}

void add_log_z_limits(CLI::App* command, LogZLimits& limits, const std::string& scope) {
  command
      ->add_option("--max-seconds", limits.max_seconds,
                   "exact log Z: refuse what is estimated to take longer than S seconds " + scope +
                       " (default " + format("%g", limits.default_seconds) +
                       " when no limit is given)")
      ->check(CLI::PositiveNumber);
  command
      ->add_option("--max-log2-states", limits.max_log2_states,
                   "exact log Z: refuse more than 2^N states (alone: replaces the time limit)")
      ->check(CLI::Range(1, 62));
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
json to_json(const RunConfig& config) {
  json j = json::parse(rbm::to_json(config.train));
  j["data"] = config.data;
  j["hidden"] = config.hidden;
  j["models"] = config.models;
  return j;
}

RunConfig run_config_from_json(const json& j) {
  if (!j.is_object()) throw InvalidArgument("a run configuration must be a JSON object");
  RunConfig config;
  json train = j;
  try {
    if (j.contains("data")) config.data = j.at("data").get<std::string>();
    if (j.contains("hidden"))
      config.hidden = detail::json_integer<int>(j.at("hidden"), "run configuration", "hidden");
    if (j.contains("models"))
      config.models = detail::json_integer<int>(j.at("models"), "run configuration", "models");
  } catch (const json::exception& e) {
    throw InvalidArgument(std::string("run configuration: ") + e.what());
  }
  for (const char* key : {"data", "hidden", "models"}) train.erase(key);
  config.train = train_config_from_json(train.dump());
  return config;
}

RunConfig run_config_of(const Model& model, const std::string& path) {
  try {
    const json provenance = json::parse(model.provenance);
    if (provenance.contains("config")) return run_config_from_json(provenance.at("config"));
  } catch (const std::exception& e) {
    throw IoError("'" + path + "': its provenance is not a run configuration: " + e.what());
  }
  throw IoError("'" + path + "' records no run configuration (made by an older rbm?)");
}

// ---- pictures and numbers -------------------------------------------------------------------
std::pair<int, int> image_shape(const Dataset& data) {
  if (data.image_height > 0) return {data.image_height, data.image_width};
  const int side = static_cast<int>(std::lround(std::sqrt(data.n_visible)));
  if (side * side == data.n_visible) return {side, side};
  return {1, data.n_visible};
}

std::pair<int, int> image_shape(const Model& model) {
  try {
    const json provenance = json::parse(model.provenance);
    const int height = provenance.value("image_height", 0),
              width = provenance.value("image_width", 0);
    if (height > 0 && width > 0 && height * width == model.n_visible) return {height, width};
  } catch (const json::exception&) {
  }
  Dataset shape_only;
  shape_only.n_visible = model.n_visible;
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
  detail::write_text_atomically(stem + ".jsonl", "numbers", lines);
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
  detail::write_text_atomically(stem + ".csv", "numbers", text);
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

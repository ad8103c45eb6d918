// host/cli/ranks.cpp — the CLI's ranks (host/cli/ranks.hpp): rbm::mpi when built with MPI and
// started by mpirun, a single process otherwise.
#include "host/cli/ranks.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>

#if RBM_WITH_MPI
#include "rbm/mpi.hpp"
#endif

namespace rbm::cli {
namespace {

#if RBM_WITH_MPI
std::unique_ptr<mpi::Environment> g_environment;
std::unique_ptr<mpi::Communicator> g_communicator;
double g_timeout = mpi::CommunicatorOptions{}.timeout_seconds;

std::atomic<bool> g_interrupted{false};
std::atomic<int> g_signals{0};
bool g_root = false;  // set once before the handlers are installed

extern "C" void on_rank_signal(int signal) {
  if (++g_signals > 1) ::_exit(kExitInterrupted);
  g_interrupted = true;
  if (!g_root) return;  // rank 0 speaks for all
  static const char interrupted[] =
      "\nrbm: interrupted: every rank stops at its next chunk or epoch; press Ctrl-C again to "
      "quit at once\n";
  static const char terminated[] =
      "\nrbm: terminated (SIGTERM): every rank stops at its next chunk or epoch\n";
  const bool interrupt = signal == SIGINT;
  [[maybe_unused]] const ssize_t n =
      ::write(STDERR_FILENO, interrupt ? interrupted : terminated,
              (interrupt ? sizeof interrupted : sizeof terminated) - 1);
}

mpi::Communicator& communicator() {
  if (!g_communicator) {
    mpi::CommunicatorOptions options;
    options.timeout_seconds = g_timeout;
    g_communicator = std::make_unique<mpi::Communicator>(MPI_COMM_WORLD, options);
  }
  return *g_communicator;
}

/// A test hook, RBM_MPI_FAULT=RANK:WHAT:N: at its N-th progress call, rank RANK exits without
/// MPI_Finalize (exit), aborts (abort), is killed (kill: SIGKILL), hangs (hang: SIGSTOP), is
/// interrupted (interrupt: SIGINT) or throws an error (error) — the failures the MPI tests make.
void inject_fault() {
  static const char* spec = std::getenv("RBM_MPI_FAULT");
  static int calls = 0;
  if (!spec) return;
  char what[16] = {};
  int fault_rank = -1, at = 0;
  if (std::sscanf(spec, "%d:%15[a-z]:%d", &fault_rank, what, &at) != 3 ||
      fault_rank != ranks::rank() || ++calls != at)
    return;
  const std::string kind = what;
  if (kind == "exit") std::_Exit(3);
  if (kind == "abort") std::abort();
  if (kind == "kill") std::raise(SIGKILL);
  if (kind == "hang") std::raise(SIGSTOP);
  if (kind == "interrupt") std::raise(SIGINT);
  if (kind == "error")
    throw IoError("injected fault (RBM_MPI_FAULT) on rank " + std::to_string(fault_rank));
}

/// A rank's progress callback: the fault hook, then Ctrl-C (a cancellation of this rank's
/// own), then `inner`.
std::function<bool(double)> checked(std::function<bool(double)> inner) {
  return [inner = std::move(inner)](double fraction) {
    inject_fault();
    if (g_interrupted) throw Cancelled("interrupted (SIGINT or SIGTERM)");
    return !inner || inner(fraction);
  };
}

[[noreturn]] void abort_job() {
  std::cerr.flush();
  if (g_communicator) g_communicator->abort(1);
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::_Exit(1);
}
#endif

}  // namespace

RanksSession::RanksSession(int* argc, char*** argv) {
#if RBM_WITH_MPI
  if (!mpi::launched_by_mpi()) return;
  try {
    g_environment = std::make_unique<mpi::Environment>(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "rbm: error: " << e.what() << std::endl;
    std::exit(1);
  }
  g_root = ranks::root();
  struct sigaction action {};
  action.sa_handler = on_rank_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
#else
  (void)argc;
  (void)argv;
#endif
}

RanksSession::~RanksSession() {
#if RBM_WITH_MPI
  g_communicator.reset();
  g_environment.reset();
#endif
}

namespace ranks {

int rank() {
#if RBM_WITH_MPI
  int r = 0;
  if (g_environment) MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
#else
  return 0;
#endif
}

int size() {
#if RBM_WITH_MPI
  int n = 1;
  if (g_environment) MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
#else
  return 1;
#endif
}

void add_options(CLI::App* command) {
#if RBM_WITH_MPI
  command
      ->add_option("--mpi-timeout", g_timeout,
                   "under mpirun: seconds without a word from a rank before it is given up for "
                   "lost and the job ends")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
#else
  (void)command;
#endif
}

bool runs_across_ranks(const std::string& command) {
  if (size() == 1) return true;
  for (const char* name : {"logz", "eval", "sweep", "search"})
    if (command == name) return true;
  if (root())
    std::cerr << "rbm: error: `rbm " << command << "` runs in one process; under mpirun only "
              << "logz, eval, sweep and search run across ranks" << std::endl;
  return false;
}

Engine make_engine(const CommonOptions& common) {
#if RBM_WITH_MPI
  if (g_environment) {
    EngineOptions options;
    options.cpu_threads = common.threads;
    return Engine(parse_backend_kind(common.backend), mpi::engine_options(communicator(), options));
  }
#endif
  return cli::make_engine(common);
}

std::vector<LogZResult> log_z(Engine& engine,
                              const std::vector<Model>& models,
                              const LogZOptions& options) {
#if RBM_WITH_MPI
  if (g_environment) {
    LogZOptions checked_options = options;  // rank 0 shows the whole job's progress
    checked_options.progress = checked(root() ? options.progress : nullptr);
    return mpi::log_z(communicator(), engine, models, checked_options);
  }
#endif
  return engine.log_z(models, options);
}

void together(const std::function<void()>& work) {
#if RBM_WITH_MPI
  if (g_environment) return mpi::together(communicator(), work);
#endif
  work();
}

std::vector<std::vector<double>> map_tasks(const std::vector<double>& costs, const TaskWork& work) {
#if RBM_WITH_MPI
  if (g_environment)
    return mpi::map_tasks(
        communicator(), costs,
        [&](const std::vector<std::size_t>& tasks, const std::function<bool(double)>& progress) {
          return work(tasks, checked(progress));
        });
#endif
  std::vector<std::size_t> all(costs.size());
  for (std::size_t t = 0; t < all.size(); ++t) all[t] = t;
  return work(all, [](double) { return true; });
}

double model_cost(const TrainConfig& config, const Dataset& data, int hidden) {
  const double D = data.n_visible, L = hidden;
  const double k = config.cd_steps.max_over(config.epochs);
  const double training = 2.0 * config.epochs * data.n_samples * D * L * (3 + 2 * k);
  const double log_z = std::ldexp(std::max(D, L), static_cast<int>(std::min(D, L)));
  return training / 1e10 + log_z / 2e9;  // GEMM flop/s and log Z pairs/s of a small CPU
}

bool interrupted() {
#if RBM_WITH_MPI
  return g_interrupted;
#else
  return false;
#endif
}

int fail(const std::exception& error) {
#if RBM_WITH_MPI
  if (g_environment) {
    const std::string where = root() ? "" : "rank " + std::to_string(rank()) + ": ";
    if (dynamic_cast<const mpi::RankFailed*>(&error)) {  // every rank knows; rank 0 tells
      if (root()) std::cerr << "rbm: error: " << error.what() << std::endl;
      return 1;
    }
    if (dynamic_cast<const Cancelled*>(&error)) {
      if (root()) std::cerr << "rbm: stopped: " << error.what() << std::endl;
      return kExitInterrupted;
    }
    // A lost rank, or an error only this rank has: no collective call can end the job cleanly.
    std::cerr << "rbm: error: " << where << error.what() << std::endl;
    if (size() > 1) abort_job();
    return 1;
  }
#endif
  std::cerr << "rbm: error: " << error.what() << std::endl;
  return 1;
}

}  // namespace ranks
}  // namespace rbm::cli

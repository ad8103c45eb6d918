// host/cli/ranks.hpp — the processes of an `mpirun` launch as the commands see them
// (rbm::mpi, include/rbm/mpi.hpp). In a build without MPI, or started without mpirun, there
// is one rank and every call here is the single-process one.
//
// Under mpirun only `logz`, `eval`, `sweep` and `search` run (the others refuse): rank 0
// prints, writes every file and reports errors; the other ranks compute and stay quiet. An
// error that a collective call reports ends every rank with one message (exit status 1); a rank
// that is lost, or an error outside a collective call, ends the job (MPI_Abort, status 1).
// Ctrl-C (SIGINT or SIGTERM) on any rank stops every rank at its next chunk or epoch (130).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "host/cli/cli.hpp"

namespace rbm::cli {

/// MPI for the life of the process when the build has it and mpirun started it: the first
/// object of main().
class RanksSession {
 public:
  RanksSession(int* argc, char*** argv);
  ~RanksSession();
  RanksSession(const RanksSession&) = delete;
  RanksSession& operator=(const RanksSession&) = delete;
};

namespace ranks {

int rank();
int size();
inline bool root() {
  return rank() == 0;
}

/// --mpi-timeout (builds with MPI only), for the commands that run across ranks.
void add_options(CLI::App* command);
/// False (with the message printed by rank 0) when `command` cannot run across ranks.
bool runs_across_ranks(const std::string& command);

/// This rank's engine: under mpirun, CUDA device = local rank modulo the node's devices.
Engine make_engine(const CommonOptions& common);
/// Engine::log_z with every enumeration split over the ranks (the same result on each).
std::vector<LogZResult> log_z(Engine& engine,
                              const std::vector<Model>& models,
                              const LogZOptions& options);
/// Runs `work` on every rank; an error on any ends the command on all, with one message.
void together(const std::function<void()>& work);
/// Independent tasks spread over the ranks by cost; every task's row, in task order, on every
/// rank (one process: work on all tasks). `work` gets its tasks and a progress callback to call
/// between pieces (false: stop and throw Cancelled).
using TaskWork = std::function<std::vector<std::vector<double>>(
    const std::vector<std::size_t>& tasks, const std::function<bool(double)>& progress)>;
std::vector<std::vector<double>> map_tasks(const std::vector<double>& costs, const TaskWork& work);
/// Rough seconds of training and scoring one model of `hidden` units on `data` (map_tasks'
/// costs): the GEMMs of its epochs and its exact log Z (2^min(D,L) states × max(D,L) units).
double model_cost(const TrainConfig& config, const Dataset& data, int hidden);
/// Ctrl-C was pressed on this rank (always false in a single process: it ends it at once).
bool interrupted();

/// Reports an error that ended a command on this rank and returns the exit status.
int fail(const std::exception& error);

}  // namespace ranks
}  // namespace rbm::cli

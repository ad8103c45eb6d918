// rbm/mpi.hpp — rbm over several processes and machines with MPI: library rbm_mpi (CMake
// target rbm::rbm_mpi, built with -DRBM_WITH_MPI=AUTO|ON). librbm itself never uses MPI.
//
// Exact log Z of one model is split over the ranks of a communicator: rank r of N enumerates
// the work units [r·U/N, (r+1)·U/N) of the model (Engine::log_z_part) on its own Engine — one
// GPU per rank where there are GPUs (engine_options) — and rank 0 combines the parts, which
// gives the single-process value bit for bit for any N (rbm/logz.hpp). Lists of independent
// tasks, such as the models of a sweep, are spread over the ranks by their cost (map_tasks).
//
// Every call here is collective over its Communicator and none waits blindly: messages are
// polled against a deadline. Each rank's Communicator sends a heartbeat every second from a
// background thread, so a rank (or node) that hangs is noticed by the ranks waiting for it
// after CommunicatorOptions::timeout_seconds, which throw RankLost; MPI reports errors instead
// of aborting (MPI_ERRORS_RETURN), and those are thrown as RankLost too. An error or a
// cancellation on one rank ends the call on every rank: RankFailed (or Cancelled) is thrown
// everywhere, with the failing rank's message, and the communicator stays usable.
#pragma once
#include <mpi.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "rbm/engine.hpp"
#include "rbm/error.hpp"
#include "rbm/logz.hpp"
#include "rbm/model.hpp"

namespace rbm::mpi {

/// Initialises MPI (MPI_THREAD_MULTIPLE) for the object's lifetime unless it is initialised
/// already, and finalises only what it initialised.
class Environment {
 public:
  Environment(int* argc, char*** argv);
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;
};

/// True when an MPI launcher (mpirun, mpiexec, srun) started this process: Open MPI, MPICH /
/// Hydra, PMIx or Slurm set their variables. Does not touch MPI.
bool launched_by_mpi();

struct CommunicatorOptions {
  /// A rank that sends nothing (heartbeats included) for this long is given up for lost.
  double timeout_seconds = 30;
};

/// A rank failed in a collective call: thrown on every rank, naming it and its error.
class RankFailed : public Error {
 public:
  RankFailed(const std::string& what, int rank) : Error(what), rank(rank) {}
  int rank;  ///< the lowest rank that failed
};

/// A rank stopped answering within the timeout, or MPI itself failed: the job cannot go on.
/// End it with Communicator::abort (the lost rank may be hanging).
class RankLost : public Error {
 public:
  using Error::Error;
};

/// rbm's private duplicate of an MPI communicator (its messages never mix with the caller's),
/// with a heartbeat thread. Needs MPI initialised with MPI_THREAD_SERIALIZED or more (the
/// heartbeat thread and the caller's thread then never call MPI at the same time through it;
/// with MPI_THREAD_SERIALIZED the caller must make no MPI calls of its own meanwhile).
/// Construction is collective over `comm`.
class Communicator {
 public:
  explicit Communicator(MPI_Comm comm = MPI_COMM_WORLD, const CommunicatorOptions& options = {});
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const;
  int size() const;
  int local_rank() const;  ///< among the ranks on this node
  int local_size() const;
  const std::string& host(int rank) const;  ///< a rank's processor name
  double timeout_seconds() const;
  /// Ends every process of the job (MPI_Abort), e.g. after RankLost.
  [[noreturn]] void abort(int status) const;

  struct Impl;
  Impl& impl() const { return *impl_; }  ///< internal

 private:
  std::unique_ptr<Impl> impl_;
};

/// `base` with the CUDA device of this rank: its local rank modulo the node's CUDA devices.
EngineOptions engine_options(const Communicator& comm, EngineOptions base = {});

/// Exact log Z of each model, each enumeration split over all ranks (see the top). Collective:
/// every rank passes the same models (checked) and an Engine of the same backend kind. Returns
/// the same results on every rank; log_z equals engine.log_z's on one process bit for bit, and
/// `seconds` is the wall time of the whole call. options.progress gets, on rank 0, the fraction
/// of the whole call done, on the other ranks their own part's; false on any rank cancels the
/// call on all of them (Cancelled).
std::vector<LogZResult> log_z(const Communicator& comm,
                              Engine& engine,
                              const std::vector<Model>& models,
                              const LogZOptions& options = {});
LogZResult log_z(const Communicator& comm,
                 Engine& engine,
                 const Model& model,
                 const LogZOptions& options = {});

/// Which rank runs each task: the most costly first, each onto the rank with the least cost so
/// far (ties: the lower rank). The same answer on every rank, without communication.
std::vector<int> assign_tasks(const std::vector<double>& costs, int n_ranks);

/// A rank's share of map_tasks: runs `tasks` (ascending indices) and returns one row of numbers
/// per task. It calls progress(fraction of its tasks done) between pieces of work (epochs, say);
/// when that returns false another rank has failed: stop and throw Cancelled.
using TaskWork = std::function<std::vector<std::vector<double>>(
    const std::vector<std::size_t>& tasks, const std::function<bool(double)>& progress)>;

/// Runs tasks 0 .. costs.size() - 1 spread over the ranks (assign_tasks) and returns every
/// task's row, in task order, on every rank. Collective, with the same costs on every rank
/// (checked). A rank's error ends the call everywhere (RankFailed); `work` throwing Cancelled
/// (e.g. on Ctrl-C) cancels every rank (Cancelled).
std::vector<std::vector<double>> map_tasks(const Communicator& comm,
                                           const std::vector<double>& costs,
                                           const TaskWork& work);

/// Runs `work` on every rank as one collective step: when it throws on any rank, every rank
/// throws (RankFailed, or Cancelled), so that a failure ends the job together, with one message.
void together(const Communicator& comm, const std::function<void()>& work);

}  // namespace rbm::mpi

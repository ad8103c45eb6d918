// host/mpi/communicator.cpp — MPI start-up, rbm's duplicate communicator and its heartbeats.
#include <cstdio>
#include <cstdlib>

#include "host/check.hpp"
#include "host/mpi/step.hpp"

namespace rbm::mpi {
namespace {

std::string mpi_error_text(int status) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(status, text, &length) != MPI_SUCCESS)
    return "MPI error " + std::to_string(status);
  return std::string(text, length);
}

/// Polls `request` under `lock_target` until done or `deadline`; false on the deadline.
bool wait_until(std::mutex& mpi, MPI_Request& request, Clock::time_point deadline) {
  for (auto pause = std::chrono::microseconds(100);;
       pause = std::min(2 * pause, std::chrono::microseconds(10000))) {
    int done = 0;
    {
      const std::lock_guard<std::mutex> lock(mpi);
      if (MPI_Test(&request, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS) return false;
    }
    if (done) return true;
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(pause);
  }
}

}  // namespace

// ---- Environment --------------------------------------------------------------------------------
namespace {
bool g_initialised_here = false;
}

Environment::Environment(int* argc, char*** argv) {
  int initialised = 0;
  MPI_Initialized(&initialised);
  if (initialised) return;
  int provided = 0;
  if (MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided) != MPI_SUCCESS)
    throw RankLost("MPI_Init_thread failed");
  g_initialised_here = true;
}

Environment::~Environment() {
  int finalised = 0;
  MPI_Finalized(&finalised);
  if (g_initialised_here && !finalised) MPI_Finalize();
  g_initialised_here = false;
}

bool launched_by_mpi() {
  for (const char* name :
       {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS", "SLURM_STEP_NUM_TASKS"})
    if (std::getenv(name)) return true;
  return false;
}

// ---- Impl -------------------------------------------------------------------------------------
void Communicator::Impl::check(int status, const char* call) {
  if (status == MPI_SUCCESS) return;
  lost = true;
  throw RankLost(std::string(call) + " failed on " + describe(rank) + ": " +
                 mpi_error_text(status));
}

std::string Communicator::Impl::describe(int peer) const {
  return "rank " + std::to_string(peer) +
         (peer < static_cast<int>(hosts.size()) ? " (host " + hosts[peer] + ")" : std::string());
}

void Communicator::Impl::drain_beats() {
  for (;;) {
    int arrived = 0;
    MPI_Status status;
    char byte;
    {
      const std::lock_guard<std::mutex> lock(mpi);
      check(MPI_Iprobe(MPI_ANY_SOURCE, 0, beats, &arrived, &status), "MPI_Iprobe");
      if (!arrived) return;
      check(MPI_Recv(&byte, 1, MPI_BYTE, status.MPI_SOURCE, 0, beats, MPI_STATUS_IGNORE),
            "MPI_Recv");
    }
    last_heard[status.MPI_SOURCE] = Clock::now();
  }
}

void Communicator::Impl::expect_alive(int peer) {
  const double silent = std::chrono::duration<double>(Clock::now() - last_heard[peer]).count();
  if (silent <= timeout) return;
  lost = true;
  char seconds[64];
  std::snprintf(seconds, sizeof seconds, "%.0f s (the timeout is %g s)", silent, timeout);
  throw RankLost(describe(peer) + " has sent nothing for " + seconds +
                 ": it hangs, or its node or the network failed");
}

void Communicator::Impl::wait(MPI_Request& request, int peer) {
  for (auto pause = std::chrono::microseconds(100);;
       pause = std::min(2 * pause, std::chrono::microseconds(10000))) {
    int done = 0;
    {
      const std::lock_guard<std::mutex> lock(mpi);
      check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "MPI_Test");
    }
    if (done) return;
    drain_beats();
    expect_alive(peer);
    std::this_thread::sleep_for(pause);
  }
}

void Communicator::Impl::beat_loop() {
  static const char kBeat = 0;
  const auto interval = std::chrono::duration<double>(std::min(1.0, timeout / 4));
  std::unique_lock<std::mutex> lock(beat_mutex);
  while (!beat_stop) {
    {
      const std::lock_guard<std::mutex> guard(mpi);
      bool all_done = true;
      for (MPI_Request& request : beat_requests) {
        int done = 0;
        if (request != MPI_REQUEST_NULL &&
            MPI_Test(&request, &done, MPI_STATUS_IGNORE) == MPI_SUCCESS && !done)
          all_done = false;
      }
      if (all_done) {  // a peer that is not receiving gets no pile of heartbeats
        beat_requests.clear();
        for (int peer = 0; peer < size; ++peer) {
          if (peer == rank || (rank != 0 && peer != 0)) continue;  // rank 0 ↔ every rank
          MPI_Request request;
          if (MPI_Isend(&kBeat, 1, MPI_BYTE, peer, 0, beats, &request) == MPI_SUCCESS)
            beat_requests.push_back(request);
        }
      }
    }
    beat_wake.wait_for(lock, interval, [this] { return beat_stop; });
  }
}

// ---- Communicator -------------------------------------------------------------------------------
Communicator::Communicator(MPI_Comm comm, const CommunicatorOptions& options)
    : impl_(std::make_unique<Impl>()) {
  Impl& c = *impl_;
  RBM_EXPECTS(options.timeout_seconds > 0, "the MPI timeout must be positive, got ",
              options.timeout_seconds, " s");
  c.timeout = options.timeout_seconds;
  int initialised = 0, level = 0;
  MPI_Initialized(&initialised);
  RBM_EXPECTS(initialised,
              "rbm::mpi::Communicator: MPI is not initialised (rbm::mpi::Environment)");
  MPI_Query_thread(&level);
  RBM_EXPECTS(level >= MPI_THREAD_SERIALIZED,
              "rbm::mpi::Communicator needs MPI initialised with "
              "MPI_THREAD_SERIALIZED or MPI_THREAD_MULTIPLE (its heartbeat thread calls MPI); "
              "the thread level is ",
              level);
  // Nonblocking set-up, so that a rank that never arrives is a timeout, not a hang.
  const Clock::time_point deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                        std::chrono::duration<double>(c.timeout));
  const auto setup = [&](MPI_Request& request, const char* what) {
    if (!wait_until(c.mpi, request, deadline))
      throw RankLost(std::string("rbm::mpi::Communicator: ") + what + " did not complete within " +
                     std::to_string(c.timeout) +
                     " s: not every rank of the communicator took part");
  };
  MPI_Comm_rank(comm, &c.rank);
  MPI_Comm_size(comm, &c.size);
  for (MPI_Comm* dup : {&c.comm, &c.beats}) {
    MPI_Request request;
    c.check(MPI_Comm_idup(comm, dup, &request), "MPI_Comm_idup");
    setup(request, "MPI_Comm_idup");
    MPI_Comm_set_errhandler(*dup, MPI_ERRORS_RETURN);
  }
  // Host names: who shares a node (local rank, for the GPU), and for messages.
  std::vector<char> names(static_cast<std::size_t>(c.size) * MPI_MAX_PROCESSOR_NAME, 0);
  char mine[MPI_MAX_PROCESSOR_NAME] = {};
  int length = 0;
  MPI_Get_processor_name(mine, &length);
  MPI_Request request;
  c.check(MPI_Iallgather(mine, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, names.data(),
                         MPI_MAX_PROCESSOR_NAME, MPI_CHAR, c.comm, &request),
          "MPI_Iallgather");
  setup(request, "MPI_Iallgather of the host names");
  for (int r = 0; r < c.size; ++r) {
    const char* name = names.data() + static_cast<std::size_t>(r) * MPI_MAX_PROCESSOR_NAME;
    c.hosts.emplace_back(name, strnlen(name, MPI_MAX_PROCESSOR_NAME));
  }
  c.local_rank = 0;
  c.local_size = 0;
  for (int r = 0; r < c.size; ++r) {
    if (c.hosts[r] != c.hosts[c.rank]) continue;
    ++c.local_size;
    if (r < c.rank) ++c.local_rank;
  }
  c.last_heard.assign(c.size, Clock::now());
  c.beat_thread = std::thread([&c] { c.beat_loop(); });
}

Communicator::~Communicator() {
  Impl& c = *impl_;
  {
    const std::lock_guard<std::mutex> lock(c.beat_mutex);
    c.beat_stop = true;
  }
  c.beat_wake.notify_all();
  if (c.beat_thread.joinable()) c.beat_thread.join();
  int finalised = 0;
  MPI_Finalized(&finalised);
  if (finalised) return;
  // Heartbeats are one byte (sent eagerly); one a peer never takes is let go.
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(1);
  for (MPI_Request& request : c.beat_requests)
    if (request != MPI_REQUEST_NULL && !wait_until(c.mpi, request, deadline))
      MPI_Request_free(&request);
  if (!c.lost) {
    try {
      c.drain_beats();
    } catch (const RankLost&) {
    }
  }
  MPI_Comm_free(&c.comm);
  MPI_Comm_free(&c.beats);
}

int Communicator::rank() const {
  return impl_->rank;
}
int Communicator::size() const {
  return impl_->size;
}
int Communicator::local_rank() const {
  return impl_->local_rank;
}
int Communicator::local_size() const {
  return impl_->local_size;
}
const std::string& Communicator::host(int rank) const {
  RBM_EXPECTS(rank >= 0 && rank < impl_->size, "no rank ", rank, " in a communicator of ",
              impl_->size);
  return impl_->hosts[rank];
}
double Communicator::timeout_seconds() const {
  return impl_->timeout;
}

void Communicator::abort(int status) const {
  MPI_Abort(impl_->comm, status);
  std::_Exit(status);  // MPI_Abort does not return; should it, leave anyway
}

}  // namespace rbm::mpi

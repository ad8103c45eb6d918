// host/mpi/step.hpp — the protocol under every collective call of rbm_mpi (internal).
//
// A step: every rank runs its share of work, calling Step::poll between pieces; rank 0 collects
// every rank's outcome and sends one verdict back. Messages on the step communicator:
//   rank r → 0:  kProgress* (8 bytes: the fraction of r's share done), then exactly one outcome:
//                kResult (bytes), kError (message), kCancelled (message) or kStopped (r stopped
//                because rank 0 asked it to);
//   rank 0 → r:  at most one kStop (stop working: another rank failed or cancelled), then
//                exactly one kVerdict (ok + bytes, failed or cancelled + rank + message).
// Every message of a step is received within the step, so steps never mix. Heartbeats travel on
// a second communicator (Communicator::Impl); every wait checks the peer it waits for against
// the timeout and throws RankLost rather than hang.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "rbm/mpi.hpp"

namespace rbm::mpi {

using Clock = std::chrono::steady_clock;

struct Communicator::Impl {
  MPI_Comm comm = MPI_COMM_NULL;   ///< steps
  MPI_Comm beats = MPI_COMM_NULL;  ///< heartbeats
  int rank = 0, size = 1, local_rank = 0, local_size = 1;
  std::vector<std::string> hosts;
  double timeout = 30;
  bool lost = false;  ///< a RankLost was thrown: no further steps

  std::mutex mpi;  ///< one MPI call at a time through this communicator
  std::vector<Clock::time_point> last_heard;

  std::thread beat_thread;
  std::mutex beat_mutex;
  std::condition_variable beat_wake;
  bool beat_stop = false;
  std::vector<MPI_Request> beat_requests;

  /// Throws RankLost naming `call` when an MPI call failed.
  void check(int status, const char* call);
  /// "rank 1 (host node7)".
  std::string describe(int peer) const;
  /// Receives the heartbeats that arrived (main thread).
  void drain_beats();
  /// Throws RankLost when `peer` has sent nothing for the timeout.
  void expect_alive(int peer);
  /// Waits for `request` (a send to or receive from `peer`) with expect_alive on the way.
  void wait(MPI_Request& request, int peer);
  void beat_loop();
};

/// Appends and reads plain values in a byte string (the messages' payloads).
class Writer {
 public:
  template <typename T>
  Writer& put(const T& value) {
    bytes_.append(reinterpret_cast<const char*>(&value), sizeof value);
    return *this;
  }
  Writer& put_string(const std::string& text) {
    put<std::uint64_t>(text.size());
    bytes_ += text;
    return *this;
  }
  std::string take() { return std::move(bytes_); }

 private:
  std::string bytes_;
};

class Reader {
 public:
  Reader(const std::string& bytes, int from) : bytes_(bytes), from_(from) {}
  template <typename T>
  T get() {
    need(sizeof(T));
    T value;
    std::memcpy(&value, bytes_.data() + at_, sizeof value);
    at_ += sizeof value;
    return value;
  }
  std::string get_string() {
    const auto n = get<std::uint64_t>();
    need(n);
    std::string text = bytes_.substr(at_, n);
    at_ += n;
    return text;
  }

 private:
  void need(std::size_t n) const;
  const std::string& bytes_;
  int from_;
  std::size_t at_ = 0;
};

class Step {
 public:
  enum Tag : int { kProgress = 1, kResult, kError, kCancelled, kStopped, kStop, kVerdict };
  struct Outcome {
    Tag tag = kResult;
    std::string bytes;  ///< the result, or the error's message
  };
  /// Rank 0 turns every rank's result bytes (index: rank) into the answer's bytes.
  using Combine = std::function<std::string(const std::vector<std::string>&)>;

  /// `progress`: the caller's callback (rank 0: fraction of the whole step, from `shares`,
  /// each rank's part of it; others: their own fraction). May be empty.
  Step(Communicator::Impl& c, std::function<bool(double)> progress, std::vector<double> shares);
  ~Step();
  Step(const Step&) = delete;
  Step& operator=(const Step&) = delete;

  /// Between pieces of this rank's work: reports `fraction` of its share done, handles what
  /// arrived; false when the step is stopping (another rank failed, or the caller's progress
  /// returned false).
  bool poll(double fraction);
  /// True when this rank stops because another rank failed or cancelled (not by itself).
  bool stopped_by_others() const { return stopped_by_others_; }
  /// The rest of the protocol once the work is over: the verdict's bytes, or throws.
  std::string finish(Outcome mine, const Combine& combine);

 private:
  struct Message {
    int source = 0;
    int tag = 0;
    std::string bytes;
  };
  bool receive(int source, Message& message);
  void handle(const Message& message);
  void stop_all();
  void send(int peer, int tag, const std::string& bytes);
  double whole_fraction() const;
  bool call_progress(double fraction);
  std::string finish_root(const Outcome& mine, const Combine& combine);
  std::string finish_other(const Outcome& mine);
  static std::string apply(const std::string& verdict, int from);

  Communicator::Impl& c_;
  std::function<bool(double)> progress_;
  std::vector<double> shares_, fractions_;
  std::vector<char> reported_;  ///< rank 0: outcome received
  std::vector<Outcome> outcomes_;
  std::vector<char> stop_sent_;
  bool stopping_ = false, stopped_by_others_ = false, cancelled_here_ = false;
  std::string cancel_message_;  ///< rank 0: what its callback threw while it waited
  double progress_value_ = 0;   ///< the buffer of the pending progress send
  MPI_Request progress_request_ = MPI_REQUEST_NULL;
  Clock::time_point last_progress_sent_{};
};

/// One collective step: `work` on every rank (it may call Step::poll), the outcomes to rank 0,
/// `combine` there, the verdict everywhere. Returns the answer's bytes on every rank or throws
/// RankFailed / Cancelled (the same on every rank) or RankLost.
std::string run_step(Communicator::Impl& c,
                     const std::function<std::string(Step&)>& work,
                     const Step::Combine& combine,
                     const std::function<bool(double)>& progress,
                     std::vector<double> shares);

/// Every rank's share of a step weighing `weights`: weights / Σ weights (equal when all are 0).
std::vector<double> shares_of(const std::vector<double>& weights);

}  // namespace rbm::mpi

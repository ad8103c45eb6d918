// host/mpi/step.cpp — the step protocol of host/mpi/step.hpp.
#include "host/mpi/step.hpp"

#include <numeric>

#include "host/check.hpp"

namespace rbm::mpi {
namespace {

constexpr double kProgressEvery = 0.25;  // seconds between progress messages (and root calls)

enum class Verdict : char { ok, failed, cancelled };

void pause(std::chrono::microseconds& wait) {
  std::this_thread::sleep_for(wait);
  wait = std::min(2 * wait, std::chrono::microseconds(10000));
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

void Reader::need(std::size_t n) const {
  if (bytes_.size() - at_ < n)
    throw RankLost("a malformed message from rank " + std::to_string(from_) + " (" +
                   std::to_string(bytes_.size()) + " bytes)");
}

std::vector<double> shares_of(const std::vector<double>& weights) {
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  std::vector<double> shares(weights.size(), 1.0 / weights.size());
  if (total > 0)
    for (std::size_t r = 0; r < weights.size(); ++r) shares[r] = weights[r] / total;
  return shares;
}

Step::Step(Communicator::Impl& c, std::function<bool(double)> progress, std::vector<double> shares)
    : c_(c),
      progress_(std::move(progress)),
      shares_(std::move(shares)),
      fractions_(c.size, 0.0),
      reported_(c.size, 0),
      outcomes_(c.size),
      stop_sent_(c.size, 0) {
  if (c_.lost) throw RankLost("this communicator lost a rank earlier; the job cannot go on");
  RBM_EXPECTS(static_cast<int>(shares_.size()) == c_.size, "a step needs one share per rank");
}

Step::~Step() {
  if (progress_request_ == MPI_REQUEST_NULL) return;
  const std::lock_guard<std::mutex> lock(c_.mpi);
  MPI_Request_free(&progress_request_);  // a one-double eager message, delivered or not
}

bool Step::receive(int source, Message& message) {
  int arrived = 0;
  MPI_Message handle;
  MPI_Status status;
  {
    const std::lock_guard<std::mutex> lock(c_.mpi);
    c_.check(MPI_Improbe(source, MPI_ANY_TAG, c_.comm, &arrived, &handle, &status), "MPI_Improbe");
  }
  if (!arrived) return false;
  int count = 0;
  MPI_Get_count(&status, MPI_BYTE, &count);
  message.source = status.MPI_SOURCE;
  message.tag = status.MPI_TAG;
  message.bytes.assign(static_cast<std::size_t>(count), '\0');
  MPI_Request request;
  {
    const std::lock_guard<std::mutex> lock(c_.mpi);
    c_.check(MPI_Imrecv(message.bytes.data(), count, MPI_BYTE, &handle, &request), "MPI_Imrecv");
  }
  c_.wait(request, message.source);
  c_.last_heard[message.source] = Clock::now();
  return true;
}

void Step::send(int peer, int tag, const std::string& bytes) {
  MPI_Request request;
  {
    const std::lock_guard<std::mutex> lock(c_.mpi);
    c_.check(MPI_Isend(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, peer, tag, c_.comm,
                       &request),
             "MPI_Isend");
  }
  c_.wait(request, peer);
}

void Step::stop_all() {
  stopping_ = true;
  for (int peer = 1; peer < c_.size; ++peer) {
    if (stop_sent_[peer] || reported_[peer]) continue;  // a rank that reported needs no stop
    stop_sent_[peer] = 1;
    send(peer, kStop, std::string());
  }
}

/// Rank 0: a message from a working rank.
void Step::handle(const Message& m) {
  if (m.tag == kProgress) {
    fractions_[m.source] = Reader(m.bytes, m.source).get<double>();
    return;
  }
  if (m.tag < kResult || m.tag > kStopped || reported_[m.source])
    throw RankLost("an unexpected message (tag " + std::to_string(m.tag) + ") from " +
                   c_.describe(m.source));
  reported_[m.source] = 1;
  fractions_[m.source] = 1;
  outcomes_[m.source] = Outcome{static_cast<Tag>(m.tag), m.bytes};
  if (m.tag == kError || m.tag == kCancelled) {
    stopped_by_others_ = !cancelled_here_;  // rank 0's own work now stops for them
    stop_all();
  }
}

double Step::whole_fraction() const {
  double whole = 0;
  for (int r = 0; r < c_.size; ++r) whole += shares_[r] * fractions_[r];
  return std::min(whole, 1.0);
}

bool Step::call_progress(double fraction) {
  if (!progress_ || cancelled_here_) return !cancelled_here_;
  if (progress_(fraction)) return true;
  cancelled_here_ = true;
  stopping_ = true;
  if (c_.rank == 0) stop_all();
  return false;
}

bool Step::poll(double fraction) {
  fractions_[c_.rank] = fraction;
  c_.drain_beats();
  Message m;
  if (c_.rank == 0) {
    while (receive(MPI_ANY_SOURCE, m)) handle(m);
    for (int r = 1; r < c_.size; ++r)
      if (!reported_[r]) c_.expect_alive(r);
    if (!stopping_) call_progress(whole_fraction());
    return !stopping_;
  }
  while (receive(0, m)) {
    if (m.tag != kStop)
      throw RankLost("an unexpected message (tag " + std::to_string(m.tag) + ") from " +
                     c_.describe(0));
    stopping_ = stopped_by_others_ = true;
  }
  c_.expect_alive(0);
  int sent = 1;
  if (progress_request_ != MPI_REQUEST_NULL) {
    const std::lock_guard<std::mutex> lock(c_.mpi);
    c_.check(MPI_Test(&progress_request_, &sent, MPI_STATUS_IGNORE), "MPI_Test");
  }
  if (sent && seconds_since(last_progress_sent_) >= kProgressEvery) {
    progress_value_ = fraction;
    last_progress_sent_ = Clock::now();
    const std::lock_guard<std::mutex> lock(c_.mpi);
    c_.check(MPI_Isend(&progress_value_, sizeof progress_value_, MPI_BYTE, 0, kProgress, c_.comm,
                       &progress_request_),
             "MPI_Isend");
  }
  if (!stopping_) call_progress(fraction);
  return !stopping_;
}

std::string Step::finish(Outcome mine, const Combine& combine) {
  if (c_.rank == 0) return finish_root(mine, combine);
  return finish_other(mine);
}

std::string Step::finish_root(const Outcome& mine, const Combine& combine) {
  outcomes_[0] = mine;
  reported_[0] = 1;
  fractions_[0] = 1;
  if (mine.tag != kResult) stop_all();
  Message m;
  auto last_call = Clock::now();
  for (auto wait = std::chrono::microseconds(100);;) {
    bool all = true;
    for (int r = 1; r < c_.size; ++r) all = all && reported_[r];
    if (all) break;
    if (receive(MPI_ANY_SOURCE, m)) {
      handle(m);
      wait = std::chrono::microseconds(100);
      continue;
    }
    c_.drain_beats();
    for (int r = 1; r < c_.size; ++r)
      if (!reported_[r]) c_.expect_alive(r);
    if (!stopping_ && seconds_since(last_call) >= kProgressEvery) {
      last_call = Clock::now();
      try {  // what the callback throws must not skip the verdict the others wait for
        call_progress(whole_fraction());
      } catch (const Cancelled& e) {
        cancelled_here_ = true;
        cancel_message_ = e.what();
        stop_all();
      } catch (const std::exception& e) {
        outcomes_[0] = Outcome{kError, e.what()};
        stop_all();
      }
    }
    pause(wait);
  }
  // The verdict: the lowest failing rank's error, else its cancellation, else the answer.
  const auto first = [&](Tag tag) {
    for (int r = 0; r < c_.size; ++r)
      if (outcomes_[r].tag == tag) return r;
    return -1;
  };
  const auto refusal = [](Verdict kind, int rank, const std::string& message) {
    return Writer().put(kind).put<std::int32_t>(rank).put_string(message).take();
  };
  const int failed = first(kError), cancelled = first(kCancelled);
  std::string bytes;
  if (failed >= 0) {
    bytes = refusal(Verdict::failed, failed, outcomes_[failed].bytes);
  } else if (cancelled >= 0) {
    bytes = refusal(Verdict::cancelled, cancelled, outcomes_[cancelled].bytes);
  } else if (cancelled_here_) {
    bytes = refusal(Verdict::cancelled, 0,
                    cancel_message_.empty() ? std::string("cancelled") : cancel_message_);
  } else {
    try {
      std::vector<std::string> results(c_.size);
      for (int r = 0; r < c_.size; ++r) results[r] = std::move(outcomes_[r].bytes);
      bytes = Writer().put(Verdict::ok).put_string(combine(results)).take();
    } catch (const std::exception& e) {
      bytes = refusal(Verdict::failed, 0, e.what());
    }
  }
  for (int peer = 1; peer < c_.size; ++peer) send(peer, kVerdict, bytes);
  return apply(bytes, 0);
}

std::string Step::finish_other(const Outcome& mine) {
  if (progress_request_ != MPI_REQUEST_NULL) c_.wait(progress_request_, 0);
  send(0, mine.tag, mine.bytes);
  Message m;
  for (auto wait = std::chrono::microseconds(100);;) {
    if (receive(0, m)) {
      if (m.tag == kVerdict) return apply(m.bytes, 0);
      if (m.tag != kStop)
        throw RankLost("an unexpected message (tag " + std::to_string(m.tag) + ") from " +
                       c_.describe(0));
      continue;  // a stop that crossed our outcome
    }
    c_.drain_beats();
    c_.expect_alive(0);
    pause(wait);
  }
}

std::string Step::apply(const std::string& bytes, int from) {
  Reader in(bytes, from);
  const auto verdict = in.get<Verdict>();
  if (verdict == Verdict::ok) return in.get_string();
  const int rank = in.get<std::int32_t>();
  const std::string message = "rank " + std::to_string(rank) + ": " + in.get_string();
  if (verdict == Verdict::cancelled) throw Cancelled(message);
  throw RankFailed(message, rank);
}

std::string run_step(Communicator::Impl& c,
                     const std::function<std::string(Step&)>& work,
                     const Step::Combine& combine,
                     const std::function<bool(double)>& progress,
                     std::vector<double> shares) {
  Step step(c, progress, std::move(shares));
  Step::Outcome mine;
  try {
    mine.bytes = work(step);
  } catch (const RankLost&) {
    throw;
  } catch (const Cancelled& e) {
    mine = step.stopped_by_others() ? Step::Outcome{Step::kStopped, {}}
                                    : Step::Outcome{Step::kCancelled, e.what()};
  } catch (const std::exception& e) {
    mine = Step::Outcome{Step::kError, e.what()};
  }
  return step.finish(std::move(mine), combine);
}

void together(const Communicator& comm, const std::function<void()>& work) {
  run_step(
      comm.impl(),
      [&](Step&) {
        work();
        return std::string();
      },
      [](const std::vector<std::string>&) { return std::string(); }, {},
      shares_of(std::vector<double>(comm.size(), 1.0)));
}

}  // namespace rbm::mpi

// tests/test_threads.cpp — the thread contract of include/rbm/engine.hpp: distinct Engines run
// side by side and give their single-thread results bit for bit; one Engine shared by threads
// serialises their calls (each still gets its single-thread result); the CPU thread pool takes
// concurrent and nested callers; sizes that do not fit an int are refused, never wrapped.
#include <gtest/gtest.h>

#include <atomic>
#include <climits>
#include <thread>

#include "host/check.hpp"
#include "host/common/parallel.hpp"
#include "rbm/rbm.hpp"
#include "tests/support/same_model.hpp"

namespace rbm {
namespace {

using test::same_bits;

TrainConfig config_for(int seed) {
  TrainConfig c;
  c.batch_size = 10;
  c.epochs = 40;
  c.persistent = seed % 2 == 0;
  c.optimizer = seed % 3 == 0 ? Optimizer::adam : Optimizer::momentum;
  c.learning_rate = c.optimizer == Optimizer::adam ? 0.01 : 0.05;
  c.seed = static_cast<std::uint64_t>(seed);
  return c;
}

Model train_alone(const Dataset& data, int seed) {
  Engine engine(BackendKind::cpu);
  const TrainConfig c = config_for(seed);
  return engine.train(init_model(data, 12, c), c, engine.upload(data));
}

TEST(Threads, TwoEnginesInTwoThreadsGiveTheSingleThreadResults) {
  const Dataset data = make_glyph_digits(20, 3);
  const Model expected[2] = {train_alone(data, 1), train_alone(data, 2)};
  Model got[2];
  std::thread threads[2];
  for (int t = 0; t < 2; ++t)
    threads[t] = std::thread([&, t] {
      Engine engine(BackendKind::cpu);
      const TrainConfig c = config_for(t + 1);
      got[t] = engine.train(init_model(data, 12, c), c, engine.upload(data));
    });
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < 2; ++t) EXPECT_TRUE(same_bits(got[t], expected[t])) << "thread " << t;
}

TEST(Threads, OneEngineSharedByThreadsSerialisesTheirCalls) {
  const Dataset data = make_glyph_digits(20, 4);
  Engine engine(BackendKind::cpu);
  const DataHandle handle = engine.upload(data);
  constexpr int kThreads = 4;
  Model got[kThreads];
  double log_z[kThreads];
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      const TrainConfig c = config_for(t + 1);
      got[t] = engine.train(init_model(data, 12, c), c, handle);
      log_z[t] = engine.log_z(got[t]).log_z;
    });
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    const Model expected = train_alone(data, t + 1);
    EXPECT_TRUE(same_bits(got[t], expected)) << "thread " << t;
    Engine alone(BackendKind::cpu);
    EXPECT_EQ(log_z[t], alone.log_z(expected).log_z) << "thread " << t;
  }
}

TEST(Threads, PoolTakesConcurrentAndNestedCallers) {
  detail::ThreadPool pool(3);
  constexpr std::size_t kN = 100000;
  std::atomic<long long> total{0};
  auto sum_range = [&](std::size_t b, std::size_t e) {
    long long s = 0;
    for (std::size_t i = b; i < e; ++i) s += static_cast<long long>(i);
    total += s;
  };
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t)
    callers.emplace_back([&] {
      pool.parallel_for(kN, [&](std::size_t b, std::size_t e) {
        // A nested call from inside a body runs inline on this thread.
        pool.parallel_for(e - b,
                          [&](std::size_t nb, std::size_t ne) { sum_range(b + nb, b + ne); });
      });
    });
  for (auto& caller : callers) caller.join();
  EXPECT_EQ(total.load(), 4LL * static_cast<long long>(kN * (kN - 1) / 2));
}

// Sizes beyond 2^31 − 1 (e.g. rows of a cd_step batch, BLAS dimensions) are refused with the
// size in the message; checked synthetically, without allocating such a batch.
TEST(Threads, SizesBeyondIntAreRefusedNotWrapped) {
  EXPECT_EQ(detail::checked_int(INT_MAX, "rows"), INT_MAX);
  try {
    detail::checked_int(std::size_t{1} << 31, "cd_step's batch rows");
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("2147483648"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace rbm

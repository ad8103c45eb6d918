// tests/mpi/test_mpi_api.cpp — rbm::mpi (include/rbm/mpi.hpp) under mpirun with 2 and 3 ranks:
// exact log Z split over the ranks equals one process's bit for bit, tasks come back in order
// from the rank that owns them, and a failure or cancellation on one rank ends the call on
// every rank with its message. Every rank runs every test (the calls are collective); rank 0
// prints gtest's report, and mpirun fails when any rank does.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "rbm/mpi.hpp"
#include "tests/support/logz_models.hpp"

namespace rbm::test {
namespace {

mpi::Communicator* g_comm = nullptr;

mpi::Communicator& comm() {
  return *g_comm;
}

bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

Engine cpu_engine() {
  EngineOptions options;
  options.cpu_threads = 1;  // ranks share two cores in CI
  return Engine(BackendKind::cpu, mpi::engine_options(comm(), options));
}

Model typed(Model model, UnitType visible, UnitType hidden) {
  model.visible_type = visible;
  model.hidden_type = hidden;
  return model;
}

TEST(MpiCommunicator, KnowsItsRanksAndHosts) {
  EXPECT_GE(comm().size(), 1);
  EXPECT_LT(comm().rank(), comm().size());
  // mpirun starts every rank of this test on one node.
  EXPECT_EQ(comm().local_rank(), comm().rank());
  EXPECT_EQ(comm().local_size(), comm().size());
  EXPECT_EQ(comm().host(0), comm().host(comm().rank()));
  const int devices = cuda_device_count();
  EXPECT_EQ(mpi::engine_options(comm()).cuda_device, devices ? comm().local_rank() % devices : 0);
}

TEST(MpiLogZ, EqualsOneProcessBitForBit) {
  Engine engine = cpu_engine();
  const std::vector<Model> models = {
      random_model({"mnist_l16", 784, 16, 0.1, 0.1, 0, 1}),  // 4 units
      random_model({"l19", 100, 19, 0.5, 0.5, 0, 2}),        // 32 units
      random_model({"l21", 30, 21, 2.0, 1.0, 0, 3}),         // 128 units, large fields
      random_model({"l13", 40, 13, 1.0, 1.0, 0, 4}),         // 1 unit: one rank works
      random_model({"visible", 18, 150, 0.3, 0.3, 0, 5}),    // the visible layer enumerated
      typed(random_model({"spin", 60, 17, 0.3, 0.3, 0, 6}), UnitType::spin, UnitType::spin),
      typed(random_model({"potts", 30, 12, 0.5, 0.5, 0, 7}), UnitType::bernoulli, UnitType::potts),
  };
  for (const Model& model : models) {
    const LogZResult alone = engine.log_z(model);
    const LogZResult spread = mpi::log_z(comm(), engine, model);
    EXPECT_TRUE(same_bits(spread.log_z, alone.log_z))
        << model.n_visible << "x" << model.n_hidden << ": " << spread.log_z << " vs "
        << alone.log_z;
    EXPECT_EQ(spread.enumerated_hidden, alone.enumerated_hidden);
    EXPECT_EQ(spread.pairs, alone.pairs);
    EXPECT_GT(spread.seconds, 0);
  }
  // Several models of one shape in one call.
  std::vector<Model> same_shape;
  for (std::uint64_t seed = 10; seed < 13; ++seed)
    same_shape.push_back(random_model({"many", 50, 18, 0.4, 0.4, 0, seed}));
  const std::vector<LogZResult> alone = engine.log_z(same_shape);
  const std::vector<LogZResult> spread = mpi::log_z(comm(), engine, same_shape);
  ASSERT_EQ(spread.size(), alone.size());
  for (std::size_t m = 0; m < alone.size(); ++m)
    EXPECT_TRUE(same_bits(spread[m].log_z, alone[m].log_z)) << "model " << m;
}

TEST(MpiLogZ, RankZeroSeesTheWholeJobsProgress) {
  Engine engine = cpu_engine();
  const Model model = random_model({"l21", 30, 21, 0.5, 0.5, 0, 8});  // 128 units
  std::vector<double> fractions;
  LogZOptions options;
  options.progress = [&](double f) {
    fractions.push_back(f);
    return true;
  };
  mpi::log_z(comm(), engine, model, options);
  if (comm().rank() != 0 && comm().size() > 1) return;  // other ranks see their own part
  ASSERT_FALSE(fractions.empty());
  for (std::size_t k = 1; k < fractions.size(); ++k) EXPECT_GE(fractions[k], fractions[k - 1]);
  EXPECT_GT(fractions.back(), 0.0);
  EXPECT_LE(fractions.back(), 1.0);
}

TEST(MpiLogZ, CancelOnTheLastRankCancelsEveryRank) {
  Engine engine = cpu_engine();
  const Model model = random_model({"l21", 30, 21, 0.5, 0.5, 0, 9});
  LogZOptions options;
  options.progress = [&](double) { return comm().rank() != comm().size() - 1; };
  try {
    mpi::log_z(comm(), engine, model, options);
    ADD_FAILURE() << "no Cancelled on rank " << comm().rank();
  } catch (const Cancelled& e) {
    EXPECT_NE(std::string(e.what()).find("rank " + std::to_string(comm().size() - 1)),
              std::string::npos)
        << e.what();
  }
  // The communicator goes on working.
  EXPECT_TRUE(same_bits(mpi::log_z(comm(), engine, model).log_z, engine.log_z(model).log_z));
}

TEST(MpiLogZ, RanksWithOtherModelsAreRefused) {
  Engine engine = cpu_engine();
  const std::uint64_t seed = comm().rank() == 1 ? 99 : 1;  // rank 1 loaded another file
  const Model model = random_model({"l16", 100, 16, 0.5, 0.5, 0, seed});
  if (comm().size() == 1) return;
  try {
    mpi::log_z(comm(), engine, model);
    ADD_FAILURE() << "no error on rank " << comm().rank();
  } catch (const mpi::RankFailed& e) {
    EXPECT_EQ(e.rank, 0);  // rank 0 compares and reports
    EXPECT_NE(std::string(e.what()).find("rank 1 (host"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("other models"), std::string::npos) << e.what();
  }
}

TEST(MpiTasks, AssignmentIsLongestFirstOntoTheLeastLoaded) {
  EXPECT_EQ(mpi::assign_tasks({5, 1, 4, 2, 3}, 2), (std::vector<int>{0, 0, 1, 0, 1}));
  EXPECT_EQ(mpi::assign_tasks({1, 1, 1}, 5), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(mpi::assign_tasks({}, 3), std::vector<int>{});
  EXPECT_THROW(mpi::assign_tasks({1, NAN}, 2), InvalidArgument);
  EXPECT_THROW(mpi::assign_tasks({1}, 0), InvalidArgument);
}

TEST(MpiTasks, RowsComeBackInTaskOrderFromTheirOwners) {
  std::mt19937_64 rng(5);
  std::vector<double> costs(23);
  for (double& c : costs) c = static_cast<double>(rng() % 100);
  const std::vector<int> owner = mpi::assign_tasks(costs, comm().size());
  const auto rows = mpi::map_tasks(
      comm(), costs,
      [&](const std::vector<std::size_t>& tasks, const std::function<bool(double)>& progress) {
        std::vector<std::vector<double>> out;
        for (std::size_t k = 0; k < tasks.size(); ++k) {
          EXPECT_TRUE(progress(static_cast<double>(k) / tasks.size()));
          out.push_back({static_cast<double>(tasks[k]), static_cast<double>(comm().rank()),
                         std::sqrt(static_cast<double>(tasks[k]))});
        }
        return out;
      });
  ASSERT_EQ(rows.size(), costs.size());
  for (std::size_t t = 0; t < rows.size(); ++t) {
    ASSERT_EQ(rows[t].size(), 3u) << t;
    EXPECT_EQ(rows[t][0], static_cast<double>(t));
    EXPECT_EQ(rows[t][1], static_cast<double>(owner[t]));
    EXPECT_TRUE(same_bits(rows[t][2], std::sqrt(static_cast<double>(t))));
  }
}

TEST(MpiTasks, AnErrorOnOneRankEndsTheCallOnAll) {
  const int failing = comm().size() - 1;
  try {
    mpi::map_tasks(comm(), std::vector<double>(7, 1.0),
                   [&](const std::vector<std::size_t>& tasks, const std::function<bool(double)>&) {
                     if (comm().rank() == failing) throw IoError("disk full on this node");
                     return std::vector<std::vector<double>>(tasks.size(), {1.0});
                   });
    ADD_FAILURE() << "no error on rank " << comm().rank();
  } catch (const mpi::RankFailed& e) {
    EXPECT_EQ(e.rank, failing);
    EXPECT_NE(std::string(e.what()).find("disk full on this node"), std::string::npos);
  }
}

TEST(MpiTasks, AStopReachesRanksStillWorking) {
  // The last rank cancels (Ctrl-C, say); the others, polling, are told to stop.
  const int cancelling = comm().size() - 1;
  int polls_after_stop = 0;
  try {
    mpi::map_tasks(
        comm(), std::vector<double>(comm().size(), 1.0),
        [&](const std::vector<std::size_t>& tasks, const std::function<bool(double)>& progress) {
          if (comm().rank() == cancelling) throw Cancelled("interrupted");
          for (int k = 0; k < 100000; ++k) {  // ~ forever, unless stopped
            if (!progress(0.5)) throw Cancelled("stopped");
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
          ++polls_after_stop;
          return std::vector<std::vector<double>>(tasks.size(), {1.0});
        });
    ADD_FAILURE() << "no Cancelled on rank " << comm().rank();
  } catch (const Cancelled& e) {
    EXPECT_NE(std::string(e.what()).find("rank " + std::to_string(cancelling) + ": interrupted"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(polls_after_stop, 0);
}

TEST(MpiTogether, TheLowestFailingRankIsReported) {
  if (comm().size() == 1) return;
  try {
    mpi::together(comm(), [] {
      if (comm().rank() >= 1)
        throw InvalidArgument("bad input on rank " + std::to_string(comm().rank()));
    });
    ADD_FAILURE() << "no error on rank " << comm().rank();
  } catch (const mpi::RankFailed& e) {
    EXPECT_EQ(e.rank, 1);
    EXPECT_EQ(std::string(e.what()), "rank 1: bad input on rank 1");
  }
  EXPECT_NO_THROW(mpi::together(comm(), [] {}));
}

}  // namespace
}  // namespace rbm::test

int main(int argc, char** argv) {
  rbm::mpi::Environment environment(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  int status = 1;
  {
    rbm::mpi::CommunicatorOptions options;
    options.timeout_seconds = 60;  // a loaded CI machine: only a real hang should trip it
    rbm::mpi::Communicator comm(MPI_COMM_WORLD, options);
    rbm::test::g_comm = &comm;
    if (comm.rank() != 0) {  // one report; a failure anywhere fails mpirun anyway
      auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
      delete listeners.Release(listeners.default_result_printer());
    }
    status = RUN_ALL_TESTS();
  }
  return status;
}

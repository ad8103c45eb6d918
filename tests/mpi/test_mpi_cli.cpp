// tests/mpi/test_mpi_cli.cpp — `mpirun -np N rbm ...` against `rbm ...`: exact log Z bit for
// bit with 2 and 3 ranks (chunk counts that do not divide, a model whose visible layer is the
// smaller one, several models in a file), eval, and the tables of sweep and search; then the
// failures: a rank that exits, is killed, hangs or fails, and Ctrl-C on a rank, each ending the
// job with a non-zero status and a message within the stated time, and no file half-written.
// The rank failures are made by the tool's test hook RBM_MPI_FAULT=RANK:WHAT:N
// (host/cli/ranks.cpp).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "rbm/rbm.hpp"
#include "tests/support/logz_models.hpp"
#include "tests/support/temp_dir.hpp"

namespace rbm::test {
namespace {

using nlohmann::json;

struct JobRun {
  int status = 0;  // the exit status (128 + signal when killed)
  std::string out, err;
  double seconds = 0;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class MpiCli : public ::testing::Test {
 protected:
  /// `rbm ARGS`, or under `mpirun -np RANKS` when ranks > 0; `env` prefixes the command.
  JobRun run(const std::string& args, int ranks = 0, const std::string& env = "") const {
    const std::string launcher = ranks > 0 ? std::string(RBM_MPIEXEC) + " " + RBM_MPIEXEC_FLAGS +
                                                 " -np " + std::to_string(ranks) + " "
                                           : std::string();
    const std::string out = temp_.file("stdout"), err = temp_.file("stderr");
    // Open MPI refuses root (containers, CI) unless told twice; other MPIs ignore these.
    // RBM_MPI_RUN_ENV: the sanitizer build's settings (tests/CMakeLists.txt).
    const std::string command = "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 " +
                                std::string(RBM_MPI_RUN_ENV) + " " + env + " " + launcher +
                                RBM_CLI_PATH + " " + args + " > " + out + " 2> " + err;
    const auto start = std::chrono::steady_clock::now();
    const int raw = std::system(command.c_str());
    JobRun r;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
  }

  std::string save(const std::string& name, const std::vector<Model>& models) const {
    const std::string path = temp_.file(name);
    save_models(path, models);
    return path;
  }

  /// Every JSON line of stdout.
  static std::vector<json> lines(const JobRun& r) {
    std::vector<json> records;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);)
      if (!line.empty() && line.front() == '{') records.push_back(json::parse(line));
    return records;
  }

  /// The files in `dir` (a failed run must leave none, not even temporaries).
  static std::vector<std::string> files_in(const std::filesystem::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir))
      names.push_back(entry.path().filename().string());
    return names;
  }

  TempDir temp_{"rbm_mpi_cli"};
};

bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

/// log_z of every line of `run` (one per model).
std::vector<double> log_zs(const std::vector<json>& records) {
  std::vector<double> values;
  for (const json& r : records) values.push_back(r.at("log_z").get<double>());
  return values;
}

const char kCpu[] = " --backend cpu --threads 1 --json";

TEST_F(MpiCli, LogZEqualsOneProcessBitForBit) {
  struct Case {
    Inputs inputs;
    int models;
  };
  const Case cases[] = {
      {{"mnist_l20", 784, 20, 0.1, 0.1, 0, 1}, 1},  // 64 CPU chunks: 3 ranks get 22, 21, 21
      {{"l19", 100, 19, 1.0, 0.5, 0, 2}, 1},        // 32 chunks
      {{"l21_large", 30, 21, 3.0, 2.0, 0, 3}, 1},   // 128 chunks, fields far from 0
      {{"l13", 40, 13, 1.0, 1.0, 0, 4}, 1},         // 1 chunk: one rank does all
      {{"visible", 18, 150, 0.3, 0.3, 0, 5}, 1},    // the visible layer enumerated: 16 chunks
      {{"three", 60, 18, 0.5, 0.5, 0, 6}, 3},       // a file of three models
  };
  for (const Case& c : cases) {
    std::vector<Model> models;
    for (int m = 0; m < c.models; ++m) {
      Inputs in = c.inputs;
      in.seed += 100 * m;
      models.push_back(random_model(in));
    }
    const std::string file = save(std::string(c.inputs.name) + ".safetensors", models);
    const JobRun alone = run("logz --model " + file + kCpu);
    ASSERT_EQ(alone.status, 0) << alone.err;
    const std::vector<double> expected = log_zs(lines(alone));
    ASSERT_EQ(expected.size(), models.size());
    for (int ranks : {2, 3}) {
      const JobRun spread = run("logz --model " + file + kCpu, ranks);
      ASSERT_EQ(spread.status, 0) << describe(c.inputs) << " on " << ranks << " ranks\n"
                                  << spread.err;
      const std::vector<json> records = lines(spread);
      ASSERT_EQ(records.size(), models.size()) << "only rank 0 prints\n" << spread.out;
      const std::vector<double> got = log_zs(records);
      for (std::size_t m = 0; m < got.size(); ++m)
        EXPECT_TRUE(same_bits(got[m], expected[m]))
            << describe(c.inputs) << " model " << m << " on " << ranks << " ranks: " << got[m]
            << " vs " << expected[m];
      EXPECT_EQ(records.front().value("ranks", 0), ranks);
    }
  }
}

TEST_F(MpiCli, EvalEqualsOneProcess) {
  const std::string file = save("bas.safetensors", {random_model({"bas", 16, 12, 1.0, 0.5, 0, 7})});
  const JobRun alone = run("eval --data bas:4 --model " + file + kCpu);
  ASSERT_EQ(alone.status, 0) << alone.err;
  const JobRun spread = run("eval --data bas:4 --model " + file + kCpu, 2);
  ASSERT_EQ(spread.status, 0) << spread.err;
  const json a = lines(alone).at(0), b = lines(spread).at(0);
  for (const char* key : {"log_z", "log_likelihood", "reconstruction_error", "states", "pairs"})
    EXPECT_TRUE(same_bits(a.at(key).get<double>(), b.at(key).get<double>())) << key;
}

/// The numbers of a table that must not depend on the ranks (times may).
json without_times(json row) {
  for (const char* key : {"train_seconds", "eval_seconds", "seconds"}) row.erase(key);
  return row;
}

TEST_F(MpiCli, SweepTablesEqualOneProcess) {
  const std::string args =
      "sweep --data bas:4 --sizes 2,3,5,8 --seeds 3 --epochs 30 --batch 10 --lr 0.1 --test bas:4" +
      std::string(kCpu);
  std::vector<std::vector<json>> tables;
  for (int ranks : {0, 2, 3}) {
    const std::string stem = temp_.file("sweep" + std::to_string(ranks));
    const JobRun r = run(args + " --png " + stem + ".png", ranks);
    ASSERT_EQ(r.status, 0) << ranks << " ranks\n" << r.err;
    std::vector<json> rows;
    for (const json& row : lines(r)) rows.push_back(without_times(row));
    ASSERT_EQ(rows.size(), 4u);
    // The file rank 0 writes holds the same rows.
    std::istringstream written(slurp(stem + ".jsonl"));
    std::size_t k = 0;
    for (std::string line; std::getline(written, line); ++k)
      EXPECT_EQ(without_times(json::parse(line)), rows.at(k));
    EXPECT_EQ(k, rows.size());
    tables.push_back(rows);
  }
  // json compares doubles exactly (==): bit for bit for these finite values.
  EXPECT_EQ(tables[1], tables[0]) << "2 ranks";
  EXPECT_EQ(tables[2], tables[0]) << "3 ranks";
}

TEST_F(MpiCli, SearchTablesEqualOneProcess) {
  const std::string args =
      "search --data bas:4 --valid bas:4 --trials 8 --top 2 --seeds 2 --hidden 3:7 --epochs 5:15 "
      "--batch-start 5:10 --batch-end 10:20" +
      std::string(kCpu);
  std::vector<std::vector<json>> tables;
  for (int ranks : {0, 2, 3}) {
    const JobRun r = run(args, ranks);
    ASSERT_EQ(r.status, 0) << ranks << " ranks\n" << r.err;
    tables.push_back(lines(r));
    ASSERT_EQ(tables.back().size(), 8u);
  }
  EXPECT_EQ(tables[1], tables[0]) << "2 ranks";
  EXPECT_EQ(tables[2], tables[0]) << "3 ranks";
}

TEST_F(MpiCli, CommandsOfOneProcessRefuseToRunOnSeveral) {
  const std::string file = save("m.safetensors", {random_model({"m", 16, 4, 1.0, 1.0, 0, 1})});
  const JobRun r = run("info " + file, 2);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("`rbm info` runs in one process"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

// ---- Failures ----------------------------------------------------------------------------------
// A model of 512 CPU chunks: two ranks with one thread poll 16 times each, a few ms apart.
class MpiCliFaults : public MpiCli {
 protected:
  void SetUp() override {
    model_ = save("m.safetensors", {random_model({"faults", 100, 23, 0.3, 0.3, 0, 11})});
  }
  JobRun logz_with(const std::string& fault, int timeout = 30) const {
    return run("logz --model " + model_ + kCpu + " --mpi-timeout " + std::to_string(timeout), 2,
               "RBM_MPI_FAULT=" + fault);
  }
  std::string model_;
};

// Margin on top of a stated time for starting and ending the MPI job on a loaded machine.
constexpr double kJobMargin = 30;

TEST_F(MpiCliFaults, ARankThatExitsEndsTheJob) {
  const JobRun r = logz_with("1:exit:3");
  EXPECT_NE(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "") << "no result from a job that lost a rank";
  EXPECT_LT(r.seconds, kJobMargin) << r.err;
  EXPECT_NE(r.err.find("exit"), std::string::npos) << "mpirun names the rank that exited\n"
                                                   << r.err;
}

TEST_F(MpiCliFaults, ARankKilledWithSignal9EndsTheJob) {
  const JobRun r = logz_with("1:kill:3");
  EXPECT_NE(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_LT(r.seconds, kJobMargin) << r.err;
  EXPECT_NE(r.err.find("signal 9"), std::string::npos) << r.err;
}

TEST_F(MpiCliFaults, AHangingRankIsReportedByRankZeroAfterTheTimeout) {
  const int timeout = 3;
  const JobRun r = logz_with("1:hang:3", timeout);
  EXPECT_NE(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("rbm: error: rank 1 (host "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("has sent nothing for"), std::string::npos) << r.err;
  EXPECT_LT(r.seconds, timeout + kJobMargin) << r.err;
}

TEST_F(MpiCliFaults, AnErrorOnOneRankIsReportedOnceByRankZero) {
  const JobRun r = logz_with("1:error:3");
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("rbm: error: rank 1: injected fault"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("rbm: error:"), r.err.rfind("rbm: error:")) << "one message\n" << r.err;
}

TEST_F(MpiCliFaults, CtrlCOnRankZeroStopsEveryRankCleanly) {
  for (const char* fault : {"0:interrupt:3", "1:interrupt:3"}) {
    const JobRun r = logz_with(fault);
    EXPECT_EQ(r.status, 130) << fault << "\n" << r.err;
    EXPECT_EQ(r.out, "");
    const std::string rank(1, fault[0]);
    EXPECT_NE(r.err.find("rbm: stopped: rank " + rank + ": interrupted"), std::string::npos)
        << r.err;
  }
}

TEST_F(MpiCliFaults, AFailedSweepLeavesNoFile) {
  const std::string out = temp_.file("out");
  std::filesystem::create_directory(out);
  const std::string args = "sweep --data bas:4 --sizes 2,3,4,5 --seeds 2 --epochs 200 --batch 5" +
                           std::string(kCpu) + " --mpi-timeout 3 --png " + out + "/sweep.png";
  struct Fault {
    const char* spec;
    int status;           // expected exit status, or -1: any but 0
    const char* message;  // on stderr
  };
  for (const Fault& f :
       {Fault{"1:exit:20", -1, "exit"}, Fault{"1:hang:20", -1, "rbm: error: rank 1 (host "},
        Fault{"0:interrupt:20", 130, "rbm: stopped: rank 0: interrupted"}}) {
    const JobRun r = run(args, 2, std::string("RBM_MPI_FAULT=") + f.spec);
    if (f.status < 0)
      EXPECT_NE(r.status, 0) << f.spec << "\n" << r.err;
    else
      EXPECT_EQ(r.status, f.status) << f.spec << "\n" << r.err;
    EXPECT_NE(r.err.find(f.message), std::string::npos) << f.spec << "\n" << r.err;
    EXPECT_LT(r.seconds, 3 + kJobMargin) << f.spec << "\n" << r.err;
    EXPECT_EQ(files_in(out), std::vector<std::string>{}) << f.spec;
  }
  // The same command without a fault writes its table and plot: the faults stopped it.
  const JobRun r = run(args, 2);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_FALSE(files_in(out).empty());
}

}  // namespace
}  // namespace rbm::test

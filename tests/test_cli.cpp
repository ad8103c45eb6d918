// tests/test_cli.cpp — the `rbm` tool end to end: train → eval → logz on generated data, JSON
// output, and clear errors (bad spec, missing file, CUDA requested without a device).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "rbm/rbm.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using rbm::test::CliRun;
using rbm::test::last_json;
using rbm::test::run_cli;

class CliTest : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  rbm::test::TempDir temp_{"rbm_cli"};
  const std::filesystem::path dir_ = temp_.path();
};

TEST_F(CliTest, TrainEvalLogzOnBarsAndStripes) {
  const std::string model = path("bas3.safetensors");
  const CliRun train = run_cli(
      "train --data bas:3 --hidden 8 --cd 5 --epochs 3000 --batch 7 --lr 0.05 "
      "--seed 3 --backend cpu --json --out " +
      model);
  ASSERT_EQ(train.status, 0) << train.output;
  EXPECT_EQ(last_json(train.output).value("event", ""), "saved");
  ASSERT_TRUE(std::filesystem::exists(model));

  const CliRun eval = run_cli("eval --model " + model + " --data bas:3 --backend cpu --json");
  ASSERT_EQ(eval.status, 0) << eval.output;
  const auto record = last_json(eval.output);
  for (const char* key : {"log_z", "log_likelihood", "reconstruction_error", "seconds", "method",
                          "states", "pairs_per_s"})
    EXPECT_TRUE(record.contains(key)) << key << " missing in " << record.dump();
  EXPECT_EQ(record["method"], "exact");
  // The CLI's numbers are the library's numbers.
  rbm::Engine engine(rbm::BackendKind::cpu);
  const rbm::Model loaded = rbm::load_model(model);
  const double log_z = engine.log_z(loaded).log_z;
  EXPECT_DOUBLE_EQ(record["log_z"].get<double>(), log_z);
  const auto data = engine.upload(rbm::make_bars_and_stripes(3));
  EXPECT_DOUBLE_EQ(record["log_likelihood"].get<double>(),
                   engine.mean_log_likelihood(loaded, data, log_z));
  // Uniform over 2^9 patterns gives -6.24 and the optimum is log(1/14) = -2.64; 3000 epochs of
  // CD-5 must get most of the way.
  EXPECT_GT(record["log_likelihood"].get<double>(), -3.5);

  const CliRun logz = run_cli("logz --model " + model + " --backend cpu --json");
  ASSERT_EQ(logz.status, 0) << logz.output;
  EXPECT_DOUBLE_EQ(last_json(logz.output)["log_z"].get<double>(), log_z);
  EXPECT_EQ(last_json(logz.output)["log2_states"].get<int>(), 8);
  EXPECT_TRUE(last_json(logz.output).contains("pairs_per_s")) << logz.output;
}

TEST_F(CliTest, SeedSweepSavesAllModels) {
  const std::string model = path("sweep.safetensors");
  const CliRun train = run_cli(
      "train --data bas:2 --hidden 3 --pcd 1 --epochs 5 --batch 2 --models 3 --math tf32 "
      "--backend cpu --out " +
      model);
  ASSERT_EQ(train.status, 0) << train.output;
  EXPECT_EQ(rbm::load_models(model).size(), 3u);
  const CliRun eval = run_cli("eval --model " + model + " --data bas:2 --backend cpu --json");
  ASSERT_EQ(eval.status, 0) << eval.output;
  EXPECT_EQ(last_json(eval.output)["model"].get<int>(), 2);
}

TEST_F(CliTest, ErrorsNameTheProblem) {
  CliRun r = run_cli("train --data nosuchkind:1 --hidden 4 --cd 1 --out " + path("x.safetensors"));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("nosuchkind"), std::string::npos) << r.output;

  r = run_cli("eval --model " + path("missing.safetensors") + " --data bas:3");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("missing.safetensors"), std::string::npos) << r.output;

  r = run_cli("train --data bas:3 --hidden 0 --out " + path("x.safetensors"));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("--hidden must be >= 1"), std::string::npos) << r.output;

  r = run_cli("train --data bas:3 --hidden 4 --lr linear:0.1 --out " + path("x.safetensors"));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("linear:0.1"), std::string::npos) << r.output;

  r = run_cli("train --data bas:3 --hidden 4 --cd 1 --math fp16 --out " + path("x.safetensors"));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("fp16"), std::string::npos) << r.output;

  r = run_cli("train --data bas:3 --hidden 4 --cd 1 --batch 100 --out " + path("x.safetensors"));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("batch_size 100"), std::string::npos) << r.output;
}

// `rbm train --data X --hidden L` alone trains CD-1 with the documented defaults.
TEST_F(CliTest, TrainNeedsOnlyDataAndHiddenUnits) {
  const CliRun r = run_cli("train --data bas:3 --hidden 4 --batch 7 --backend cpu --json --out " +
                           path("m.safetensors"));
  ASSERT_EQ(r.status, 0) << r.output;
  const rbm::Model m = rbm::load_model(path("m.safetensors"));
  const auto config = nlohmann::json::parse(m.provenance)["config"];
  EXPECT_EQ(config["cd_steps"], "1");
  EXPECT_EQ(config["persistent"], false);
  EXPECT_EQ(config["optimizer"], "momentum");
  EXPECT_EQ(config["epochs"], rbm::TrainConfig{}.epochs);
}

// The run configuration stored in a model file reproduces that model exactly.
TEST_F(CliTest, ConfigInTheModelFileReproducesTheModel) {
  const std::string first = path("first.safetensors"), again = path("again.safetensors");
  CliRun r = run_cli(
      "train --data bas:3 --hidden 5 --pcd linear:1:3 --chains 9 --batch linear:2:7 --epochs 12 "
      "--optimizer adam --lr exp:0.02:0.005 --l1 0.001 --l2 0.0005 --sparsity 0.1:0.05 "
      "--centering --visible-type spin --hidden-type potts-off --seed 7 --models 2 --backend cpu "
      "--out " +
      first);
  ASSERT_EQ(r.status, 0) << r.output;
  r = run_cli("info " + first + " --config > " + path("config.json"));
  ASSERT_EQ(r.status, 0) << r.output;
  r = run_cli("train --config " + path("config.json") + " --backend cpu --out " + again);
  ASSERT_EQ(r.status, 0) << r.output;
  const auto a = rbm::load_models(first), b = rbm::load_models(again);
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), 2u);
  for (std::size_t m = 0; m < a.size(); ++m) {
    EXPECT_EQ(a[m].weights, b[m].weights) << m;
    EXPECT_EQ(a[m].visible_bias, b[m].visible_bias) << m;
    EXPECT_EQ(a[m].hidden_bias, b[m].hidden_bias) << m;
    EXPECT_EQ(a[m].hidden_type, rbm::UnitType::potts_off);
  }
  // Unknown keys are named.
  std::ofstream(path("typo.json")) << R"({"data": "bas:3", "hidden": 4, "learnig_rate": 0.1})";
  r = run_cli("train --config " + path("typo.json") + " --out " + path("x.safetensors"));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("learnig_rate"), std::string::npos) << r.output;
}

TEST_F(CliTest, DivergenceSavesNothingUnlessAskedAndExitsNonZero) {
  const std::string out = path("d.safetensors");
  CliRun r =
      run_cli("train --data bas:3 --hidden 4 --batch 7 --lr 1e30 --backend cpu --out " + out);
  EXPECT_EQ(WEXITSTATUS(r.status), 3) << r.output;
  EXPECT_NE(r.output.find("diverged"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("lower the learning rate"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(out));
  r = run_cli(
      "train --data bas:3 --hidden 4 --batch 7 --lr switch:0.05:1e30:2 --keep-last-good "
      "--backend cpu --out " +
      out);
  EXPECT_EQ(WEXITSTATUS(r.status), 3) << r.output;
  const rbm::Model last_good = rbm::load_model(out);  // finite: load validates
  EXPECT_EQ(last_good.n_hidden, 4);
}

// Ctrl-C finishes the epoch, writes a checkpoint and exits 130; resuming it gives the model of
// an uninterrupted run.
TEST_F(CliTest, InterruptWritesACheckpointThatResumesExactly) {
  const std::string args =
      "train --data glyphs:10 --hidden 32 --pcd 1 --optimizer adam --lr 0.01 --epochs 2000 "
      "--batch 10 --quiet --backend cpu ";
  const std::string out = path("i.safetensors");
  const CliRun r =
      run_cli("--version >/dev/null; (" + std::string(RBM_CLI_PATH) + " " + args + "--out " + out +
              " & pid=$!; sleep 1; kill -INT $pid; wait $pid; " + "echo status=$?) 2>&1; true #");
  if (r.output.find("status=0") != std::string::npos)
    GTEST_SKIP() << "training finished before the signal arrived";
  ASSERT_NE(r.output.find("status=130"), std::string::npos) << r.output;
  ASSERT_TRUE(std::filesystem::exists(out + ".checkpoint")) << r.output;
  EXPECT_FALSE(std::filesystem::exists(out));
  for (const auto& entry : std::filesystem::directory_iterator(dir_))
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
  CliRun resumed =
      run_cli("train --resume " + out + ".checkpoint --quiet --backend cpu --out " + out);
  ASSERT_EQ(resumed.status, 0) << resumed.output;
  CliRun straight = run_cli(args + "--out " + path("straight.safetensors"));
  ASSERT_EQ(straight.status, 0) << straight.output;
  const rbm::Model a = rbm::load_model(out), b = rbm::load_model(path("straight.safetensors"));
  EXPECT_EQ(a.weights, b.weights);
  EXPECT_EQ(a.hidden_bias, b.hidden_bias);
}

TEST_F(CliTest, LogzRefusesHugeEnumerationWithTheSizeTheEstimateAndTheOptions) {
  rbm::save_model(path("big.safetensors"), rbm::Model::zeros(100, 60));
  CliRun r = run_cli("logz --model " + path("big.safetensors") + " --backend cpu --method exact");
  EXPECT_NE(r.status, 0);
  for (const char* part : {"2^60", "pairs/s", "--max-seconds", "--max-log2-states 60"})
    EXPECT_NE(r.output.find(part), std::string::npos) << part << "\n" << r.output;
  r = run_cli("logz --model " + path("big.safetensors") +
              " --backend cpu --method exact --max-log2-states 50");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("the limit is 2^50"), std::string::npos) << r.output;
}

// Ctrl-C during a long exact log Z stops the enumeration at its next chunk and exits with 130.
TEST_F(CliTest, InterruptStopsExactLogZPromptly) {
  rbm::save_model(path("long.safetensors"), rbm::Model::zeros(784, 40));  // hours on a CPU
  const std::string err = path("logz.err");
  // Wait for the first progress line (the enumeration is running), then send SIGINT and time
  // the exit.
  const CliRun r =
      run_cli("--version >/dev/null; (" + std::string(RBM_CLI_PATH) + " logz --model " +
              path("long.safetensors") + " --backend cpu --method exact --max-log2-states 40 2> " +
              err + " & pid=$!; for i in $(seq 600); do grep -q 'log Z' " + err +
              " && break; sleep 0.1; done; start=$(date +%s%N); kill -INT $pid; "
              "wait $pid; status=$?; echo status=$status "
              "ms=$(( ($(date +%s%N) - start) / 1000000 )); cat " +
              err + ") 2>&1; true #");
  ASSERT_NE(r.output.find("status=130"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("interrupted: exact log Z cancelled"), std::string::npos) << r.output;
  const auto ms = r.output.find("ms=");
  ASSERT_NE(ms, std::string::npos) << r.output;
  // Prompt: a round of chunks takes ~0.1 s on two cores; 5 s leaves room for a loaded machine.
  EXPECT_LT(std::stol(r.output.substr(ms + 3)), 5000) << r.output;
}

TEST_F(CliTest, VersionPrintsTheVersion) {
  const CliRun r = run_cli("--version");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find(std::string("rbm ") + rbm::version()), std::string::npos) << r.output;
}

// --resume F --epochs N: N is the new total when no schedule depends on the run's length, and
// the result equals an uninterrupted run of N epochs; otherwise (and for any other recipe
// option) the command is refused by name.
TEST_F(CliTest, ResumeHonoursEpochsAsTheNewTotal) {
  const std::string recipe =
      "train --data bas:3 --hidden 6 --pcd 1 --batch 7 --optimizer adam --lr 0.01 --seed 4 "
      "--quiet --backend cpu ";
  const std::string short_run = path("short.safetensors");
  CliRun r = run_cli(recipe + "--epochs 3 --checkpoint-every 3 --out " + short_run);
  ASSERT_EQ(r.status, 0) << r.output;
  ASSERT_TRUE(std::filesystem::exists(short_run + ".checkpoint"));
  r = run_cli("train --resume " + short_run + ".checkpoint --epochs 8 --quiet --backend cpu " +
              "--out " + path("resumed.safetensors"));
  ASSERT_EQ(r.status, 0) << r.output;
  r = run_cli(recipe + "--epochs 8 --out " + path("straight.safetensors"));
  ASSERT_EQ(r.status, 0) << r.output;
  const rbm::Model a = rbm::load_model(path("resumed.safetensors")),
                   b = rbm::load_model(path("straight.safetensors"));
  EXPECT_EQ(a.weights, b.weights);
  EXPECT_EQ(a.visible_bias, b.visible_bias);
  EXPECT_EQ(a.hidden_bias, b.hidden_bias);
  EXPECT_EQ(nlohmann::json::parse(a.provenance)["config"]["epochs"], 8);

  r = run_cli("train --resume " + short_run + ".checkpoint --epochs 2 --backend cpu --out " +
              path("x.safetensors"));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("done 3 epochs"), std::string::npos) << r.output;
  r = run_cli("train --resume " + short_run + ".checkpoint --lr 0.5 --backend cpu --out " +
              path("x.safetensors"));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("'learning_rate' cannot change"), std::string::npos) << r.output;

  const std::string stretched = path("stretched.safetensors");
  r = run_cli(
      "train --data bas:3 --hidden 6 --batch 7 --lr 0.05 --momentum switch:0.5:0.9:0.5 --quiet "
      "--backend cpu --epochs 4 --checkpoint-every 2 --out " +
      stretched);
  ASSERT_EQ(r.status, 0) << r.output;
  r = run_cli("train --resume " + stretched + ".checkpoint --epochs 8 --backend cpu --out " +
              path("x.safetensors"));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("momentum schedule 'switch:0.5:0.9:0.5'"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(path("x.safetensors")));
}

// Huge but finite parameters (a model written by another tool) print in a readable exponent
// form, not as a 30-digit fixed-point number.
TEST_F(CliTest, HugeValuesPrintInExponentForm) {
  rbm::Model model = rbm::Model::zeros(9, 4);
  model.hidden_bias[0] = 1e30f;
  rbm::save_model(path("huge.safetensors"), model);
  const CliRun r =
      run_cli("eval --backend cpu --model " + path("huge.safetensors") + " --data bas:3");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("log Z = 1.000000015e+30"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("0000000000"), std::string::npos) << r.output;
}

TEST_F(CliTest, CudaBackendWithoutDeviceFailsClearly) {
  if (rbm::cuda_available()) GTEST_SKIP() << "a CUDA device is present";
  const CliRun r = run_cli("logz --model " + path("none.safetensors") + " --backend cuda");
  EXPECT_NE(r.status, 0);
  rbm::save_model(path("m.safetensors"), rbm::Model::zeros(4, 3));
  const CliRun r2 = run_cli("logz --model " + path("m.safetensors") + " --backend cuda");
  EXPECT_NE(r2.status, 0);
  EXPECT_NE(r2.output.find("cuda"), std::string::npos) << r2.output;
}

TEST(Backend, AutoFallsBackToCpuAndCudaFailsWithoutDevice) {
  rbm::Engine engine(rbm::BackendKind::auto_);
  if (!rbm::cuda_available()) {
    EXPECT_EQ(engine.kind(), rbm::BackendKind::cpu);
    EXPECT_THROW(rbm::Engine(rbm::BackendKind::cuda), rbm::Error);
  } else {
    EXPECT_EQ(engine.kind(), rbm::BackendKind::cuda);
  }
  EXPECT_THROW(rbm::parse_backend_kind("gpu"), rbm::InvalidArgument);
}

}  // namespace

// tests/test_cli_bm_dbn.cpp — `rbm bm` and `rbm dbn` end to end on generated data: the numbers
// the tool prints are the library's, files load back, per-layer options reach their layer, and
// errors name the problem (CUDA asked of a Boltzmann machine, bad layer specs).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "rbm/rbm.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/temp_dir.hpp"

namespace rbm::test {
namespace {

class BmDbnCli : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return temp_.file(name); }
  TempDir temp_{"rbm_cli_bm"};
};

TEST_F(BmDbnCli, BoltzmannTrainEvalSample) {
  const std::string model = path("bm.safetensors");
  CliRun r = run_cli(
      "bm train --data bas:2 --hidden 2 --graph full --pcd 1 --chains 20 --batch 6 --epochs 50 "
      "--optimizer adam --lr 0.02 --eval-every 10 --json --out " +
      model);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(last_json(r.output).value("event", ""), "saved");
  const BoltzmannMachine machine = load_boltzmann(model);
  EXPECT_EQ(machine.n_visible, 4);
  EXPECT_EQ(machine.n_units, 6);
  EXPECT_TRUE(std::filesystem::exists(path("bm.metrics.jsonl")));
  const nlohmann::json provenance = nlohmann::json::parse(machine.provenance);
  EXPECT_EQ(provenance["config"]["graph"], "full");
  EXPECT_EQ(provenance["config"]["clamped_sweeps"], 5);

  r = run_cli("bm eval --model " + model + " --data bas:2 --json");
  ASSERT_EQ(r.status, 0) << r.output;
  const nlohmann::json eval = last_json(r.output);
  EXPECT_DOUBLE_EQ(eval["log_z"].get<double>(), bm_log_z(machine));
  EXPECT_DOUBLE_EQ(eval["log_likelihood"].get<double>(),
                   bm_mean_log_likelihood(machine, make_bars_and_stripes(2)));

  r = run_cli("bm sample --model " + model +
              " --chains 8 --burn-in 50 --temperature exp:4:1 --json --png " + path("s.png"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(last_json(r.output)["samples"].get<int>(), 8);
  EXPECT_TRUE(std::filesystem::exists(path("s.png")));
  EXPECT_TRUE(std::filesystem::exists(path("s.jsonl")));
  // The library's sequential sweep, drawn through the CLI: the same samples.
  r = run_cli("bm sample --model " + model + " --chains 8 --burn-in 50 --sweep sequential --json " +
              "--png " + path("q.png"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(last_json(r.output)["sweep"], "sequential");
  BmSampleOptions options;
  options.n_chains = 8;
  options.burn_in = 50;
  options.sweep = BmSweep::sequential;
  const BmSamples samples = bm_sample(machine, options);
  std::ifstream numbers(path("q.jsonl"));
  std::size_t rows = 0;
  for (std::string line; std::getline(numbers, line) && rows < samples.n_samples(); ++rows)
    EXPECT_DOUBLE_EQ(nlohmann::json::parse(line)["energy"].get<double>(), samples.energies[rows]);
  EXPECT_EQ(rows, samples.n_samples());
}

TEST_F(BmDbnCli, BoltzmannRefusesCudaAndRbmOnlyOptions) {
  CliRun r =
      run_cli("bm train --data bas:2 --hidden 2 --backend cuda --out " + path("x.safetensors"));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("CPU only"), std::string::npos) << r.output;
  r = run_cli("bm train --data bas:2 --hidden 2 --batch 6 --centering --out " +
              path("x.safetensors"));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("centering"), std::string::npos) << r.output;
  r = run_cli("bm train --data bas:2 --hidden 30 --batch 6 --epochs 1 --eval-every 1 --out " +
              path("x.safetensors"));
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("beyond --max-units"), std::string::npos) << r.output;
  r = run_cli("bm eval --model " + path("x.safetensors"));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("2^34"), std::string::npos) << r.output;
}

TEST_F(BmDbnCli, DbnTrainSampleTransformEval) {
  const std::string model = path("dbn.safetensors");
  CliRun r = run_cli(
      "dbn train --data bas:3 --cd 1 --batch 7 --epochs 20 --backend cpu --json --out " + model +
      " --layer 8 --layer '{\"hidden\": 6, \"epochs\": 7, \"input\": \"samples:2\"}'");
  ASSERT_EQ(r.status, 0) << r.output;
  const DeepBeliefNet net = load_dbn(model);
  ASSERT_EQ(net.layers.size(), 2u);
  EXPECT_EQ(net.layers[0].n_hidden, 8);
  EXPECT_EQ(net.layers[1].n_hidden, 6);
  ASSERT_EQ(net.recipes.size(), 2u);
  EXPECT_EQ(net.recipes[0].config.epochs, 20);  // the shared options
  EXPECT_EQ(net.recipes[1].config.epochs, 7);   // the layer's own over them
  EXPECT_EQ(net.recipes[1].input.to_string(), "samples:2");

  r = run_cli("dbn sample --model " + model +
              " --chains 50 --burn-in 20 --match bas:3 --json --backend cpu --png " +
              path("g.png"));
  ASSERT_EQ(r.status, 0) << r.output;
  const nlohmann::json sampled = last_json(r.output);
  EXPECT_EQ(sampled["samples"].get<int>(), 50);
  const double fraction = sampled["fraction"].get<double>();
  EXPECT_DOUBLE_EQ(sampled["standard_error"].get<double>(),
                   std::sqrt(fraction * (1 - fraction) / 50));

  r = run_cli("dbn transform --model " + model + " --data bas:3 --layer 2 --backend cpu --out " +
              path("f.csv"));
  ASSERT_EQ(r.status, 0) << r.output;
  std::ifstream csv(path("f.csv"));
  std::string first_row;
  std::getline(csv, first_row);
  EXPECT_EQ(std::count(first_row.begin(), first_row.end(), ','), 5) << first_row;  // 6 features

  r = run_cli("dbn eval --model " + model + " --data bas:3 --exact --json --backend cpu");
  ASSERT_EQ(r.status, 0) << r.output;
  const nlohmann::json bound = last_json(r.output);
  Engine engine(BackendKind::cpu);
  DbnBoundOptions options;
  options.exact_expectation = true;
  EXPECT_DOUBLE_EQ(bound["bound"].get<double>(),
                   dbn_log_likelihood_bound(engine, net, make_bars_and_stripes(3), options).bound);
  EXPECT_LE(bound["bound"].get<double>(), bound["exact_log_likelihood"].get<double>() + 1e-4);
  EXPECT_EQ(bound["log_z_top_method"], "exact");

  // Below the top RBM's 2^6 states, exact log Z's limit sends it to AIS, and the first RBM's
  // 2^8 states are beyond it too.
  r = run_cli("dbn eval --model " + model +
              " --data bas:3 --exact --max-log2-states 5 --ais-betas 200 --json --backend cpu");
  ASSERT_EQ(r.status, 0) << r.output;
  const nlohmann::json limited = last_json(r.output);
  EXPECT_EQ(limited["log_z_top_method"], "ais");
  EXPECT_GT(limited["log_z_top_standard_error"].get<double>(), 0);
  EXPECT_TRUE(limited["first_layer_log_likelihood"].is_null());
}

TEST_F(BmDbnCli, DbnLayerErrorsNameTheProblem) {
  CliRun r =
      run_cli("dbn train --data bas:3 --layer '{\"hidden\": 4, \"data\": \"bas:2\"}' --out " +
              path("x.safetensors"));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("not a layer key"), std::string::npos) << r.output;
  r = run_cli(
      "dbn train --data bas:3 --batch 7 --layer 4 --layer '{\"hidden\": 4, \"input\": \"means\"}' "
      "--out " +
      path("x.safetensors"));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("means"), std::string::npos) << r.output;
  r = run_cli("dbn train --data bas:3 --layer nosuchfile.json --out " + path("x.safetensors"));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("nosuchfile.json"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace rbm::test

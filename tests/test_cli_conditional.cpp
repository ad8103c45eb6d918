// tests/test_cli_conditional.cpp — the CLI beyond enumeration and conditionally, end to end:
// eval/logz by AIS (with the reverse-AIS bracket), training with parallel tempering, classify
// (exact posteriors and clamped Gibbs), inpaint and transform. The numbers the commands print
// are checked against the library's own calls on the same files.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "rbm/rbm.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/temp_dir.hpp"

namespace rbm::test {
namespace {

// AIS's estimates are compared with the exact values within 4.5 of their own standard errors:
// a false-alarm rate of 7e-6 per comparison under the normal approximation.
constexpr double kMaxZ = 4.5;

class CliConditional : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return (temp_.path() / name).string(); }
  /// Trains a model with `rbm train ARGS` into NAME in the test's folder.
  std::string trained(const std::string& name, const std::string& args) const {
    const std::string out = path(name);
    const CliRun r = run_cli("train " + args + " --backend cpu --quiet --out " + out);
    EXPECT_EQ(r.status, 0) << r.output;
    return out;
  }
  /// A bars-and-stripes 3×3 model with 8 hidden units (exact log Z affordable).
  std::string bars_model() const {
    return trained("bas.safetensors",
                   "--data bas:3 --hidden 8 --cd 5 --epochs 1000 --batch 7 --lr 0.05 --seed 3");
  }
  /// A 14×14 glyph-digit model trained with its labels as visible units.
  std::string labelled_model() const {
    return trained("glyphs.safetensors",
                   "--data glyphs:30 --labels-as-visible --hidden 32 --pcd 1 --epochs 200 "
                   "--batch 20 --lr 0.05 --seed 2");
  }
  TempDir temp_{"rbm_cli_conditional"};
};

TEST_F(CliConditional, EvalAndLogzByAisAgreeWithEnumerationAndBracketIt) {
  const std::string model = bars_model();
  const CliRun exact = run_cli("eval --model " + model + " --data bas:3 --backend cpu --json");
  ASSERT_EQ(exact.status, 0) << exact.output;
  const double exact_log_z = last_json(exact.output)["log_z"];
  const double exact_ll = last_json(exact.output)["log_likelihood"];

  const CliRun ais = run_cli("eval --model " + model +
                             " --data bas:3 --method ais --chains 200 --betas 2000 --bracket 14 "
                             "--backend cpu --json");
  ASSERT_EQ(ais.status, 0) << ais.output;
  const auto r = last_json(ais.output);
  EXPECT_EQ(r["method"], "ais");
  const double error = r["log_z_error"];
  EXPECT_GT(error, 0);
  EXPECT_LE(std::abs(r["log_z"].get<double>() - exact_log_z), kMaxZ * error) << r.dump();
  EXPECT_DOUBLE_EQ(r["log_likelihood"].get<double>() + r["log_z"].get<double>(),
                   exact_ll + exact_log_z);  // the same data term
  // The bracket's rows are the whole data here: reverse AIS's lower side lies below the exact
  // value and AIS's upper side above it, each within its own error.
  EXPECT_LE(r["bracket_lower"].get<double>(),
            exact_ll + kMaxZ * r["bracket_lower_error"].get<double>())
      << r.dump();
  EXPECT_GE(r["bracket_upper"].get<double>(), exact_ll - kMaxZ * error) << r.dump();

  const CliRun logz = run_cli("logz --model " + model +
                              " --method ais --chains 200 --betas 2000 --backend cpu --json");
  ASSERT_EQ(logz.status, 0) << logz.output;
  const auto l = last_json(logz.output);
  EXPECT_EQ(l["method"], "ais");
  EXPECT_LE(std::abs(l["log_z"].get<double>() - exact_log_z),
            kMaxZ * l["log_z_error"].get<double>())
      << l.dump();
  EXPECT_GT(l["effective_sample_size"].get<double>(), 1);
  EXPECT_LE(l["effective_sample_size"].get<double>(), 200 + 1e-9);
}

TEST_F(CliConditional, TrainWithParallelTemperingRecordsTheLadder) {
  const std::string out = path("pt.safetensors");
  const CliRun train = run_cli(
      "train --data bas:3 --hidden 8 --pcd 1 --pt 3 --pt-min-beta 0.3 --epochs 50 --batch 7 "
      "--seed 3 --backend cpu --json --out " +
      out);
  ASSERT_EQ(train.status, 0) << train.output;
  const Model model = load_model(out);
  EXPECT_EQ(model.n_hidden, 8);
  const CliRun info = run_cli("info " + out + " --config");
  ASSERT_EQ(info.status, 0) << info.output;
  const auto config = nlohmann::json::parse(info.output);
  EXPECT_EQ(config["tempering_replicas"], 3);
  EXPECT_FLOAT_EQ(config["tempering_min_beta"].get<float>(), 0.3f);
  // Tempering needs persistent chains, and refuses what it cannot use.
  const CliRun cd = run_cli("train --data bas:3 --hidden 8 --cd 1 --pt 3 --out " + path("x"));
  EXPECT_NE(cd.status, 0);
  const CliRun hot =
      run_cli("train --data bas:3 --hidden 8 --pcd 1 --pt 3 --pt-min-beta 1.5 --out " +
              path("y.safetensors"));
  EXPECT_NE(hot.status, 0);
  EXPECT_NE(hot.output.find("tempering"), std::string::npos) << hot.output;
}

TEST_F(CliConditional, ClassifyReportsTheExactPosteriorsAccuracy) {
  const std::string model_file = labelled_model();
  const CliRun r =
      run_cli("classify --model " + model_file +
              " --data glyphs:10:seed=7 --method both --burn-in 20 --samples 5 --backend cpu "
              "--json --predictions " +
              path("pred.csv"));
  ASSERT_EQ(r.status, 0) << r.output;
  std::istringstream lines(r.output);
  nlohmann::json exact, gibbs;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.front() != '{') continue;
    const auto j = nlohmann::json::parse(line);
    if (j.value("event", "") == "classify") (j["method"] == "exact" ? exact : gibbs) = j;
  }
  ASSERT_FALSE(exact.is_null()) << r.output;
  ASSERT_FALSE(gibbs.is_null()) << r.output;
  // The exact accuracy is the library's arg max of p(label | pixels).
  const Model model = load_model(model_file);
  const Dataset data = load_dataset("glyphs:10:seed=7");
  std::vector<int> classes(10);
  for (int k = 0; k < 10; ++k) classes[k] = k;
  Engine engine(BackendKind::cpu);
  const std::vector<double> p = engine.label_posteriors(model, data, classes);
  std::size_t correct = 0;
  for (std::size_t n = 0; n < data.n_samples; ++n) {
    const auto row = p.begin() + n * 10;
    correct += std::max_element(row, row + 10) - row == data.labels[n];
  }
  EXPECT_NEAR(exact["accuracy"].get<double>(), double(correct) / data.n_samples, 1e-12);
  EXPECT_EQ(exact["n_samples"], data.n_samples);
  // Ten glyph classes: chance is 0.1; a trained model does far better.
  EXPECT_GT(exact["accuracy"].get<double>(), 0.3) << exact.dump();
  EXPECT_GT(gibbs["accuracy"].get<double>(), 0.2) << gibbs.dump();
  EXPECT_TRUE(std::filesystem::exists(path("pred.csv")));
  // Pixels-only models have no label units to read.
  const CliRun unlabelled = run_cli("classify --model " + bars_model() + " --data glyphs:2");
  EXPECT_NE(unlabelled.status, 0);
}

TEST_F(CliConditional, InpaintWritesTheGridAndItsNumbers) {
  const std::string model = labelled_model();
  const std::string png = path("inpaint.png");
  const CliRun r = run_cli("inpaint --model " + model +
                           " --data glyphs:2:seed=7 --count 8 --clamp top --completions 3 --png " +
                           png + " --backend cpu --json");
  ASSERT_EQ(r.status, 0) << r.output;
  const auto j = last_json(r.output);
  EXPECT_EQ(j["event"], "inpaint");
  EXPECT_EQ(j["rows"], 8);
  EXPECT_GE(j["hamming_error"].get<double>(), 0.0);
  EXPECT_LT(j["hamming_error"].get<double>(), 0.5);  // better than coin flips on the free half
  EXPECT_TRUE(std::filesystem::exists(png));
  EXPECT_TRUE(std::filesystem::exists(path("inpaint.jsonl")));
  const CliRun bad = run_cli("inpaint --model " + model +
                             " --data glyphs:2 --clamp diagonal --png " + path("x.png"));
  EXPECT_NE(bad.status, 0);
}

TEST_F(CliConditional, TransformWritesTheHiddenProbabilities) {
  const std::string model_file = bars_model();
  const std::string csv = path("features.csv");
  const CliRun r =
      run_cli("transform --model " + model_file + " --data bas:3 --out " + csv + " --json");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(last_json(r.output)["n_features"], 8);
  const Model model = load_model(model_file);
  Engine engine(BackendKind::cpu);
  const std::vector<float> p =
      engine.hidden_probabilities(model, engine.upload(make_bars_and_stripes(3)));
  std::ifstream in(csv);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line); ++n) {
    std::istringstream fields(line);
    std::string field;
    for (int j = 0; j < 8; ++j) {
      ASSERT_TRUE(std::getline(fields, field, ',')) << "row " << n;
      EXPECT_NEAR(std::stod(field), p[n * 8 + j], 1e-8) << "row " << n << " unit " << j;
    }
  }
  EXPECT_EQ(n, 14u);
  EXPECT_EQ(run_cli("transform --model " + model_file + " --data bas:4 --out " + csv).status == 0,
            false)
      << "a dataset of another width must be refused";
}

}  // namespace
}  // namespace rbm::test

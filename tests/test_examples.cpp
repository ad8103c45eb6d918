// tests/test_examples.cpp — every example in examples/ runs end to end in its --quick mode
// (under a minute each) with the tool built here, and writes well-formed pictures and numbers:
// each PNG decodes with libpng and is not blank, each JSON-lines file parses. Examples that read
// ../shared/data skip themselves when it is absent, and so does the test.
#include <gtest/gtest.h>
#include <png.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "rbm/pictures.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;

namespace {

struct ExampleRun {
  int status = 0;
  std::string output;
};

/// Runs an example with the tool built here; without `plots`, the tool behaves as a build without
/// PLplot (RBM_PLOTS=off, see rbm::plots_available).
ExampleRun run_example(const std::string& script, const fs::path& out, bool plots) {
  const std::string command = std::string(plots ? "" : "RBM_PLOTS=off ") + "RBM='" + RBM_CLI_PATH +
                              "' RBM_EXAMPLE_OUT='" + out.string() + "' RBM_DATA_DIR='" +
                              RBM_TEST_DATA_DIR + "' RBM_BACKEND=cpu bash '" + RBM_SOURCE_DIR +
                              "/examples/" + script + "' --quick 2>&1";
  ExampleRun run;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  std::array<char, 4096> buffer{};
  while (fgets(buffer.data(), buffer.size(), pipe.get())) run.output += buffer.data();
  run.status = pclose(pipe.release());
  return run;
}

/// Decodes a PNG; true when it has pixels of more than one grey level (not blank).
::testing::AssertionResult is_picture(const fs::path& file) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&image, file.c_str()))
    return ::testing::AssertionFailure() << file << " does not decode: " << image.message;
  image.format = PNG_FORMAT_GRAY;
  std::vector<unsigned char> pixels(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, pixels.data(), 0, nullptr))
    return ::testing::AssertionFailure() << file << " does not decode: " << image.message;
  const auto [low, high] = std::minmax_element(pixels.begin(), pixels.end());
  if (image.width < 8 || image.height < 8 || *low == *high)
    return ::testing::AssertionFailure()
           << file << " is blank or tiny (" << image.width << "x" << image.height << ")";
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult is_json_lines(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return ::testing::AssertionFailure() << file << " is missing";
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    try {
      if (nlohmann::json::parse(line).is_discarded())
        return ::testing::AssertionFailure() << file << " line " << lines + 1 << " is empty";
    } catch (const std::exception& e) {
      return ::testing::AssertionFailure() << file << " line " << lines + 1 << ": " << e.what();
    }
  }
  if (lines == 0) return ::testing::AssertionFailure() << file << " is empty";
  return ::testing::AssertionSuccess();
}

struct Example {
  const char* script;
  std::vector<std::string> pictures;  ///< image grids: in every build
  std::vector<std::string> plots;     ///< need PLplot
  std::vector<std::string> numbers;   ///< JSON lines: in every build
};

void PrintTo(const Example& e, std::ostream* out) {
  *out << e.script;
}

/// Each example twice: with plots, and as a build without PLplot would run it (an optional
/// dependency must not break an example: the numbers are written and the plots skipped).
class Examples : public ::testing::TestWithParam<std::tuple<Example, bool>> {};

TEST_P(Examples, RunQuicklyAndWriteWellFormedOutputs) {
  const auto& [e, plots] = GetParam();
  if (plots && !rbm::plots_available()) GTEST_SKIP() << "this build of rbm has no plots";
  if (plots && e.plots.empty()) GTEST_SKIP() << "no plots: the run without them covers it";
  const rbm::test::TempDir temp("rbm_example");
  const fs::path out = temp / "out";
  const ExampleRun run = run_example(e.script, out, plots);
  ASSERT_EQ(run.status, 0) << run.output;
  if (run.output.find("skipping:") != std::string::npos) GTEST_SKIP() << run.output;
  for (const std::string& name : e.pictures) EXPECT_TRUE(is_picture(out / name)) << run.output;
  for (const std::string& name : e.numbers) EXPECT_TRUE(is_json_lines(out / name)) << run.output;
  for (const std::string& name : e.plots) {
    if (plots)
      EXPECT_TRUE(is_picture(out / name)) << run.output;
    else
      EXPECT_FALSE(fs::exists(out / name)) << name << "\n" << run.output;
  }
  if (!plots && !e.plots.empty())
    EXPECT_NE(run.output.find("wrote the numbers only"), std::string::npos) << run.output;
}

INSTANTIATE_TEST_SUITE_P(
    AllExamples,
    Examples,
    ::testing::Combine(
        ::testing::Values(
            Example{"bars_and_stripes.sh",
                    {},
                    {"curves.png", "curves_pcd.png", "cd1.loglik.png"},
                    {"cd1.metrics.jsonl", "pcd1.metrics.jsonl", "pcd1_adam.metrics.jsonl",
                     "pcd1_tempering.metrics.jsonl", "curves.jsonl", "curves_pcd.jsonl"}},
            Example{"digits_14x14.sh",
                    {"reconstructions.png", "filters.png", "denoise.png", "samples.png"},
                    {"model.recon.png", "denoise.plot.png"},
                    {"model.metrics.jsonl", "denoise.jsonl", "filters.jsonl", "samples.jsonl"}},
            Example{
                "mnist789_study.sh",
                {"samples_l8_beta1.png", "samples_l8_beta20.png", "samples_l55_potts_beta20.png"},
                {"loglik_vs_hidden.png", "hidden_stats_l5.png", "hidden_stats_l5.states.png"},
                {"loglik_vs_hidden.jsonl", "unit_types.jsonl", "hidden_stats_l5.jsonl"}},
            Example{"mnist_labels.sh",
                    {"inpaint.png", "class3.png"},
                    {"confusion_l16.exact.png", "confusion_l16.gibbs.png"},
                    {"accuracy.jsonl", "inpaint.jsonl", "class3.jsonl"}},
            Example{"boltzmann_vs_rbm.sh",
                    {},
                    {"loglik_vs_epoch.png", "loglik_vs_seconds.png"},
                    {"bm.metrics.jsonl", "rbm.metrics.jsonl", "summary.jsonl",
                     "loglik_vs_epoch.jsonl"}},
            Example{"dbn_bars_and_stripes.sh",
                    {"samples_dbn.png", "samples_rbm.png"},
                    {},
                    {"bound.jsonl", "sampled.jsonl", "summary.jsonl", "samples_dbn.jsonl"}},
            Example{"dbn_mnist789.sh",
                    {"samples_dbn.png", "samples_rbm.png"},
                    {},
                    {"samples_dbn.jsonl", "samples_rbm.jsonl"}}),
        ::testing::Bool()),
    [](const ::testing::TestParamInfo<std::tuple<Example, bool>>& info) {
      const std::string script = std::get<0>(info.param).script;
      return script.substr(0, script.find('.')) + (std::get<1>(info.param) ? "" : "_without_plots");
    });

}  // namespace

// tests/test_pictures.cpp — image grids (libpng) and plots (PLplot): every PNG written here is
// decoded again with libpng. Grids are checked pixel by pixel against the layout rule in
// rbm/pictures.hpp (padding, upscaling, group gaps, grey scaling, pixel-major layout); plots
// must decode to the requested size, show ink and their series colours, come out the same when
// drawn from several threads at once, and have the data where the options put it. Bad inputs
// are InvalidArgument in every build, unwritable paths IoError, and no temporary file is left
// behind. Plot tests skip when the library has no plots (then NotBuilt is checked instead).
#include <gtest/gtest.h>
#include <png.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "rbm/rbm.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;

namespace {

/// A decoded PNG as 8-bit RGB (grey files expanded), row-major from the top-left.
struct Decoded {
  int width = 0, height = 0;
  std::vector<std::uint8_t> rgb;
  bool grey = false;  ///< the file itself was a grey-level PNG

  std::uint8_t red(int x, int y) const { return rgb[(std::size_t(y) * width + x) * 3]; }
  std::uint8_t green(int x, int y) const { return rgb[(std::size_t(y) * width + x) * 3 + 1]; }
  std::uint8_t blue(int x, int y) const { return rgb[(std::size_t(y) * width + x) * 3 + 2]; }
};

/// Decodes with libpng's simplified API; fails the test (and returns empty) on error.
Decoded decode(const fs::path& file) {
  Decoded out;
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&image, file.c_str())) {
    ADD_FAILURE() << "libpng cannot read " << file << ": " << image.message;
    return out;
  }
  out.grey = (image.format & PNG_FORMAT_FLAG_COLOR) == 0;
  image.format = PNG_FORMAT_RGB;
  out.width = static_cast<int>(image.width);
  out.height = static_cast<int>(image.height);
  out.rgb.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, out.rgb.data(), 0, nullptr)) {
    ADD_FAILURE() << "libpng cannot decode " << file << ": " << image.message;
    return {};
  }
  return out;
}

/// Byte of a grey level, as the grid writer rounds it.
int byte_of(double grey) {
  return static_cast<int>(std::lround(grey * 255.0));
}

class PictureTest : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  /// The names in the directory, sorted: checks that no temporary file is left behind.
  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  rbm::test::TempDir temp_{"rbm_pictures"};
  const fs::path dir_ = temp_.path();
};

// ---- Image grids ----------------------------------------------------------------------------

using PictureGrid = PictureTest;

TEST_F(PictureGrid, KnownPixelsLandWhereExpected) {
  // Two 2×3 images, 2 columns, scale 2, padding 1: 2·3·2 + 3 = 15 wide, 2·2 + 2 = 6 high.
  const std::vector<float> images = {0.0f, 0.2f, 0.4f, 0.6f, 0.8f, 1.0f,   // image 0
                                     1.0f, 0.0f, 1.0f, 0.0f, 1.0f, 0.0f};  // image 1
  rbm::ImageGridOptions options;
  options.columns = 2;
  options.scale = 2;
  options.padding = 1;
  options.background = 0.5f;
  rbm::write_image_grid(path("grid.png"), images, 2, 2, 3, options);
  const Decoded png = decode(dir_ / "grid.png");
  ASSERT_EQ(png.width, 15);
  ASSERT_EQ(png.height, 6);
  EXPECT_TRUE(png.grey);
  for (int y = 0; y < png.height; ++y) {
    for (int x = 0; x < png.width; ++x) {
      int expected = byte_of(0.5);  // padding
      const int cell_x = x - 1 < 6 ? 0 : 1, local_x = cell_x == 0 ? x - 1 : x - 8;
      const int local_y = y - 1;
      if (local_x >= 0 && local_x < 6 && local_y >= 0 && local_y < 4) {
        expected = byte_of(images[cell_x * 6 + (local_y / 2) * 3 + local_x / 2]);
      }
      ASSERT_EQ(png.red(x, y), expected) << "pixel (" << x << ", " << y << ")";
    }
  }
  EXPECT_EQ(files(), std::vector<std::string>{"grid.png"});
}

TEST_F(PictureGrid, GroupGapsPaddingAndEmptyCells) {
  // Seven 1×1 images (value i/10) in 4 columns, scale 3, padding 2, a 5-pixel gap after every
  // 2 columns and after every row: cell (r, c) starts at 2 + c·5 + (c/2)·5 across and
  // 2 + r·5 + r·5 down; the eighth cell stays background.
  std::vector<float> images(7);
  for (int i = 0; i < 7; ++i) images[i] = i / 10.0f;
  rbm::ImageGridOptions options;
  options.columns = 4;
  options.scale = 3;
  options.padding = 2;
  options.group_columns = 2;
  options.group_rows = 1;
  options.group_gap = 5;
  options.background = 1.0f;
  rbm::write_image_grid(path("groups.png"), images, 7, 1, 1, options);
  const Decoded png = decode(dir_ / "groups.png");
  const int width = 2 + 4 * (3 + 2) + 5, height = 2 + 2 * (3 + 2) + 5;
  ASSERT_EQ(png.width, width);
  ASSERT_EQ(png.height, height);
  std::vector<int> expected(std::size_t(width) * height, 255);
  for (int i = 0; i < 7; ++i) {
    const int r = i / 4, c = i % 4;
    const int x0 = 2 + c * 5 + (c / 2) * 5, y0 = 2 + r * 5 + r * 5;
    for (int y = y0; y < y0 + 3; ++y) {
      for (int x = x0; x < x0 + 3; ++x) expected[std::size_t(y) * width + x] = byte_of(i / 10.0);
    }
  }
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      ASSERT_EQ(png.red(x, y), expected[std::size_t(y) * width + x])
          << "(" << x << ", " << y << ")";
    }
  }
}

TEST_F(PictureGrid, DefaultColumnsAreTheCeilingOfTheSquareRoot) {
  for (int n : {1, 4, 5, 10}) {
    const std::vector<float> images(n, 1.0f);
    rbm::ImageGridOptions options;
    options.padding = 1;
    rbm::write_image_grid(path("square.png"), images, n, 1, 1, options);
    const int columns = static_cast<int>(std::ceil(std::sqrt(double(n)))),
              rows = (n + columns - 1) / columns;
    const Decoded png = decode(dir_ / "square.png");
    EXPECT_EQ(png.width, 2 * columns + 1) << n << " images";
    EXPECT_EQ(png.height, 2 * rows + 1) << n << " images";
  }
}

TEST_F(PictureGrid, PerImageNormalisationAndInversion) {
  // Image 0 spans [-2, 6], image 1 is constant; padding 0 so pixel x is image x / 3.
  const std::vector<float> images = {-2.0f, 2.0f, 6.0f, 4.0f, 4.0f, 4.0f};
  rbm::ImageGridOptions options;
  options.columns = 2;
  options.padding = 0;

  options.pixel_scale = rbm::PixelScale::min_max;
  rbm::write_image_grid(path("minmax.png"), images, 2, 1, 3, options);
  Decoded png = decode(dir_ / "minmax.png");
  ASSERT_EQ(png.width, 6);
  EXPECT_EQ(png.red(0, 0), 0);
  EXPECT_EQ(png.red(1, 0), byte_of(0.5));
  EXPECT_EQ(png.red(2, 0), 255);
  for (int x = 3; x < 6; ++x) EXPECT_EQ(png.red(x, 0), byte_of(0.5)) << "constant image";

  options.pixel_scale = rbm::PixelScale::symmetric;  // image 0 from [-6, 6]: 0 is mid-grey
  rbm::write_image_grid(path("symmetric.png"), images, 2, 1, 3, options);
  png = decode(dir_ / "symmetric.png");
  EXPECT_EQ(png.red(0, 0), byte_of(4.0 / 12.0));
  EXPECT_EQ(png.red(1, 0), byte_of(8.0 / 12.0));
  EXPECT_EQ(png.red(2, 0), 255);
  EXPECT_EQ(png.red(3, 0), 255) << "constant positive image: its maximum is white";

  options.pixel_scale = rbm::PixelScale::unit;  // clamped, then inverted
  options.invert = true;
  rbm::write_image_grid(path("unit.png"), images, 2, 1, 3, options);
  png = decode(dir_ / "unit.png");
  EXPECT_EQ(png.red(0, 0), 255);
  EXPECT_EQ(png.red(1, 0), 0);
}

TEST_F(PictureGrid, PixelMajorLayoutShowsColumnsOfTheWeights) {
  // W is D×L row-major with D = 2×2 pixels and L = 3 hidden units; filter j is column j.
  const int n_visible = 4, n_hidden = 3;
  std::vector<float> weights(n_visible * n_hidden);
  for (int i = 0; i < n_visible; ++i) {
    for (int j = 0; j < n_hidden; ++j) weights[i * n_hidden + j] = (i + 4 * j) / 11.0f;
  }
  rbm::ImageGridOptions options;
  options.columns = 3;
  options.padding = 0;
  options.layout = rbm::ImageLayout::pixel_major;
  rbm::write_image_grid(path("filters.png"), weights, n_hidden, 2, 2, options);
  const Decoded png = decode(dir_ / "filters.png");
  ASSERT_EQ(png.width, 6);
  ASSERT_EQ(png.height, 2);
  for (int j = 0; j < n_hidden; ++j) {
    for (int i = 0; i < n_visible; ++i) {
      EXPECT_EQ(png.red(2 * j + i % 2, i / 2), byte_of((i + 4 * j) / 11.0))
          << "unit " << j << " pixel " << i;
    }
  }
}

TEST_F(PictureGrid, BadInputsAreInvalidArguments) {
  const std::vector<float> four(4, 0.5f);
  const auto grid = [&](const std::vector<float>& images, int n, int h, int w,
                        rbm::ImageGridOptions options = {}) {
    rbm::write_image_grid(path("bad.png"), images, n, h, w, options);
  };
  EXPECT_THROW(grid(four, 2, 1, 3), rbm::InvalidArgument);  // 6 values needed
  EXPECT_THROW(grid(four, 0, 2, 2), rbm::InvalidArgument);
  EXPECT_THROW(grid(four, 1, -2, -2), rbm::InvalidArgument);
  std::vector<float> nan = four;
  nan[2] = std::nanf("");
  EXPECT_THROW(grid(nan, 1, 2, 2), rbm::InvalidArgument);
  rbm::ImageGridOptions options;
  options.scale = 0;
  EXPECT_THROW(grid(four, 1, 2, 2, options), rbm::InvalidArgument);
  options = {};
  options.padding = -1;
  EXPECT_THROW(grid(four, 1, 2, 2, options), rbm::InvalidArgument);
  options = {};
  options.background = 1.5f;
  EXPECT_THROW(grid(four, 1, 2, 2, options), rbm::InvalidArgument);
  options = {};
  options.columns = 100000;  // one row of 100000 1×1 images: past 65535 pixels per side
  EXPECT_THROW(grid(std::vector<float>(100000, 0.0f), 100000, 1, 1, options), rbm::InvalidArgument);
  try {
    grid(four, 2, 1, 3);
  } catch (const rbm::InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("6"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(files().empty());
}

TEST_F(PictureGrid, UnwritablePathsAreIoErrorsAndLeaveNothingBehind) {
  const std::vector<float> image(4, 1.0f);
  try {
    rbm::write_image_grid(path("no/such/dir/grid.png"), image, 1, 2, 2);
    FAIL() << "expected IoError";
  } catch (const rbm::IoError& e) {
    EXPECT_NE(std::string(e.what()).find("no/such/dir"), std::string::npos) << e.what();
  }
  // The target is a directory: the temporary is written, the rename fails and it is removed.
  fs::create_directories(dir_ / "taken.png");
  EXPECT_THROW(rbm::write_image_grid(path("taken.png"), image, 1, 2, 2), rbm::IoError);
  EXPECT_EQ(files(), std::vector<std::string>{"taken.png"});
}

TEST_F(PictureGrid, OverwritesAnExistingFile) {
  std::ofstream(path("grid.png")) << "not a png";
  rbm::write_image_grid(path("grid.png"), std::vector<float>(4, 0.0f), 1, 2, 2);
  EXPECT_EQ(decode(dir_ / "grid.png").width, 4);
  EXPECT_EQ(files(), std::vector<std::string>{"grid.png"});
}

// ---- Plots ----------------------------------------------------------------------------------

class Plots : public PictureTest {
 protected:
  void SetUp() override {
    PictureTest::SetUp();
    if (!rbm::plots_available()) GTEST_SKIP() << "this build of rbm has no plots (PLplot)";
  }
};

/// Two learning curves with error bars on one, and a reference line.
std::vector<rbm::Series> learning_curves() {
  rbm::Series train{"train", {}, {}, {}}, validation{"validation", {}, {}, {}};
  for (int epoch = 1; epoch <= 40; ++epoch) {
    train.x.push_back(epoch);
    train.y.push_back(-3.4 - 8.0 * std::exp(-epoch / 8.0));
    validation.x.push_back(epoch);
    validation.y.push_back(-3.6 - 8.0 * std::exp(-epoch / 8.0));
    validation.y_error.push_back(0.2);
  }
  return {train, validation};
}

rbm::PlotOptions curve_options() {
  rbm::PlotOptions options;
  options.title = "Learning curve (#1)";
  options.x_label = "epoch";
  options.y_label = "mean log-likelihood";
  options.width = 640;
  options.height = 420;
  options.reference_lines = {{std::log(1.0 / 30.0), "optimum log(1/30)"}};
  return options;
}

/// Pixels that are not white, and pixels within 40 per channel of (r, g, b).
struct Ink {
  std::size_t not_white = 0, near_colour = 0;
};
Ink ink(const Decoded& png, int r, int g, int b) {
  Ink counts;
  for (int y = 0; y < png.height; ++y) {
    for (int x = 0; x < png.width; ++x) {
      counts.not_white += png.red(x, y) < 250 || png.green(x, y) < 250 || png.blue(x, y) < 250;
      counts.near_colour += std::abs(png.red(x, y) - r) < 40 &&
                            std::abs(png.green(x, y) - g) < 40 && std::abs(png.blue(x, y) - b) < 40;
    }
  }
  return counts;
}

// The first two series colours of host/viz/plots.cpp's palette.
constexpr int kBlue[3] = {31, 100, 180};
constexpr int kOrange[3] = {214, 80, 30};

TEST_F(Plots, LinePlotHasTheRequestedSizeAxesAndCurves) {
  rbm::write_line_plot(path("curve.png"), learning_curves(), curve_options());
  const Decoded png = decode(dir_ / "curve.png");
  ASSERT_EQ(png.width, 640);
  ASSERT_EQ(png.height, 420);
  EXPECT_FALSE(png.grey);
  EXPECT_EQ(png.red(0, 0), 255) << "white background";
  const Ink blue = ink(png, kBlue[0], kBlue[1], kBlue[2]);
  const Ink orange = ink(png, kOrange[0], kOrange[1], kOrange[2]);
  EXPECT_GT(blue.not_white, std::size_t(png.width * png.height / 50)) << "axes, text, curves";
  EXPECT_GT(blue.near_colour, 200u) << "the first series";
  EXPECT_GT(orange.near_colour, 200u) << "the second series";
  EXPECT_EQ(files(), std::vector<std::string>{"curve.png"});
}

TEST_F(Plots, DataGoWhereTheAxesSay) {
  // One horizontal line at y = 1 on y ∈ [0, 4]: its blue pixels lie 3/4 of the way down the
  // box, i.e. below the middle of the picture; at y = 3 they lie above it.
  for (double level : {1.0, 3.0}) {
    rbm::Series line{"", {0.0, 1.0}, {level, level}, {}};
    rbm::PlotOptions options;
    options.y_min = 0.0;
    options.y_max = 4.0;
    rbm::write_line_plot(path("level.png"), {line}, options);
    const Decoded png = decode(dir_ / "level.png");
    double sum_y = 0.0;
    std::size_t count = 0;
    for (int y = 0; y < png.height; ++y) {
      for (int x = 0; x < png.width; ++x) {
        if (std::abs(png.red(x, y) - kBlue[0]) < 40 && std::abs(png.green(x, y) - kBlue[1]) < 40 &&
            std::abs(png.blue(x, y) - kBlue[2]) < 40) {
          sum_y += y;
          ++count;
        }
      }
    }
    ASSERT_GT(count, 100u);
    const double mean_y = sum_y / count;
    if (level == 1.0)
      EXPECT_GT(mean_y, 0.6 * png.height);
    else
      EXPECT_LT(mean_y, 0.4 * png.height);
  }
}

TEST_F(Plots, LogAxesErrorBarsAndSinglePoints) {
  rbm::Series pcd{
      "PCD", {2, 4, 8, 16, 32}, {-9.0, -6.5, -4.8, -3.9, -3.5}, {0.4, 0.3, 0.2, 0.1, 0.1}, true};
  rbm::Series one{"one run", {64}, {-3.45}, {}};
  rbm::PlotOptions options;
  options.log_x = true;
  options.x_label = "hidden units";
  rbm::write_line_plot(path("ll.png"), {pcd, one}, options);
  const Decoded png = decode(dir_ / "ll.png");
  EXPECT_EQ(png.width, 800);
  EXPECT_EQ(png.height, 500);
  EXPECT_GT(ink(png, kOrange[0], kOrange[1], kOrange[2]).near_colour, 20u) << "the single point";

  rbm::Series counts{"counts", {1, 10, 100, 1000}, {5, 50, 5000, 60000}, {}};
  options.log_y = true;
  rbm::write_line_plot(path("loglog.png"), {counts}, options);
  EXPECT_EQ(decode(dir_ / "loglog.png").width, 800);
}

TEST_F(Plots, BarChartAndHeatmap) {
  rbm::BarSeries seven{"7", {6000, 1200, 900}, {100, 50, 40}}, eight{"8", {60000, 300, 200}, {}};
  rbm::PlotOptions options;
  options.title = "Most frequent hidden states";
  options.log_y = true;
  rbm::write_bar_chart(path("bars.png"), {"000", "100", "110"}, {seven, eight}, options);
  Decoded png = decode(dir_ / "bars.png");
  EXPECT_EQ(png.width, 800);
  EXPECT_GT(ink(png, kBlue[0], kBlue[1], kBlue[2]).near_colour, 1000u) << "filled bars";
  EXPECT_GT(ink(png, kOrange[0], kOrange[1], kOrange[2]).near_colour, 1000u);

  // [[0, 1], [1, 0]]: the dark (largest) cells are top right and bottom left, row 0 on top.
  rbm::HeatmapOptions heat;
  heat.width = 400;
  heat.height = 300;
  heat.row_labels = {"7", "8"};
  heat.value_label = "frequency";
  rbm::write_heatmap(path("heat.png"), {0.0, 1.0, 1.0, 0.0}, 2, 2, heat);
  png = decode(dir_ / "heat.png");
  ASSERT_EQ(png.width, 400);
  ASSERT_EQ(png.height, 300);
  double top_x = 0, bottom_x = 0;
  std::size_t top_n = 0, bottom_n = 0;
  for (int y = 0; y < png.height; ++y) {
    for (int x = 0; x < png.width * 3 / 4; ++x) {  // left of the colour bar
      if (png.blue(x, y) > 80 && png.red(x, y) < 30 && png.green(x, y) < 60) {  // dark blue
        (y < png.height / 2 ? top_x : bottom_x) += x;
        ++(y < png.height / 2 ? top_n : bottom_n);
      }
    }
  }
  ASSERT_GT(top_n, 100u);
  ASSERT_GT(bottom_n, 100u);
  EXPECT_GT(top_x / top_n, bottom_x / bottom_n) << "row 0 is drawn at the top";
  EXPECT_EQ(files(), (std::vector<std::string>{"bars.png", "heat.png"}));
}

TEST_F(Plots, ConcurrentCallsGiveTheSamePictures) {
  rbm::write_line_plot(path("reference.png"), learning_curves(), curve_options());
  const Decoded reference = decode(dir_ / "reference.png");
  constexpr int kThreads = 4, kPerThread = 3;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < kPerThread; ++k) {
        const std::string name = "curve_" + std::to_string(t) + "_" + std::to_string(k) + ".png";
        rbm::write_line_plot(path(name), learning_curves(), curve_options());
        rbm::write_image_grid(path("grid_" + name), std::vector<float>(16, 0.5f), 4, 2, 2);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    for (int k = 0; k < kPerThread; ++k) {
      const std::string name = "curve_" + std::to_string(t) + "_" + std::to_string(k) + ".png";
      const Decoded png = decode(dir_ / name);
      EXPECT_TRUE(png.rgb == reference.rgb) << name << " differs from the serial drawing";
    }
  }
  EXPECT_EQ(files().size(), std::size_t(1 + 2 * kThreads * kPerThread)) << "no temporaries";
}

TEST_F(Plots, UnwritablePathIsAnIoError) {
  try {
    rbm::write_line_plot(path("no/such/dir/curve.png"), learning_curves(), curve_options());
    FAIL() << "expected IoError";
  } catch (const rbm::IoError& e) {
    EXPECT_NE(std::string(e.what()).find("no/such/dir"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(files().empty());
}

// Input checks run before PLplot is needed: the same InvalidArgument in every build.
using PlotInputs = PictureTest;

TEST_F(PlotInputs, BadLinePlotInputsAreInvalidArguments) {
  const auto plot = [&](std::vector<rbm::Series> series, rbm::PlotOptions options = {}) {
    rbm::write_line_plot(path("bad.png"), series, options);
  };
  const rbm::Series good{"s", {1, 2, 3}, {1, 2, 3}, {}};
  EXPECT_THROW(plot({}), rbm::InvalidArgument);
  EXPECT_THROW(plot({{"short", {1, 2, 3}, {1, 2}, {}}}), rbm::InvalidArgument);
  EXPECT_THROW(plot({{"empty", {}, {}, {}}}), rbm::InvalidArgument);
  EXPECT_THROW(plot({{"nan", {1, 2}, {1, std::nan("")}, {}}}), rbm::InvalidArgument);
  EXPECT_THROW(plot({{"inf", {1, HUGE_VAL}, {1, 2}, {}}}), rbm::InvalidArgument);
  EXPECT_THROW(plot({{"errors", {1, 2}, {1, 2}, {0.1}}}), rbm::InvalidArgument);
  EXPECT_THROW(plot({{"negative error", {1, 2}, {1, 2}, {0.1, -0.1}}}), rbm::InvalidArgument);
  rbm::PlotOptions options;
  options.log_x = true;
  EXPECT_THROW(plot({{"zero on log x", {0, 1}, {1, 2}, {}}}, options), rbm::InvalidArgument);
  options = {};
  options.log_y = true;
  EXPECT_THROW(plot({{"error bar below 0", {1, 2}, {1, 2}, {1.5, 0}}}, options),
               rbm::InvalidArgument);
  options = {};
  options.width = 10;
  EXPECT_THROW(plot({good}, options), rbm::InvalidArgument);
  options = {};
  options.x_min = 3.0;
  options.x_max = 1.0;
  EXPECT_THROW(plot({good}, options), rbm::InvalidArgument);
  options = {};
  options.reference_lines = {{std::nan(""), "nan"}};
  EXPECT_THROW(plot({good}, options), rbm::InvalidArgument);
  try {
    plot({good, {"validation", {1, 2, 3}, {1, 2}, {}}});
    FAIL() << "expected InvalidArgument";
  } catch (const rbm::InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("validation"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(files().empty());
}

TEST_F(PlotInputs, BadBarChartAndHeatmapInputsAreInvalidArguments) {
  const rbm::BarSeries bars{"7", {1, 2}, {}};
  EXPECT_THROW(rbm::write_bar_chart(path("b.png"), {"a", "b", "c"}, {bars}), rbm::InvalidArgument);
  EXPECT_THROW(rbm::write_bar_chart(path("b.png"), {}, {}), rbm::InvalidArgument);
  rbm::PlotOptions options;
  options.log_x = true;
  EXPECT_THROW(rbm::write_bar_chart(path("b.png"), {"a", "b"}, {bars}, options),
               rbm::InvalidArgument);
  EXPECT_THROW(rbm::write_heatmap(path("h.png"), {1, 2, 3}, 2, 2), rbm::InvalidArgument);
  EXPECT_THROW(rbm::write_heatmap(path("h.png"), {1, 2, std::nan(""), 4}, 2, 2),
               rbm::InvalidArgument);
  rbm::HeatmapOptions heat;
  heat.row_labels = {"only one"};
  EXPECT_THROW(rbm::write_heatmap(path("h.png"), {1, 2, 3, 4}, 2, 2, heat), rbm::InvalidArgument);
  heat = {};
  heat.value_min = 1.0;
  heat.value_max = 1.0;
  EXPECT_THROW(rbm::write_heatmap(path("h.png"), {1, 2, 3, 4}, 2, 2, heat), rbm::InvalidArgument);
  EXPECT_TRUE(files().empty());
}

void expect_plot_less(const std::function<std::string(const std::string&)>& path,
                      const std::function<std::vector<std::string>()>& files) {
  EXPECT_FALSE(rbm::plots_available());
  EXPECT_THROW(rbm::write_line_plot(path("c.png"), learning_curves()), rbm::NotBuilt);
  EXPECT_THROW(rbm::write_bar_chart(path("b.png"), {"a"}, {{"s", {1.0}, {}}}), rbm::NotBuilt);
  EXPECT_THROW(rbm::write_heatmap(path("h.png"), {1.0}, 1, 1), rbm::NotBuilt);
  rbm::write_image_grid(path("grid.png"), std::vector<float>(4, 1.0f), 1, 2, 2);  // still works
  EXPECT_EQ(files(), std::vector<std::string>{"grid.png"});
}

TEST_F(PlotInputs, WithoutPlotsValidCallsAreNotBuilt) {
  if (rbm::plots_available()) GTEST_SKIP() << "this build has plots";
  expect_plot_less([&](const std::string& name) { return path(name); }, [&] { return files(); });
}

// RBM_PLOTS=off: a build with plots behaves as one without (how the plot-less paths of the tool
// and the examples are tested in a build that has PLplot).
TEST_F(PlotInputs, RbmPlotsOffBehavesAsABuildWithoutPlots) {
  struct PlotsOff {  // restored however the test ends
    PlotsOff() { setenv("RBM_PLOTS", "off", 1); }
    ~PlotsOff() { unsetenv("RBM_PLOTS"); }
  } off;
  expect_plot_less([&](const std::string& name) { return path(name); }, [&] { return files(); });
  try {
    rbm::write_line_plot(path("c.png"), learning_curves());
    ADD_FAILURE() << "expected NotBuilt";
  } catch (const rbm::NotBuilt& e) {
    EXPECT_NE(std::string(e.what()).find("RBM_PLOTS=off"), std::string::npos) << e.what();
  }
}

}  // namespace

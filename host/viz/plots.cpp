// host/viz/plots.cpp — line plots, grouped bar charts and heat maps, drawn by PLplot.
//
// PLplot draws with its "memcairo" driver (Debian package plplot-driver-cairo: cairo + pango,
// antialiased text) into an RGB buffer owned here, and write_png encodes that buffer. So every
// file goes through the same atomic writer as models do, and PLplot never opens a file itself
// (its file drivers prompt on stdin for a missing name and call exit() when a file cannot be
// opened).
//
// PLplot keeps global state (the current stream, the exit handler, the driver table), so each
// drawing holds one process-wide mutex from the first PLplot call to the last. Frame and data
// are PLplot primitives (plline, plerry, plfill, plimagefr, pllegend, plmtex, pljoin); the axes'
// tick positions and labels are chosen here, not by plbox, so that (1) the margins can be
// sized to the widest tick label before anything is drawn, (2) labels stay fixed-point (plbox
// switches to a ×10^n factor) and (3) a log axis spanning less than two decades labels 2 and 5
// as well as the decades.
//
// Without PLplot (RBM_WITH_PLOTS undefined) the inputs are still validated, then NotBuilt is
// thrown; the validation code is shared so that both builds reject the same inputs. The
// environment variable RBM_PLOTS=off makes a build with PLplot behave as one without, so the
// tool's and the examples' plot-less paths are tested without a second build.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "host/check.hpp"
#include "host/viz/png_writer.hpp"
#include "rbm/pictures.hpp"

#ifdef RBM_WITH_PLOTS
#include <plstream.h>

#include <memory>
#include <mutex>
#include <optional>
#endif

namespace rbm {
namespace {

bool plots_switched_off() {
  const char* value = std::getenv("RBM_PLOTS");
  return value != nullptr && std::string(value) == "off";
}

[[noreturn]] void not_built(const char* function) {
  if (plots_switched_off())
    RBM_THROW(NotBuilt, function, ": plots are switched off (environment RBM_PLOTS=off)");
  RBM_THROW(NotBuilt, function,
            ": this build of rbm has no plots (PLplot was not found when it was configured; "
            "install libplplot-dev and plplot-driver-cairo and reconfigure, "
            "-DRBM_WITH_PLOTS=ON makes its absence an error)");
}

}  // namespace
namespace {

constexpr int kMinSide = 200;
constexpr int kMaxSide = 8192;

// ---- Validation (every build) ----------------------------------------------------------------

std::string name_of(const char* kind, std::size_t index, const std::string& label) {
  return label.empty() ? detail::concat(kind, " ", index)
                       : detail::concat(kind, " ", index, " ('", label, "')");
}

void check_size(const char* function, int width, int height) {
  RBM_EXPECTS(width >= kMinSide && width <= kMaxSide && height >= kMinSide && height <= kMaxSide,
              function, ": width and height must be in ", kMinSide, "..", kMaxSide, " pixels, got ",
              width, "x", height);
}

void check_values(const char* function,
                  const std::string& owner,
                  const char* field,
                  const std::vector<double>& values,
                  std::size_t expected_size) {
  RBM_EXPECTS(values.size() == expected_size, function, ": ", owner, " has ", values.size(), " ",
              field, " values, expected ", expected_size);
  for (std::size_t k = 0; k < values.size(); ++k) {
    RBM_EXPECTS(std::isfinite(values[k]), function, ": ", owner, " ", field, "[", k, "] is ",
                values[k]);
  }
}

/// Error half-widths: empty, or one finite value >= 0 per point.
void check_errors(const char* function,
                  const std::string& owner,
                  const char* field,
                  const std::vector<double>& errors,
                  std::size_t n_points) {
  if (errors.empty()) return;
  check_values(function, owner, field, errors, n_points);
  for (std::size_t k = 0; k < errors.size(); ++k) {
    RBM_EXPECTS(errors[k] >= 0.0, function, ": ", owner, " ", field, "[", k, "] is ", errors[k],
                ", must be >= 0");
  }
}

/// On a log axis every value minus its error bar must be > 0.
void check_positive(const char* function,
                    const std::string& owner,
                    const char* axis,
                    const std::vector<double>& values,
                    const std::vector<double>& errors) {
  for (std::size_t k = 0; k < values.size(); ++k) {
    const double low = values[k] - (errors.empty() ? 0.0 : errors[k]);
    RBM_EXPECTS(low > 0.0, function, ": ", owner, " reaches ", low, " at point ", k, " (value ",
                values[k], errors.empty() ? "" : " minus its error", "), not > 0 on the log ", axis,
                " axis");
  }
}

void check_limits(const char* function,
                  const char* axis,
                  const std::optional<double>& low,
                  const std::optional<double>& high,
                  bool log) {
  for (const auto* end : {&low, &high}) {
    if (!end->has_value()) continue;
    RBM_EXPECTS(std::isfinite(**end) && (!log || **end > 0.0), function, ": ", axis,
                end == &low ? "_min" : "_max", " is ", **end,
                log ? ", must be finite and > 0 on a log axis" : ", must be finite");
  }
  RBM_EXPECTS(!low || !high || *low < *high, function, ": ", axis, "_min (", low.value_or(0.0),
              ") must be below ", axis, "_max (", high.value_or(0.0), ")");
}

void check_plot_options(const char* function, const PlotOptions& options) {
  check_size(function, options.width, options.height);
  check_limits(function, "x", options.x_min, options.x_max, options.log_x);
  check_limits(function, "y", options.y_min, options.y_max, options.log_y);
  for (std::size_t k = 0; k < options.reference_lines.size(); ++k) {
    const ReferenceLine& line = options.reference_lines[k];
    const std::string owner = name_of("reference line", k, line.label);
    RBM_EXPECTS(std::isfinite(line.y), function, ": ", owner, " is at y = ", line.y);
    RBM_EXPECTS(!options.log_y || line.y > 0.0, function, ": ", owner, " is at y = ", line.y,
                ", not > 0 on the log y axis");
  }
}

void check_line_plot(const std::vector<Series>& series, const PlotOptions& options) {
  constexpr const char* function = "write_line_plot";
  check_plot_options(function, options);
  RBM_EXPECTS(!series.empty(), function, ": no series to plot");
  for (std::size_t s = 0; s < series.size(); ++s) {
    const Series& one = series[s];
    const std::string owner = name_of("series", s, one.label);
    RBM_EXPECTS(!one.x.empty(), function, ": ", owner, " has no points");
    check_values(function, owner, "x", one.x, one.x.size());
    check_values(function, owner, "y", one.y, one.x.size());
    check_errors(function, owner, "y_error", one.y_error, one.x.size());
    if (options.log_x) check_positive(function, owner, "x", one.x, {});
    if (options.log_y) check_positive(function, owner, "y", one.y, one.y_error);
  }
}

void check_bar_chart(const std::vector<std::string>& categories,
                     const std::vector<BarSeries>& series,
                     const PlotOptions& options) {
  constexpr const char* function = "write_bar_chart";
  check_plot_options(function, options);
  RBM_EXPECTS(!options.log_x && !options.x_min && !options.x_max, function,
              ": the x axis holds the categories; log_x, x_min and x_max must be unset");
  RBM_EXPECTS(!categories.empty(), function, ": no categories");
  RBM_EXPECTS(!series.empty(), function, ": no series of bars");
  for (std::size_t s = 0; s < series.size(); ++s) {
    const BarSeries& one = series[s];
    const std::string owner = name_of("bar series", s, one.label);
    check_values(function, owner, "values", one.values, categories.size());
    check_errors(function, owner, "errors", one.errors, categories.size());
    if (options.log_y) check_positive(function, owner, "y", one.values, one.errors);
  }
}

void check_heatmap(const std::vector<double>& values,
                   int rows,
                   int columns,
                   const HeatmapOptions& options) {
  constexpr const char* function = "write_heatmap";
  check_size(function, options.width, options.height);
  RBM_EXPECTS(rows > 0 && columns > 0, function, ": rows (", rows, ") and columns (", columns,
              ") must be positive");
  check_values(function, "the matrix", "values", values,
               static_cast<std::size_t>(rows) * static_cast<std::size_t>(columns));
  RBM_EXPECTS(options.row_labels.empty() || options.row_labels.size() == std::size_t(rows),
              function, ": ", options.row_labels.size(), " row labels for ", rows, " rows");
  RBM_EXPECTS(options.column_labels.empty() || options.column_labels.size() == std::size_t(columns),
              function, ": ", options.column_labels.size(), " column labels for ", columns,
              " columns");
  check_limits(function, "value", options.value_min, options.value_max, false);
}

}  // namespace

#ifdef RBM_WITH_PLOTS

namespace {

// ---- PLplot session ---------------------------------------------------------------------------

/// Guards every PLplot call in the process.
std::mutex& plplot_mutex() {
  static std::mutex mutex;
  return mutex;
}

/// Is the memcairo driver installed? PLplot's driver table lists the drivers whose
/// .driver_info files it finds; asked once (the caller holds the mutex).
bool memcairo_installed_locked() {
  static std::optional<bool> installed;
  if (!installed) {
    constexpr int kMaxDevices = 128;  // PLplot ships about 30 drivers
    std::vector<const char*> menus(kMaxDevices), names(kMaxDevices);
    const char** menu_list = menus.data();
    const char** name_list = names.data();
    int n_devices = kMaxDevices;
    ::plgDevs(&menu_list, &name_list, &n_devices);
    installed = false;
    for (int d = 0; d < n_devices; ++d) {
      if (name_list[d] != nullptr && std::string(name_list[d]) == "memcairo") installed = true;
    }
  }
  return *installed;
}

/// Set while a PLplot fatal error unwinds (see on_plplot_exit).
bool plplot_failed = false;

/// PLplot's fatal errors (out of memory, missing font files) end in exit() unless the exit
/// handler does not return. A library must not end its host process, so the handler throws:
/// the exception unwinds through PLplot's C frames, which have unwind tables on the Linux
/// targets we build for. The stream is then left alone (see Stream::end).
int on_plplot_exit(const char* message) {
  plplot_failed = true;
  RBM_THROW(Error, "PLplot failed: ", message == nullptr ? "(no message)" : message);
}

/// cmap0 entries.
enum Colour : PLINT {
  kBackground = 0,
  kInk = 1,        ///< frame, ticks, text
  kReference = 2,  ///< reference lines
  kGrid = 3,
  kFirstSeries = 4,
};
constexpr int kSeriesColours = 8;
/// Background, ink, reference grey, grid grey, then eight series colours that stay apart in
/// hue and lightness on white.
constexpr int kPalette[kFirstSeries + kSeriesColours][3] = {
    {255, 255, 255}, {0, 0, 0},      {90, 90, 90},  {228, 228, 228},
    {31, 100, 180},  {214, 80, 30},  {40, 150, 60}, {140, 70, 170},
    {225, 155, 20},  {20, 160, 170}, {150, 90, 50}, {210, 70, 150},
};

PLINT series_colour(std::size_t s) {
  return kFirstSeries + static_cast<PLINT>(s % kSeriesColours);
}
/// Solid for the first eight series, then PLplot's dash patterns 2..8.
PLINT series_style(std::size_t s) {
  return 1 + static_cast<PLINT>((s / kSeriesColours) % 8);
}

/// PLplot reads '#' as its escape character; doubled, it prints one '#'.
std::string plain(const std::string& text) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '#') out += '#';
  }
  return out;
}

/// Width of `text` in font heights (PLplot's character height): UTF-8 code points × the mean
/// advance of DejaVu Sans (0.64 em for digits) × 4/3, because pango sizes the font in points at
/// 96 dots per inch where PLplot assumes 72. Only used to size margins; an estimate suffices.
double text_width(const std::string& text) {
  std::size_t code_points = 0;
  for (unsigned char c : text) code_points += (c & 0xC0) != 0x80;
  return 0.64 * (96.0 / 72.0) * static_cast<double>(code_points);
}

/// The PLplot stream of one drawing, with the exit handler installed while it lives. A member
/// of Canvas, so that it is ended also when Canvas's constructor throws.
class Stream {
 public:
  Stream() {
    plplot_failed = false;
    ::plsexit(on_plplot_exit);
    stream_ = std::make_unique<plstream>();
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream() { end(); }

  plstream& operator*() { return *stream_; }
  plstream* operator->() { return stream_.get(); }
  /// plend1 (memcairo copies its picture into the buffer then). After a fatal PLplot error,
  /// ending the stream could meet the same error again, and a second throw while unwinding
  /// would terminate the process: the stream is abandoned instead.
  void end() {
    if (plplot_failed) (void)stream_.release();
    stream_.reset();
    ::plsexit(nullptr);
  }

 private:
  std::unique_ptr<plstream> stream_;
};

/// One PLplot drawing into an RGB buffer, holding the PLplot mutex for its whole life.
class Canvas {
 public:
  Canvas(int width, int height) : lock_(plplot_mutex()) {
    if (!memcairo_installed_locked()) {
      RBM_THROW(NotBuilt,
                "plots need PLplot's cairo driver (memcairo), which is not installed "
                "(Debian package plplot-driver-cairo)");
    }
    raster_.width = width;
    raster_.height = height;
    raster_.channels = 3;
    // memcairo starts from the buffer's content and paints no background of its own.
    raster_.pixels.assign(static_cast<std::size_t>(width) * height * 3, 255);
    // Text height: 13 px on the default 800×500 page, growing with the page's size.
    font_px_ = std::clamp(13.0 * std::sqrt(width * double(height) / (800.0 * 500.0)), 10.0, 40.0);

    stream_.emplace();
    plstream& pls = **stream_;
    pls.sError(&error_code_, error_message_);
    pls.sdev("memcairo");
    pls.smem(width, height, raster_.pixels.data());
    PLINT r[std::size(kPalette)], g[std::size(kPalette)], b[std::size(kPalette)];
    for (std::size_t c = 0; c < std::size(kPalette); ++c) {
      r[c] = kPalette[c][0];
      g[c] = kPalette[c][1];
      b[c] = kPalette[c][2];
    }
    pls.scmap0(r, g, b, static_cast<PLINT>(std::size(kPalette)));
    pls.init();
    pls.adv(0);
    text_scale(1.0);
    pls.col0(kInk);
  }
  Canvas(const Canvas&) = delete;
  Canvas& operator=(const Canvas&) = delete;

  plstream& pls() { return **stream_; }
  int width() const { return raster_.width; }
  int height() const { return raster_.height; }
  double font_px() const { return font_px_; }
  /// Text at `scale` × the base font height.
  void text_scale(double scale) { pls().schr(font_px_ * kMillimetresPerPixel, scale); }
  /// Line width in pixels at the base font size of 13 px (thicker on larger pages).
  void line_width(double width) { pls().width(width * font_px_ / 13.0); }

  /// Ends the drawing and returns the picture; throws Error when PLplot reported a problem.
  detail::Raster finish() {
    stream_->end();
    if (error_code_ != 0) RBM_THROW(Error, "PLplot: ", error_message_);
    return std::move(raster_);
  }

 private:
  /// memcairo works at 72 dots per inch.
  static constexpr double kMillimetresPerPixel = 25.4 / 72.0;

  std::unique_lock<std::mutex> lock_;  // first member: released last
  detail::Raster raster_;              // before stream_: PLplot draws into it until the end
  double font_px_ = 13.0;
  PLINT error_code_ = 0;
  char error_message_[1024] = {};  // plabort sprintf's its (short, fixed) messages here
  std::optional<Stream> stream_;
};

// ---- Axes ---------------------------------------------------------------------------------

/// A range in world coordinates (log10 of the value on a log axis).
struct Range {
  double low = 0.0, high = 1.0;
  double span() const { return high - low; }
};

struct Tick {
  double at = 0.0;    ///< world coordinate
  std::string label;  ///< empty: a minor tick
};

/// The world range of data in [data_low, data_high], widened by 4% on each end the caller did
/// not fix; a single value gets a unit (or one-decade) span around it.
Range fit_range(double data_low,
                double data_high,
                const std::optional<double>& fixed_low,
                const std::optional<double>& fixed_high,
                bool log) {
  const auto world = [log](double v) { return log ? std::log10(v) : v; };
  Range range{world(data_low), world(data_high)};
  if (range.span() <= 0.0) {
    const double half = log ? 0.5 : std::max(0.5, 0.1 * std::fabs(range.low));
    range = {range.low - half, range.high + half};
  }
  const double margin = 0.04 * range.span();
  range.low = fixed_low ? world(*fixed_low) : range.low - margin;
  range.high = fixed_high ? world(*fixed_high) : range.high + margin;
  // One end fixed beyond the data's other end: keep the fixed end and the data's span.
  if (range.low >= range.high) {
    const double span = std::max(world(data_high) - world(data_low), 1.0);
    if (fixed_low)
      range.high = range.low + span;
    else
      range.low = range.high - span;
  }
  RBM_EXPECTS(std::isfinite(range.span()) && range.span() > 0.0, "an axis from ", range.low, " to ",
              range.high, " (data from ", data_low, " to ", data_high, log ? ", log10" : "",
              ") cannot be drawn");
  return range;
}

/// "%.*f" with `decimals`, never "-0".
std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  std::string out = text;
  if (out.find_first_not_of("-0.") == std::string::npos && out[0] == '-') out.erase(0, 1);
  return out;
}

/// Ticks of a linear axis at multiples of a 1-2-5 step, about `target` of them labelled, with
/// minor ticks between; `to_world` maps a value to its world coordinate.
std::vector<Tick> linear_ticks(double low, double high, int target, double (*to_world)(double)) {
  const double raw = (high - low) / std::max(1, target);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10.0 * magnitude;
  int minor_per_step = 5;
  for (double mantissa : {1.0, 2.0, 5.0}) {
    if (mantissa * magnitude >= raw * (1.0 - 1e-9)) {
      step = mantissa * magnitude;
      minor_per_step = mantissa == 2.0 ? 4 : 5;
      break;
    }
  }
  const int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
  const double minor = step / minor_per_step;
  std::vector<Tick> ticks;
  for (long long k = static_cast<long long>(std::ceil(low / minor - 1e-9));
       k * minor <= high + 1e-9 * minor; ++k) {
    const double value = k * minor;
    const bool major = k % minor_per_step == 0;
    ticks.push_back({to_world(value), major ? fixed(value, decimals) : std::string()});
  }
  return ticks;
}

double identity(double v) {
  return v;
}
double log10_of(double v) {
  return std::log10(v);
}

/// "%g"-style label of a log-axis value (0.01, 2, 500, 1e+06).
std::string log_label(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

/// The k-th of 1, 2, 5, 10, 20, 50, 100, ...
long long one_two_five(int k) {
  constexpr int kMantissas[3] = {1, 2, 5};
  long long power = 1;
  for (int decade = 0; decade < k / 3; ++decade) power *= 10;
  return kMantissas[k % 3] * power;
}

/// Ticks of a log10 axis over the world range. Spanning two decades or more: every d-th
/// decade labelled (d = 1, 2, 5, 10, ... so that about `target` are), the other decades as
/// minor ticks, or 2..9 times each decade when d = 1 and the span is small enough to show them.
/// Under two decades: 1, 2 and 5 times the decades labelled, else 1..9 times, with minor ticks
/// at 1..9 times; a range too narrow for two such labels gets linear ticks.
std::vector<Tick> log_ticks(const Range& range, int target) {
  const auto in_range = [&](double world) {
    return world >= range.low - 1e-9 && world <= range.high + 1e-9;
  };
  const int first = static_cast<int>(std::floor(range.low));
  const int last = static_cast<int>(std::ceil(range.high));
  if (range.span() >= 2.0) {
    long long every = 1;
    for (int k = 1; range.span() / every > std::max(target, 2); ++k) every = one_two_five(k);
    std::vector<Tick> ticks;
    for (int decade = first; decade <= last; ++decade) {
      if (!in_range(decade)) continue;
      const bool major = decade % every == 0;
      ticks.push_back({double(decade), major ? log_label(std::pow(10.0, decade)) : std::string()});
      if (every > 1 || range.span() > 6.0) continue;  // 2..9 would blur into a bar
      for (int m = 2; m <= 9; ++m) {
        const double world = decade + std::log10(double(m));
        if (in_range(world)) ticks.push_back({world, std::string()});
      }
    }
    return ticks;
  }
  const std::vector<std::vector<int>> choices = {{1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}};
  for (const auto& majors : choices) {
    std::vector<Tick> ticks;
    int labelled = 0;
    for (int decade = first; decade <= last; ++decade) {
      for (int m = 1; m <= 9; ++m) {
        const double world = decade + std::log10(double(m));
        if (!in_range(world)) continue;
        const bool major = std::find(majors.begin(), majors.end(), m) != majors.end();
        ticks.push_back({world, major ? log_label(m * std::pow(10.0, decade)) : std::string()});
        labelled += major;
      }
    }
    if (labelled >= 2) return ticks;
  }
  return linear_ticks(std::pow(10.0, range.low), std::pow(10.0, range.high), target, log10_of);
}

/// Ticks at cell indices 0, step, 2·step, ... (cell k spans world [k, k+1], or [n−1−k, n−k]
/// when `reversed`; the tick is at its centre),
/// labelled with labels[k] or k; the step is 1, 2, 5, 10, 20, ... so that at most `max_labels`
/// are shown.
std::vector<Tick> index_ticks(int n,
                              const std::vector<std::string>& labels,
                              int max_labels,
                              bool reversed) {
  long long step = 1;
  for (int k = 1; (n + step - 1) / step > std::max(1, max_labels); ++k) step = one_two_five(k);
  std::vector<Tick> ticks;
  for (long long k = 0; k < n; k += step) {
    ticks.push_back({static_cast<double>(reversed ? n - 1 - k : k) + 0.5,
                     labels.empty() ? std::to_string(k) : plain(labels[k])});
  }
  return ticks;
}

double widest_label(const std::vector<Tick>& ticks) {
  double widest = 0.0;
  for (const Tick& tick : ticks) widest = std::max(widest, text_width(tick.label));
  return widest;
}

/// The plot box: margins in pixels, world window, and tick drawing.
struct Frame {
  double left = 0, right = 0, bottom = 0, top = 0;  ///< margins, pixels
  Range x, y;

  /// Sets PLplot's viewport and window to this frame.
  void apply(Canvas& canvas) const {
    canvas.pls().vpor(left / canvas.width(), 1.0 - right / canvas.width(), bottom / canvas.height(),
                      1.0 - top / canvas.height());
    canvas.pls().wind(x.low, x.high, y.low, y.high);
  }
  double box_width(const Canvas& canvas) const { return canvas.width() - left - right; }
  double box_height(const Canvas& canvas) const { return canvas.height() - bottom - top; }
};

enum class Side { bottom, left, right };

/// Tick marks inside the box on `side` and the opposite side (none opposite for `right`,
/// a colour bar's axis), labels outside `side` (`vertical`: bottom labels written upwards).
/// `grid`: a light line across the box at every labelled tick, drawn first.
void draw_ticks(Canvas& canvas,
                const Frame& frame,
                Side side,
                const std::vector<Tick>& ticks,
                bool grid = false,
                bool vertical = false) {
  plstream& pls = canvas.pls();
  const bool horizontal_axis = side == Side::bottom;
  const Range& along = horizontal_axis ? frame.x : frame.y;
  const Range& across = horizontal_axis ? frame.y : frame.x;
  const double across_px = horizontal_axis ? frame.box_height(canvas) : frame.box_width(canvas);
  const double major = 0.5 * canvas.font_px() / across_px * across.span();
  const auto segment = [&](double at, double from, double to) {
    if (horizontal_axis)
      pls.join(at, from, at, to);
    else
      pls.join(from, at, to, at);
  };
  if (grid) {
    pls.col0(kGrid);
    canvas.line_width(1.0);
    for (const Tick& tick : ticks) {
      if (!tick.label.empty()) segment(tick.at, across.low, across.high);
    }
  }
  pls.col0(kInk);
  canvas.line_width(1.0);
  for (const Tick& tick : ticks) {
    const double length = tick.label.empty() ? 0.5 * major : major;
    if (side == Side::right) {
      segment(tick.at, across.high, across.high - length);
      continue;
    }
    segment(tick.at, across.low, across.low + length);
    segment(tick.at, across.high, across.high - length);
  }
  for (const Tick& tick : ticks) {
    if (tick.label.empty()) continue;
    const double position = (tick.at - along.low) / along.span();
    switch (side) {
      case Side::bottom:
        if (vertical)
          pls.mtex("bv", 0.5, position, 1.0, tick.label.c_str());
        else
          pls.mtex("b", 1.5, position, 0.5, tick.label.c_str());
        break;
      case Side::left:
        pls.mtex("lv", 0.6, position, 1.0, tick.label.c_str());
        break;
      case Side::right:
        pls.mtex("rv", 0.6, position, 0.0, tick.label.c_str());
        break;
    }
  }
}

/// The box outline, drawn over the data.
void draw_box(Canvas& canvas) {
  canvas.pls().col0(kInk);
  canvas.line_width(1.0);
  canvas.pls().lsty(1);
  canvas.pls().box("bc", 0.0, 0, "bc", 0.0, 0);
}

/// Margins (pixels) for a frame whose bottom and left sides carry ticks with these labels.
void size_margins(Frame& frame,
                  const Canvas& canvas,
                  double x_label_height,  ///< font heights under the x tick labels' baseline
                  double widest_y_label,  ///< font heights
                  const std::string& title,
                  const std::string& x_label,
                  const std::string& y_label) {
  const double f = canvas.font_px();
  frame.left = f * (0.6 + widest_y_label + 0.8 + (y_label.empty() ? 0.0 : 1.6) + 0.6);
  frame.bottom = f * (x_label_height + (x_label.empty() ? 0.0 : 1.8) + 0.8);
  frame.top = f * (title.empty() ? 1.2 : 3.0);
  frame.right = f * 2.0;
}

/// Title over the box, axis captions beside it (after size_margins).
void draw_captions(Canvas& canvas,
                   const Frame& frame,
                   const std::string& title,
                   const std::string& x_label,
                   const std::string& y_label) {
  plstream& pls = canvas.pls();
  const double f = canvas.font_px();
  pls.col0(kInk);
  if (!x_label.empty()) {
    pls.mtex("b", (frame.bottom - 0.8 * f) / f - 0.3, 0.5, 0.5, plain(x_label).c_str());
  }
  if (!y_label.empty()) {
    pls.mtex("l", (frame.left - 0.6 * f) / f - 0.5, 0.5, 0.5, plain(y_label).c_str());
  }
  if (!title.empty()) {
    canvas.text_scale(1.15);
    pls.mtex("t", 1.0, 0.5, 0.5, plain(title).c_str());
    canvas.text_scale(1.0);
  }
}

// ---- Legend -------------------------------------------------------------------------------

struct LegendEntry {
  std::string text;
  PLINT colour = kInk;
  PLINT style = 1;      ///< line style
  double width = 2.0;   ///< line width, pixels at 13 px text
  bool line = true;     ///< a line sample (else a filled box, for bars)
  bool marker = false;  ///< a dot on the line sample
};

PLINT legend_position(LegendPosition position) {
  switch (position) {
    case LegendPosition::top_left:
      return PL_POSITION_TOP | PL_POSITION_LEFT;
    case LegendPosition::bottom_right:
      return PL_POSITION_BOTTOM | PL_POSITION_RIGHT;
    case LegendPosition::bottom_left:
      return PL_POSITION_BOTTOM | PL_POSITION_LEFT;
    default:
      return PL_POSITION_TOP | PL_POSITION_RIGHT;
  }
}

/// Legend offsets from the box's corner, fractions of the box (pllegend's x and y).
constexpr double kLegendInsetX = 0.02, kLegendInsetY = 0.03;
/// Length of a legend's line sample, fraction of the box width.
constexpr double kLegendSample = 0.08;

/// The corner where a legend of `entries` covers the fewest of `covered` (world points where
/// something is drawn); top right on a tie. The legend's size is estimated from its texts.
LegendPosition emptiest_corner(const Canvas& canvas,
                               const Frame& frame,
                               const std::vector<LegendEntry>& entries,
                               const std::vector<std::pair<double, double>>& covered) {
  double widest = 0.0;
  for (const LegendEntry& entry : entries) widest = std::max(widest, text_width(entry.text));
  const double f = canvas.font_px();
  const double width = kLegendInsetX + kLegendSample + (widest + 3.0) * f / frame.box_width(canvas);
  const double height = kLegendInsetY + (2.0 * entries.size() + 0.5) * f / frame.box_height(canvas);
  LegendPosition best = LegendPosition::top_right;
  std::size_t fewest = std::numeric_limits<std::size_t>::max();
  for (LegendPosition corner : {LegendPosition::top_right, LegendPosition::top_left,
                                LegendPosition::bottom_right, LegendPosition::bottom_left}) {
    const bool right =
        corner == LegendPosition::top_right || corner == LegendPosition::bottom_right;
    const bool top = corner == LegendPosition::top_right || corner == LegendPosition::top_left;
    std::size_t count = 0;
    for (const auto& [x, y] : covered) {
      const double u = (x - frame.x.low) / frame.x.span(), v = (y - frame.y.low) / frame.y.span();
      count += (right ? u >= 1.0 - width : u <= width) && (top ? v >= 1.0 - height : v <= height);
    }
    if (count < fewest) {
      fewest = count;
      best = corner;
    }
  }
  return best;
}

/// Points along the segment from (x0, y0) to (x1, y1), for emptiest_corner.
void sample_segment(
    double x0, double y0, double x1, double y1, std::vector<std::pair<double, double>>& covered) {
  constexpr int kSamples = 16;
  for (int k = 0; k <= kSamples; ++k) {
    const double t = static_cast<double>(k) / kSamples;
    covered.emplace_back(x0 + t * (x1 - x0), y0 + t * (y1 - y0));
  }
}

void draw_legend(Canvas& canvas,
                 const Frame& frame,
                 const std::vector<LegendEntry>& entries,
                 LegendPosition where,
                 const std::vector<std::pair<double, double>>& covered) {
  if (entries.empty() || where == LegendPosition::none) return;
  if (where == LegendPosition::automatic) where = emptiest_corner(canvas, frame, entries, covered);
  const std::size_t n = entries.size();
  std::vector<PLINT> options(n), text_colours(n, kInk), colours(n), styles(n), patterns(n, 0),
      symbol_numbers(n, 1);
  std::vector<PLFLT> widths(n), box_scales(n, 0.8), box_widths(n, 1.0), symbol_scales(n, 0.9);
  std::vector<std::string> texts(n);
  std::vector<const char*> text_pointers(n), symbols(n, "●");
  for (std::size_t k = 0; k < n; ++k) {
    const LegendEntry& entry = entries[k];
    options[k] =
        entry.line ? PL_LEGEND_LINE | (entry.marker ? PL_LEGEND_SYMBOL : 0) : PL_LEGEND_COLOR_BOX;
    colours[k] = entry.colour;
    styles[k] = entry.style;
    widths[k] = entry.width * canvas.font_px() / 13.0;
    texts[k] = plain(entry.text);
    text_pointers[k] = texts[k].c_str();
  }
  PLFLT legend_width = 0.0, legend_height = 0.0;
  canvas.pls().lsty(1);
  canvas.pls().legend(&legend_width, &legend_height, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
                      legend_position(where) | PL_POSITION_INSIDE | PL_POSITION_VIEWPORT,
                      kLegendInsetX, kLegendInsetY, kLegendSample, kBackground, kInk, 1, 0, 0,
                      static_cast<PLINT>(n), options.data(), 1.0, 0.95, 2.0, 0.0,
                      text_colours.data(), text_pointers.data(), colours.data(), patterns.data(),
                      box_scales.data(), box_widths.data(), colours.data(), styles.data(),
                      widths.data(), colours.data(), symbol_scales.data(), symbol_numbers.data(),
                      symbols.data());
}

/// Horizontal dashed lines across the box (a different dash pattern each); the labelled ones
/// are appended to `legend`, their points to `covered`.
void draw_reference_lines(Canvas& canvas,
                          const Frame& frame,
                          const PlotOptions& options,
                          std::vector<LegendEntry>& legend,
                          std::vector<std::pair<double, double>>& covered) {
  for (std::size_t k = 0; k < options.reference_lines.size(); ++k) {
    const ReferenceLine& line = options.reference_lines[k];
    const double y = options.log_y ? std::log10(line.y) : line.y;
    const PLINT style = 2 + static_cast<PLINT>(k % 7);
    canvas.pls().col0(kReference);
    canvas.pls().lsty(style);
    canvas.line_width(1.5);
    canvas.pls().join(frame.x.low, y, frame.x.high, y);
    sample_segment(frame.x.low, y, frame.x.high, y, covered);
    if (!line.label.empty()) legend.push_back({line.label, kReference, style, 1.5, true, false});
  }
  canvas.pls().lsty(1);
}

// ---- Line plots ---------------------------------------------------------------------------

/// Smallest and largest of y ± error over every series, and of the reference lines.
void data_bounds(const std::vector<Series>& series,
                 const std::vector<ReferenceLine>& references,
                 double& x_low,
                 double& x_high,
                 double& y_low,
                 double& y_high) {
  x_low = y_low = std::numeric_limits<double>::infinity();
  x_high = y_high = -x_low;
  for (const Series& one : series) {
    for (std::size_t k = 0; k < one.x.size(); ++k) {
      const double error = one.y_error.empty() ? 0.0 : one.y_error[k];
      x_low = std::min(x_low, one.x[k]);
      x_high = std::max(x_high, one.x[k]);
      y_low = std::min(y_low, one.y[k] - error);
      y_high = std::max(y_high, one.y[k] + error);
    }
  }
  for (const ReferenceLine& line : references) {
    y_low = std::min(y_low, line.y);
    y_high = std::max(y_high, line.y);
  }
}

/// Tick sets for a frame's axes (sized by the box, which depends on the labels' width, which
/// depends on the ticks: two passes settle it).
std::vector<Tick> axis_ticks(const Range& range, bool log, double box_px, double label_px) {
  const int target = std::clamp(static_cast<int>(box_px / label_px), 2, 10);
  return log ? log_ticks(range, target) : linear_ticks(range.low, range.high, target, identity);
}

detail::Raster render_line_plot(const std::vector<Series>& series, const PlotOptions& options) {
  double x_low, x_high, y_low, y_high;
  data_bounds(series, options.reference_lines, x_low, x_high, y_low, y_high);
  Canvas canvas(options.width, options.height);
  plstream& pls = canvas.pls();
  const double f = canvas.font_px();

  Frame frame;
  frame.x = fit_range(x_low, x_high, options.x_min, options.x_max, options.log_x);
  frame.y = fit_range(y_low, y_high, options.y_min, options.y_max, options.log_y);
  std::vector<Tick> x_ticks, y_ticks;
  size_margins(frame, canvas, 2.4, 3.0, options.title, options.x_label, options.y_label);
  for (int pass = 0; pass < 2; ++pass) {
    y_ticks = axis_ticks(frame.y, options.log_y, frame.box_height(canvas), 3.0 * f);
    size_margins(frame, canvas, 2.4, widest_label(y_ticks), options.title, options.x_label,
                 options.y_label);
    x_ticks = axis_ticks(frame.x, options.log_x, frame.box_width(canvas),
                         (widest_label(x_ticks) + 3.0) * f);
  }
  if (!x_ticks.empty()) {  // the last label may stick out right of the box
    frame.right = std::max(frame.right, 0.5 * f * text_width(x_ticks.back().label) + 0.6 * f);
  }
  frame.apply(canvas);

  draw_ticks(canvas, frame, Side::left, y_ticks, true);
  draw_ticks(canvas, frame, Side::bottom, x_ticks, true);

  // Reference lines under the data, after the series in the legend.
  std::vector<LegendEntry> legend, references;
  std::vector<std::pair<double, double>> covered;  // where the legend should not go
  draw_reference_lines(canvas, frame, options, references, covered);
  for (std::size_t s = 0; s < series.size(); ++s) {
    const Series& one = series[s];
    const std::size_t n = one.x.size();
    std::vector<PLFLT> x(n), y(n);
    for (std::size_t k = 0; k < n; ++k) {
      x[k] = options.log_x ? std::log10(one.x[k]) : one.x[k];
      y[k] = options.log_y ? std::log10(one.y[k]) : one.y[k];
    }
    pls.col0(series_colour(s));
    if (!one.y_error.empty()) {
      std::vector<PLFLT> low(n), high(n);
      for (std::size_t k = 0; k < n; ++k) {
        low[k] = one.y[k] - one.y_error[k];
        high[k] = one.y[k] + one.y_error[k];
        if (options.log_y) {
          low[k] = std::log10(low[k]);
          high[k] = std::log10(high[k]);
        }
      }
      pls.lsty(1);
      canvas.line_width(1.5);
      pls.smin(0.0, std::max(1.0, 0.9 * f / 13.0));  // bar caps
      pls.erry(static_cast<PLINT>(n), x.data(), low.data(), high.data());
      for (std::size_t k = 0; k < n; ++k) sample_segment(x[k], low[k], x[k], high[k], covered);
    }
    for (std::size_t k = 0; k < n; ++k) {
      sample_segment(x[k], y[k], x[k + (k + 1 < n)], y[k + (k + 1 < n)], covered);
    }
    pls.lsty(series_style(s));
    canvas.line_width(2.0);
    if (n > 1) pls.line(static_cast<PLINT>(n), x.data(), y.data());
    const bool markers = one.markers || n == 1;
    if (markers) {
      pls.lsty(1);
      canvas.text_scale(0.8);
      pls.string(static_cast<PLINT>(n), x.data(), y.data(), "●");
      canvas.text_scale(1.0);
    }
    if (!one.label.empty()) {
      legend.push_back({one.label, series_colour(s), series_style(s), 2.0, true, markers});
    }
  }

  draw_box(canvas);
  draw_captions(canvas, frame, options.title, options.x_label, options.y_label);
  legend.insert(legend.end(), references.begin(), references.end());
  draw_legend(canvas, frame, legend, options.legend, covered);
  return canvas.finish();
}

// ---- Bar charts ---------------------------------------------------------------------------

detail::Raster render_bar_chart(const std::vector<std::string>& categories,
                                const std::vector<BarSeries>& series,
                                const PlotOptions& options) {
  const int n_categories = static_cast<int>(categories.size());
  double y_low = std::numeric_limits<double>::infinity(), y_high = -y_low;
  for (const BarSeries& one : series) {
    for (int k = 0; k < n_categories; ++k) {
      const double error = one.errors.empty() ? 0.0 : one.errors[k];
      y_low = std::min(y_low, one.values[k] - error);
      y_high = std::max(y_high, one.values[k] + error);
    }
  }
  for (const ReferenceLine& line : options.reference_lines) {
    y_low = std::min(y_low, line.y);
    y_high = std::max(y_high, line.y);
  }
  if (!options.log_y) {  // bars stand on 0, which must be in view
    y_low = std::min(y_low, 0.0);
    y_high = std::max(y_high, 0.0);
  }
  Canvas canvas(options.width, options.height);
  plstream& pls = canvas.pls();
  const double f = canvas.font_px();

  Frame frame;
  frame.x = {0.0, static_cast<double>(n_categories)};  // category k spans [k, k+1]
  frame.y = fit_range(y_low, y_high, options.y_min, options.y_max, options.log_y);
  // A linear axis whose data start at 0 starts exactly there, bars on the frame.
  if (!options.log_y && !options.y_min && y_low == 0.0) frame.y.low = 0.0;
  double widest_name = 0.0;
  for (const std::string& name : categories) widest_name = std::max(widest_name, text_width(name));
  std::vector<Tick> y_ticks, x_ticks;
  bool vertical = false;
  size_margins(frame, canvas, 2.4, 3.0, options.title, options.x_label, options.y_label);
  for (int pass = 0; pass < 2; ++pass) {
    y_ticks = axis_ticks(frame.y, options.log_y, frame.box_height(canvas), 3.0 * f);
    // Names side by side when they fit, else written upwards (and thinned if still too many).
    const double slot_px = frame.box_width(canvas) / n_categories;
    vertical = (widest_name + 1.0) * f > slot_px;
    const double names_height = vertical ? 0.8 + widest_name : 2.4;
    size_margins(frame, canvas, names_height, widest_label(y_ticks), options.title, options.x_label,
                 options.y_label);
    const int max_names =
        static_cast<int>(frame.box_width(canvas) / (vertical ? 1.3 * f : (widest_name + 1.0) * f));
    x_ticks = index_ticks(n_categories, categories, max_names, false);
  }
  frame.apply(canvas);

  draw_ticks(canvas, frame, Side::left, y_ticks, true);
  // Category ticks: no minor ticks, no grid; only the names (ticks would cut the bars).
  for (const Tick& tick : x_ticks) {
    const double position = (tick.at - frame.x.low) / frame.x.span();
    pls.col0(kInk);
    if (vertical)
      pls.mtex("bv", 0.5, position, 1.0, tick.label.c_str());
    else
      pls.mtex("b", 1.5, position, 0.5, tick.label.c_str());
  }

  const double group_width = 0.8;
  const double bar_width = group_width / static_cast<double>(series.size());
  const double base = options.log_y ? frame.y.low : std::clamp(0.0, frame.y.low, frame.y.high);
  std::vector<LegendEntry> legend;
  std::vector<std::pair<double, double>> covered;  // where the legend should not go
  for (std::size_t s = 0; s < series.size(); ++s) {
    const BarSeries& one = series[s];
    for (int k = 0; k < n_categories; ++k) {
      const double left = k + 0.5 - 0.5 * group_width + s * bar_width;
      const double top = options.log_y ? std::log10(one.values[k]) : one.values[k];
      const double clipped = std::clamp(top, frame.y.low, frame.y.high);
      PLFLT x[4] = {left, left + bar_width, left + bar_width, left};
      PLFLT y[4] = {base, base, clipped, clipped};
      pls.col0(series_colour(s));
      pls.psty(0);
      pls.fill(4, x, y);
      pls.col0(kInk);
      canvas.line_width(0.7);
      pls.lsty(1);
      PLFLT xo[5] = {x[0], x[1], x[2], x[3], x[0]};
      PLFLT yo[5] = {y[0], y[1], y[2], y[3], y[0]};
      pls.line(5, xo, yo);
      for (double at : {x[0], 0.5 * (x[0] + x[1]), x[1]})
        sample_segment(at, base, at, clipped, covered);
      if (!one.errors.empty()) {
        PLFLT centre = left + 0.5 * bar_width;
        PLFLT low = one.values[k] - one.errors[k], high = one.values[k] + one.errors[k];
        if (options.log_y) {
          low = std::log10(low);
          high = std::log10(high);
        }
        canvas.line_width(1.2);
        pls.smin(0.0, std::max(0.6, 0.6 * f / 13.0));
        pls.erry(1, &centre, &low, &high);
        sample_segment(centre, low, centre, high, covered);
      }
    }
    if (!one.label.empty()) legend.push_back({one.label, series_colour(s), 1, 1.0, false, false});
  }
  draw_reference_lines(canvas, frame, options, legend, covered);
  draw_box(canvas);
  draw_captions(canvas, frame, options.title, options.x_label, options.y_label);
  draw_legend(canvas, frame, legend, options.legend, covered);
  return canvas.finish();
}

// ---- Heat maps ----------------------------------------------------------------------------

/// x' = x0 + dx·x, y' = y0 + dy·y: image cell indices to world coordinates.
struct Affine {
  double x0, dx, y0, dy;
};
void affine(PLFLT x, PLFLT y, PLFLT* tx, PLFLT* ty, PLPointer data) {
  const Affine& map = *static_cast<const Affine*>(data);
  *tx = map.x0 + map.dx * x;
  *ty = map.y0 + map.dy * y;
}

/// cmap1: white → dark blue (sequential) or blue → white → red (diverging).
void set_colour_map(plstream& pls, bool diverging) {
  constexpr PLINT kLevels = 256;
  pls.scmap1n(kLevels);
  if (diverging) {
    const PLFLT at[3] = {0.0, 0.5, 1.0};
    const PLFLT r[3] = {0.13, 1.0, 0.75}, g[3] = {0.35, 1.0, 0.13}, b[3] = {0.75, 1.0, 0.13};
    pls.scmap1l(true, 3, at, r, g, b, nullptr);
  } else {
    const PLFLT at[3] = {0.0, 0.45, 1.0};
    const PLFLT r[3] = {1.0, 0.42, 0.03}, g[3] = {1.0, 0.64, 0.12}, b[3] = {1.0, 0.86, 0.40};
    pls.scmap1l(true, 3, at, r, g, b, nullptr);
  }
}

detail::Raster render_heatmap(const std::vector<double>& values,
                              int rows,
                              int columns,
                              const HeatmapOptions& options) {
  // Colour range: the data's, symmetric about 0 for the diverging map; fixed ends override.
  double low = *std::min_element(values.begin(), values.end());
  double high = *std::max_element(values.begin(), values.end());
  if (options.diverging) {
    high = std::max(std::fabs(low), std::fabs(high));
    low = -high;
  }
  low = options.value_min.value_or(low);
  high = options.value_max.value_or(high);
  if (!(low < high)) {  // a constant matrix, or one fixed end beyond the data
    if (options.value_min)
      high = low + 1.0;
    else
      low = high - 1.0;
  }

  Canvas canvas(options.width, options.height);
  plstream& pls = canvas.pls();
  const double f = canvas.font_px();
  set_colour_map(pls, options.diverging);

  Frame frame;
  frame.x = {0.0, static_cast<double>(columns)};  // cell (r, c) spans [c, c+1]×[rows−1−r, rows−r]
  frame.y = {0.0, static_cast<double>(rows)};
  Frame bar;  // the colour bar: a narrow box right of the map
  bar.x = {0.0, 1.0};
  bar.y = {low, high};
  const std::vector<Tick> bar_ticks = linear_ticks(low, high, 6, identity);
  const double bar_labels = widest_label(bar_ticks);
  std::vector<Tick> row_ticks, column_ticks;
  size_margins(frame, canvas, 2.4, 3.0, options.title, options.x_label, options.y_label);
  for (int pass = 0; pass < 2; ++pass) {
    row_ticks = index_ticks(rows, options.row_labels,
                            static_cast<int>(frame.box_height(canvas) / (1.4 * f)), true);
    size_margins(frame, canvas, 2.4, widest_label(row_ticks), options.title, options.x_label,
                 options.y_label);
    frame.right = f * (1.5 + 1.2 + 0.6 + bar_labels + (options.value_label.empty() ? 0.5 : 2.2));
    double widest_column = 0.0;
    for (int k = 0; k < columns; ++k) {
      widest_column = std::max(widest_column, options.column_labels.empty()
                                                  ? text_width(std::to_string(k))
                                                  : text_width(options.column_labels[k]));
    }
    column_ticks =
        index_ticks(columns, options.column_labels,
                    static_cast<int>(frame.box_width(canvas) / ((widest_column + 1.5) * f)), false);
  }
  bar.left = canvas.width() - frame.right + 1.5 * f;
  bar.right = frame.right - 1.5 * f - 1.2 * f;
  bar.top = frame.top;
  bar.bottom = frame.bottom;

  // The matrix: PLplot's image is indexed [x][y] with y upwards, so row r is at y = rows−1−r.
  // Cell (x, y) is drawn over [x, x+1]×[y, y+1] mapped by `to_world`: plimagefr without a
  // transform places its cells differently across PLplot versions (nodes or cells).
  frame.apply(canvas);
  std::vector<PLFLT> cells(static_cast<std::size_t>(rows) * columns);
  std::vector<const PLFLT*> cell_columns(columns);
  for (int c = 0; c < columns; ++c) {
    for (int y = 0; y < rows; ++y) {
      const double v = values[static_cast<std::size_t>(rows - 1 - y) * columns + c];
      cells[static_cast<std::size_t>(c) * rows + y] = std::clamp(v, low, high);
    }
    cell_columns[c] = cells.data() + static_cast<std::size_t>(c) * rows;
  }
  Affine cell_to_world{0.0, 1.0, 0.0, 1.0};
  pls.imagefr(cell_columns.data(), columns, rows, frame.x.low, frame.x.high, frame.y.low,
              frame.y.high, low, high, low, high, affine, &cell_to_world);
  draw_ticks(canvas, frame, Side::left, row_ticks);
  draw_ticks(canvas, frame, Side::bottom, column_ticks);
  draw_box(canvas);
  draw_captions(canvas, frame, options.title, options.x_label, options.y_label);

  // The colour bar: a one-column image of 256 levels from low to high, ticks on its right.
  constexpr int kBarLevels = 256;
  bar.apply(canvas);
  std::vector<PLFLT> levels(kBarLevels);
  for (int k = 0; k < kBarLevels; ++k) levels[k] = low + (high - low) * (k + 0.5) / kBarLevels;
  const PLFLT* level_column[1] = {levels.data()};
  Affine level_to_world{0.0, 1.0, low, (high - low) / kBarLevels};
  pls.imagefr(level_column, 1, kBarLevels, 0.0, 1.0, low, high, low, high, low, high, affine,
              &level_to_world);
  draw_ticks(canvas, bar, Side::right, bar_ticks);
  draw_box(canvas);
  if (!options.value_label.empty()) {
    pls.col0(kInk);
    pls.mtex("r", 0.6 + bar_labels + 1.2, 0.5, 0.5, plain(options.value_label).c_str());
  }
  return canvas.finish();
}

}  // namespace

bool plots_available() {
  if (plots_switched_off()) return false;
  std::lock_guard<std::mutex> lock(plplot_mutex());
  return memcairo_installed_locked();
}

#else  // no PLplot in this build

namespace {

detail::Raster render_line_plot(const std::vector<Series>&, const PlotOptions&) {
  not_built("write_line_plot");
}
detail::Raster render_bar_chart(const std::vector<std::string>&,
                                const std::vector<BarSeries>&,
                                const PlotOptions&) {
  not_built("write_bar_chart");
}
detail::Raster render_heatmap(const std::vector<double>&, int, int, const HeatmapOptions&) {
  not_built("write_heatmap");
}

}  // namespace

bool plots_available() {
  return false;
}

#endif  // RBM_WITH_PLOTS

void write_line_plot(const std::string& path,
                     const std::vector<Series>& series,
                     const PlotOptions& options) {
  check_line_plot(series, options);
  if (plots_switched_off()) not_built("write_line_plot");
  detail::write_png(path, "line plot", render_line_plot(series, options));
}

void write_bar_chart(const std::string& path,
                     const std::vector<std::string>& categories,
                     const std::vector<BarSeries>& series,
                     const PlotOptions& options) {
  check_bar_chart(categories, series, options);
  if (plots_switched_off()) not_built("write_bar_chart");
  detail::write_png(path, "bar chart", render_bar_chart(categories, series, options));
}

void write_heatmap(const std::string& path,
                   const std::vector<double>& values,
                   int rows,
                   int columns,
                   const HeatmapOptions& options) {
  check_heatmap(values, rows, columns, options);
  if (plots_switched_off()) not_built("write_heatmap");
  detail::write_png(path, "heat map", render_heatmap(values, rows, columns, options));
}

}  // namespace rbm

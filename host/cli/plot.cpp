// host/cli/plot.cpp — `rbm plot`: draws numbers that other commands wrote (JSON lines) as one
// line plot, and writes the plotted numbers next to it (PNG.jsonl; the numbers only when the
// build has no plots), e.g. the learning curves of several runs against the optimum:
//   rbm plot --y train_ll --series CD-1=cd1.metrics.jsonl --series PCD=pcd.metrics.jsonl \
//            --reference -3.4012:optimum --png curves.png
#include <fstream>

#include "host/cli/cli.hpp"

namespace rbm::cli {
namespace {

struct PlotCommand {
  CommonOptions common;
  std::vector<std::string> series, references;
  std::string x = "epoch", y, y_error, png = "plot.png", title, x_label, y_label, where;
  bool log_x = false;
};

/// "LABEL=FILE" (or just FILE, labelled by its name).
std::pair<std::string, std::string> label_and_file(const std::string& spec) {
  const auto eq = spec.find('=');
  if (eq == std::string::npos) return {spec, spec};
  return {spec.substr(0, eq), spec.substr(eq + 1)};
}

/// The rows of a JSON-lines file that have numeric `x` and `y` and match `where` (KEY=VALUE).
Series read_series(const std::string& label, const std::string& path, const PlotCommand& o) {
  std::ifstream in(path);
  if (!in) throw IoError("cannot open '" + path + "'");
  std::string where_key, where_value;
  if (!o.where.empty()) {
    const auto eq = o.where.find('=');
    where_key = o.where.substr(0, eq);
    where_value = eq == std::string::npos ? "" : o.where.substr(eq + 1);
  }
  Series s;
  s.label = label;
  s.markers = true;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    json row;
    try {
      row = json::parse(line);
    } catch (const json::exception& e) {
      throw IoError("'" + path + "' line " + std::to_string(n) + " is not JSON: " + e.what());
    }
    if (!where_key.empty() && (!row.contains(where_key) ||
                               (row[where_key].is_string() ? row[where_key].get<std::string>()
                                                           : row[where_key].dump()) != where_value))
      continue;
    if (!row.contains(o.x) || !row.contains(o.y) || !row[o.x].is_number() || !row[o.y].is_number())
      continue;
    s.x.push_back(row[o.x].get<double>());
    s.y.push_back(row[o.y].get<double>());
    if (!o.y_error.empty())
      s.y_error.push_back(row.contains(o.y_error) && row[o.y_error].is_number()
                              ? row[o.y_error].get<double>()
                              : 0.0);
  }
  if (s.x.empty())
    throw InvalidArgument("'" + path + "' has no rows with numbers '" + o.x + "' and '" + o.y +
                          "'");
  return s;
}

/// The numbers behind the plot: one row per point, {series, x, y[, y_error]}.
std::vector<json> plotted_rows(const std::vector<Series>& series, const PlotCommand& o) {
  std::vector<json> rows;
  for (const Series& s : series)
    for (std::size_t k = 0; k < s.x.size(); ++k) {
      json row = {{"series", s.label}, {o.x, s.x[k]}, {o.y, s.y[k]}};
      if (!s.y_error.empty()) row[o.y_error] = s.y_error[k];
      rows.push_back(row);
    }
  return rows;
}

int run(const PlotCommand& o) {
  std::vector<Series> series;
  for (const std::string& spec : o.series) {
    const auto [label, file] = label_and_file(spec);
    series.push_back(read_series(label, file, o));
  }
  PlotOptions plot;
  plot.title = o.title;
  plot.x_label = o.x_label.empty() ? o.x : o.x_label;
  plot.y_label = o.y_label.empty() ? o.y : o.y_label;
  plot.log_x = o.log_x;
  for (const std::string& spec : o.references) {
    const auto colon = spec.find(':');
    try {
      plot.reference_lines.push_back({std::stod(spec.substr(0, colon)),
                                      colon == std::string::npos ? "" : spec.substr(colon + 1)});
    } catch (const std::exception&) {
      throw InvalidArgument("--reference '" + spec + "' is not VALUE[:LABEL]");
    }
  }
  write_numbers(stem_of(o.png), plotted_rows(series, o), false);
  if (!plots_available()) {
    note("plots are not built (PLplot missing): skipped " + o.png + ", wrote the numbers only (" +
         stem_of(o.png) + ".jsonl)");
    return 0;
  }
  write_line_plot(o.png, series, plot);
  print(o.common, {{"event", "plot"}, {"png", o.png}, {"series", series.size()}}, "wrote " + o.png);
  return 0;
}

}  // namespace

Runner add_plot(CLI::App& app) {
  auto o = std::make_shared<PlotCommand>();
  CLI::App* cmd =
      app.add_subcommand("plot", "draw JSON-lines numbers of other commands as a line plot");
  add_common(cmd, o->common);
  cmd->add_option("--series", o->series, "LABEL=FILE.jsonl (repeatable)")->required();
  cmd->add_option("--x", o->x, "key of the x values")->capture_default_str();
  cmd->add_option("--y", o->y, "key of the y values")->required();
  cmd->add_option("--y-error", o->y_error, "key of the error bars");
  cmd->add_option("--where", o->where, "KEY=VALUE: only rows with it (e.g. model=0)");
  cmd->add_option("--reference", o->references, "VALUE[:LABEL]: a horizontal line (repeatable)");
  cmd->add_option("--png", o->png, "picture file")->capture_default_str();
  cmd->add_option("--title", o->title, "title");
  cmd->add_option("--x-label", o->x_label, "x axis label");
  cmd->add_option("--y-label", o->y_label, "y axis label");
  cmd->add_flag("--log-x", o->log_x, "logarithmic x axis");
  return [cmd, o] { return cmd->parsed() ? run(*o) : -1; };
}

}  // namespace rbm::cli

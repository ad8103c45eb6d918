// host/mpi/collectives.cpp — what rbm computes across ranks: exact log Z split into ranges of
// work units, and lists of tasks spread by cost (steps of host/mpi/step.hpp).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "host/check.hpp"
#include "host/mpi/step.hpp"

namespace rbm::mpi {
namespace {

std::vector<double> equal_shares(const Communicator::Impl& c) {
  return shares_of(std::vector<double>(c.size, 1.0));
}

/// FNV-1a over a model's shape, unit types and parameters: ranks check they hold one model.
std::uint64_t fingerprint(const Model& model) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  const auto mix = [&](const void* data, std::size_t bytes) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t k = 0; k < bytes; ++k) hash = (hash ^ p[k]) * 0x100000001b3ull;
  };
  const int header[4] = {model.n_visible, model.n_hidden, static_cast<int>(model.visible_type),
                         static_cast<int>(model.hidden_type)};
  mix(header, sizeof header);
  mix(model.weights.data(), model.weights.size() * sizeof(float));
  mix(model.visible_bias.data(), model.visible_bias.size() * sizeof(float));
  mix(model.hidden_bias.data(), model.hidden_bias.size() * sizeof(float));
  return hash;
}

void put_info(Writer& out, const LogZResult& r) {
  out.put(r.log_z).put(r.enumerated_hidden).put(r.states).put(r.log2_states).put(r.pairs);
  out.put(r.seconds);
}

LogZResult get_info(Reader& in) {
  LogZResult r;
  r.log_z = in.get<double>();
  r.enumerated_hidden = in.get<bool>();
  r.states = in.get<double>();
  r.log2_states = in.get<double>();
  r.pairs = in.get<double>();
  r.seconds = in.get<double>();
  return r;
}

void put_part(Writer& out, const LogZPart& part) {
  out.put(part.units).put(part.begin).put(part.end).put(part.log_offset);
  put_info(out, part.info);
  out.put<std::uint64_t>(part.nodes.size());
  for (const LogZNode& node : part.nodes)
    out.put(node.index).put(node.level).put(node.max).put(node.sum);
}

LogZPart get_part(Reader& in) {
  LogZPart part;
  part.units = in.get<std::uint64_t>();
  part.begin = in.get<std::uint64_t>();
  part.end = in.get<std::uint64_t>();
  part.log_offset = in.get<double>();
  part.info = get_info(in);
  const auto n = in.get<std::uint64_t>();
  for (std::uint64_t k = 0; k < n; ++k) {
    LogZNode node;
    node.index = in.get<std::uint64_t>();
    node.level = in.get<int>();
    node.max = in.get<double>();
    node.sum = in.get<double>();
    part.nodes.push_back(node);
  }
  return part;
}

/// Rank r's units of U split over N ranks: contiguous, sizes differing by at most one.
std::pair<std::uint64_t, std::uint64_t> units_of(std::uint64_t units, int n_ranks, int r) {
  const std::uint64_t n = static_cast<std::uint64_t>(n_ranks), k = static_cast<std::uint64_t>(r);
  const auto begin = [&](std::uint64_t i) { return i * (units / n) + std::min(i, units % n); };
  return {begin(k), begin(k + 1)};
}

/// What every rank must agree on before log Z is split: backend, models and their units.
struct LogZPlan {
  int backend = 0;
  std::vector<std::uint64_t> fingerprints, units;
};

std::string describe_difference(const LogZPlan& mine,
                                const LogZPlan& root,
                                const std::string& who) {
  if (mine.backend != root.backend)
    return who + " runs exact log Z on the " + to_string(static_cast<BackendKind>(mine.backend)) +
           " backend, rank 0 on the " + to_string(static_cast<BackendKind>(root.backend)) +
           ": give every rank the same backend (the parts of one enumeration must come from one "
           "kind)";
  if (mine.fingerprints != root.fingerprints)
    return who + " holds other models than rank 0 (" + std::to_string(mine.fingerprints.size()) +
           " vs " + std::to_string(root.fingerprints.size()) +
           "; is the model file the same on every node?)";
  return who + " splits the models into other numbers of work units than rank 0";
}

}  // namespace

EngineOptions engine_options(const Communicator& comm, EngineOptions base) {
  const int devices = cuda_device_count();
  if (devices > 0) base.cuda_device = comm.local_rank() % devices;
  return base;
}

std::vector<LogZResult> log_z(const Communicator& comm,
                              Engine& engine,
                              const std::vector<Model>& models,
                              const LogZOptions& options) {
  Communicator::Impl& c = comm.impl();
  const auto start = Clock::now();
  LogZPlan plan;
  run_step(
      c,
      [&](Step&) {
        plan.backend = static_cast<int>(engine.kind());
        Writer out;
        out.put(plan.backend).put<std::uint64_t>(models.size());
        for (const Model& model : models) {
          plan.fingerprints.push_back(fingerprint(model));
          plan.units.push_back(engine.log_z_units(model, options));
          out.put(plan.fingerprints.back()).put(plan.units.back());
        }
        return out.take();
      },
      [&](const std::vector<std::string>& all) {
        for (int r = 1; r < c.size; ++r) {
          if (all[r] == all[0]) continue;
          Reader in(all[r], r);
          LogZPlan theirs;
          theirs.backend = in.get<int>();
          const auto n = in.get<std::uint64_t>();
          for (std::uint64_t m = 0; m < n; ++m) {
            theirs.fingerprints.push_back(in.get<std::uint64_t>());
            theirs.units.push_back(in.get<std::uint64_t>());
          }
          throw InvalidArgument(describe_difference(theirs, plan, c.describe(r)));
        }
        return std::string();
      },
      {}, equal_shares(c));

  std::vector<LogZResult> results;
  for (std::size_t m = 0; m < models.size(); ++m) {
    const std::uint64_t units = plan.units[m];
    std::vector<double> weights;
    for (int r = 0; r < c.size; ++r) {
      const auto [begin, end] = units_of(units, c.size, r);
      weights.push_back(static_cast<double>(end - begin));
    }
    std::function<bool(double)> progress;
    if (options.progress)
      progress = [&, m](double f) { return options.progress((m + f) / models.size()); };
    const std::string answer = run_step(
        c,
        [&](Step& step) {
          const auto [begin, end] = units_of(units, c.size, c.rank);
          LogZOptions part_options;
          part_options.max_log2_states = options.max_log2_states;
          part_options.max_seconds = options.max_seconds;  // for this rank's share
          part_options.progress = [&step](double f) { return step.poll(f); };
          Writer out;
          put_part(out, engine.log_z_part(models[m], begin, end, part_options));
          return out.take();
        },
        [&](const std::vector<std::string>& all) {
          std::vector<LogZPart> parts;
          for (int r = 0; r < c.size; ++r) {
            Reader in(all[r], r);
            parts.push_back(get_part(in));
          }
          LogZResult result = combine_log_z_parts(parts);
          result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
          Writer out;
          put_info(out, result);
          return out.take();
        },
        progress, shares_of(weights));
    Reader in(answer, 0);
    results.push_back(get_info(in));
  }
  return results;
}

LogZResult log_z(const Communicator& comm,
                 Engine& engine,
                 const Model& model,
                 const LogZOptions& options) {
  return log_z(comm, engine, std::vector<Model>{model}, options).front();
}

std::vector<int> assign_tasks(const std::vector<double>& costs, int n_ranks) {
  RBM_EXPECTS(n_ranks >= 1, "assign_tasks: ", n_ranks, " ranks");
  for (double cost : costs)
    RBM_EXPECTS(std::isfinite(cost) && cost >= 0, "assign_tasks: a task's cost is ", cost);
  std::vector<std::size_t> order(costs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return costs[a] > costs[b]; });
  std::vector<double> load(n_ranks, 0.0);
  std::vector<int> owner(costs.size(), 0);
  for (std::size_t t : order) {
    const int r = static_cast<int>(std::min_element(load.begin(), load.end()) - load.begin());
    owner[t] = r;
    load[r] += costs[t];
  }
  return owner;
}

std::vector<std::vector<double>> map_tasks(const Communicator& comm,
                                           const std::vector<double>& costs,
                                           const TaskWork& work) {
  Communicator::Impl& c = comm.impl();
  run_step(
      c,
      [&](Step&) {
        Writer out;
        out.put<std::uint64_t>(costs.size());
        for (double cost : costs) out.put(cost);
        return out.take();
      },
      [&](const std::vector<std::string>& all) {
        for (int r = 1; r < c.size; ++r)
          if (all[r] != all[0])
            throw InvalidArgument(c.describe(r) +
                                  " was given other tasks than rank 0: every rank must run the "
                                  "same command on the same data");
        return std::string();
      },
      {}, equal_shares(c));

  const std::vector<int> owner = assign_tasks(costs, c.size);
  std::vector<double> load(c.size, 0.0);
  std::vector<std::size_t> mine;
  for (std::size_t t = 0; t < costs.size(); ++t) {
    load[owner[t]] += costs[t];
    if (owner[t] == c.rank) mine.push_back(t);
  }
  const std::string answer = run_step(
      c,
      [&](Step& step) {
        const std::vector<std::vector<double>> rows =
            work(mine, [&step](double f) { return step.poll(f); });
        RBM_EXPECTS(rows.size() == mine.size(), "map_tasks: the work returned ", rows.size(),
                    " rows for ", mine.size(), " tasks");
        Writer out;
        out.put<std::uint64_t>(rows.size());
        for (std::size_t k = 0; k < rows.size(); ++k) {
          out.put<std::uint64_t>(mine[k]).put<std::uint64_t>(rows[k].size());
          for (double v : rows[k]) out.put(v);
        }
        return out.take();
      },
      [&](const std::vector<std::string>& all) {
        std::vector<std::vector<double>> table(costs.size());
        std::vector<char> filled(costs.size(), 0);
        for (int r = 0; r < c.size; ++r) {
          Reader in(all[r], r);
          const auto n = in.get<std::uint64_t>();
          for (std::uint64_t k = 0; k < n; ++k) {
            const auto task = in.get<std::uint64_t>();
            const auto width = in.get<std::uint64_t>();
            RBM_EXPECTS(task < costs.size() && owner[task] == r && !filled[task], c.describe(r),
                        " returned a row for task ", task, ", not one of its own");
            filled[task] = 1;
            for (std::uint64_t v = 0; v < width; ++v) table[task].push_back(in.get<double>());
          }
        }
        Writer out;
        for (std::size_t t = 0; t < table.size(); ++t) {
          RBM_EXPECTS(filled[t], "map_tasks: no rank returned task ", t);
          out.put<std::uint64_t>(table[t].size());
          for (double v : table[t]) out.put(v);
        }
        return out.take();
      },
      {}, shares_of(load));
  Reader in(answer, 0);
  std::vector<std::vector<double>> table(costs.size());
  for (auto& row : table) {
    const auto width = in.get<std::uint64_t>();
    for (std::uint64_t v = 0; v < width; ++v) row.push_back(in.get<double>());
  }
  return table;
}

}  // namespace rbm::mpi

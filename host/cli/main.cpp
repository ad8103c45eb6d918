// host/cli/main.cpp — the `rbm` command-line tool. Each subcommand lives in its own file
// (host/cli/*.cpp); this one parses, dispatches and turns errors into exit codes.
#include <iostream>
#include <vector>

#include "host/cli/cli.hpp"
#include "host/cli/ranks.hpp"

int main(int argc, char** argv) {
  using namespace rbm::cli;
  const RanksSession ranks_session(&argc, &argv);  // MPI, when mpirun started us
  CLI::App app{"rbm: Restricted Boltzmann Machines with exact log-likelihood (version " +
               std::string(rbm::version()) + ")"};
  app.set_version_flag("--version", std::string("rbm ") + rbm::version());
  app.require_subcommand(1);
  const std::vector<Runner> runners = {add_train(app),   add_eval(app),     add_logz(app),
                                       add_info(app),    add_sample(app),   add_reconstruct(app),
                                       add_denoise(app), add_filters(app),  add_hidden_stats(app),
                                       add_sweep(app),   add_search(app),   add_plot(app),
                                       add_inpaint(app), add_classify(app), add_transform(app),
                                       add_bm(app),      add_dbn(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return ranks::root() ? app.exit(e) : e.get_exit_code();
  }
  if (!ranks::runs_across_ranks(app.get_subcommands().front()->get_name())) return 1;
  try {
    for (const Runner& run : runners) {
      const int status = run();
      if (status >= 0) return status;
    }
  } catch (const rbm::Error& e) {
    return ranks::fail(e);  // "rbm: error: ...", status 1; under mpirun see host/cli/ranks.hpp
  } catch (const std::exception& e) {
    if (ranks::size() > 1) return ranks::fail(e);
    std::cerr << "rbm: unexpected error: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}

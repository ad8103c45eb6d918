// host/cli/main.cpp — the `rbm` command-line tool. Each subcommand lives in its own file
// (host/cli/*.cpp); this one parses, dispatches and turns errors into exit codes.
#include <iostream>
#include <vector>

#include "host/cli/cli.hpp"

int main(int argc, char** argv) {
  using namespace rbm::cli;
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
  CLI11_PARSE(app, argc, argv);
  try {
    for (const Runner& run : runners) {
      const int status = run();
      if (status >= 0) return status;
    }
  } catch (const rbm::Error& e) {
    std::cerr << "rbm: error: " << e.what() << std::endl;
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "rbm: unexpected error: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}

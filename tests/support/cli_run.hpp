// tests/support/cli_run.hpp — runs the `rbm` tool built with the tests (RBM_CLI_PATH) and reads
// its JSON-lines output.
#pragma once
#include <array>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace rbm::test {

struct CliRun {
  int status = 0;
  std::string output;  // stdout and stderr together
};

/// `rbm ARGS` through the shell, stdout and stderr together.
inline CliRun run_cli(const std::string& args) {
  CliRun run;
  const std::string command = std::string(RBM_CLI_PATH) + " " + args + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  std::array<char, 4096> buffer{};
  while (fgets(buffer.data(), buffer.size(), pipe.get())) run.output += buffer.data();
  run.status = pclose(pipe.release());
  return run;
}

/// The last line of `text` that parses as a JSON object.
inline nlohmann::json last_json(const std::string& text) {
  std::istringstream lines(text);
  nlohmann::json last;
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && line.front() == '{') last = nlohmann::json::parse(line);
  return last;
}

}  // namespace rbm::test

// bench/bench_common.hpp — helpers shared by the benchmark programs.
#pragma once
#include <ctime>
#include <string>

namespace rbm::bench {

/// Now, as an ISO-8601 UTC timestamp for the JSON lines' "date" key.
inline std::string utc_date() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace rbm::bench

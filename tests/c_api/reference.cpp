// tests/c_api/reference.cpp — the C API test's run through the C++ API: the same configuration
// file, data spec, backend and thread count, printing log Z and the exact mean log-likelihood of
// the first model in the C program's format, so that the test can compare them bit for bit.
//
// Usage: reference CONFIG.json SPEC
#include <cstdio>
#include <fstream>
#include <rbm/rbm.hpp>
#include <sstream>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s CONFIG.json SPEC\n", argv[0]);
    return 2;
  }
  try {
    std::ifstream in(argv[1]);
    std::stringstream text;
    text << in.rdbuf();
    const rbm::RunConfig run = rbm::run_config_from_json(text.str());
    const rbm::Dataset data = rbm::load_dataset(argv[2]);
    rbm::EngineOptions options;
    options.cpu_threads = 1;
    rbm::Engine engine(rbm::BackendKind::cpu, options);
    const rbm::DataHandle resident = engine.upload(data);
    const std::vector<rbm::Model> models =
        engine.train(rbm::init_models(data, run), rbm::model_configs(run), resident);
    const double log_z = engine.log_z(models.front()).log_z;
    std::printf("log_z %.17g\n", log_z);
    std::printf("mean_log_likelihood %.17g\n",
                engine.mean_log_likelihood(models.front(), resident, log_z));
    return 0;
  } catch (const rbm::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}

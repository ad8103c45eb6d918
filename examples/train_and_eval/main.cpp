// A minimal program using the installed rbm library: make a dataset, upload it, train an RBM,
// then read back exact log Z, the exact log-likelihood and the parameters.
#include <cstdio>
#include <rbm/rbm.hpp>

int main() {
  try {
    const rbm::Dataset data = rbm::make_bars_and_stripes(3);  // 14 patterns, D = 9
    rbm::Engine engine(rbm::BackendKind::auto_);
    const rbm::DataHandle resident = engine.upload(data);

    rbm::TrainConfig config;
    config.cd_steps = 1;
    config.batch_size = 7;
    config.epochs = 500;
    config.learning_rate = 0.1f;
    const rbm::Model initial = rbm::init_model(data, /*n_hidden=*/8, config);
    const rbm::Model model = engine.train(initial, config, resident);

    const double log_z = engine.log_z(model).log_z;
    const double log_likelihood = engine.mean_log_likelihood(model, resident, log_z);
    const double untrained =
        engine.mean_log_likelihood(initial, resident, engine.log_z(initial).log_z);
    std::printf(
        "backend %s: log Z = %.4f, mean log-likelihood %.4f (untrained %.4f, optimum %.4f)\n",
        engine.device_name().c_str(), log_z, log_likelihood, untrained, -2.6391);
    std::printf("W[0][0] = %.4f, b[0] = %.4f, c[0] = %.4f\n", model.weights[0],
                model.visible_bias[0], model.hidden_bias[0]);
    return log_likelihood > untrained ? 0 : 1;  // training must have helped
  } catch (const rbm::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}

/* tests/c_api/bars_and_stripes.c — a C99 program on the installed librbm's C API: trains RBMs on
 * bars-and-stripes with a JSON run configuration, prints exact log Z and the exact mean
 * log-likelihood (compared bit for bit with the C++ API's by the test that runs it), checks
 * save/load and the evaluation, likelihood (exact and AIS) and sampling calls, and checks that
 * bad calls return the right status and a message naming the problem.
 *
 * Usage: bars_and_stripes CONFIG.json SPEC SCRATCH_DIR     (exit status 0 when every check held)
 */
#include <math.h>
#include <rbm/rbm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

/* Prints the error and counts a failure unless `status` is RBM_OK. */
static int ok(int status, const char* what) {
  if (status == RBM_OK) return 1;
  fprintf(stderr, "FAILED: %s: %s: %s\n", what, rbm_status_name(status), rbm_last_error());
  ++failures;
  return 0;
}

static void check(int condition, const char* what) {
  if (condition) return;
  fprintf(stderr, "FAILED: %s\n", what);
  ++failures;
}

/* A bad call must return `expected` with a message containing `needle`. */
static void expect_error(int status, int expected, const char* needle, const char* what) {
  if (status == expected && strstr(rbm_last_error(), needle) != NULL) {
    printf("refused as expected: %s: %s\n", rbm_status_name(status), rbm_last_error());
    return;
  }
  fprintf(stderr, "FAILED: %s: got %s (\"%s\"), expected %s naming '%s'\n", what,
          rbm_status_name(status), rbm_last_error(), rbm_status_name(expected), needle);
  ++failures;
}

static char* read_file(const char* path) {
  FILE* file = fopen(path, "rb");
  char* text = NULL;
  long size;
  if (file == NULL || fseek(file, 0, SEEK_END) != 0 || (size = ftell(file)) < 0 ||
      fseek(file, 0, SEEK_SET) != 0 || (text = malloc((size_t)size + 1)) == NULL ||
      fread(text, 1, (size_t)size, file) != (size_t)size) {
    fprintf(stderr, "cannot read '%s'\n", path);
    free(text);
    text = NULL;
  } else {
    text[size] = '\0';
  }
  if (file != NULL) fclose(file);
  return text;
}

static int epochs_seen = 0;

static int on_epoch(const rbm_epoch_metrics* metrics, size_t n_models, void* user_data) {
  (void)user_data;
  if (n_models >= 1 && metrics[0].epoch == epochs_seen + 1) ++epochs_seen;
  return 0; /* go on */
}

/* Bad calls: NULL handles, wrong sizes, an unknown JSON key or method, a missing file. */
static void check_errors(rbm_engine_t* engine, rbm_data_t* data, rbm_model_t* model, int d, int l) {
  double value = 0;
  float* weights = malloc(sizeof(float) * (size_t)(d * l));
  rbm_model_list_t* models = NULL;
  rbm_model_t* loaded = NULL;
  rbm_likelihood_options likelihood = rbm_likelihood_options_default();
  rbm_likelihood estimate;
  expect_error(rbm_log_z_exact(NULL, model, 0, &value), RBM_ERR_INVALID_ARGUMENT, "engine is NULL",
               "log Z without an engine");
  expect_error(rbm_mean_log_likelihood(engine, NULL, data, 0.0, &value), RBM_ERR_INVALID_ARGUMENT,
               "model is NULL", "log-likelihood without a model");
  expect_error(rbm_model_get_parameters(model, weights, (size_t)(d * l) - 1, NULL, 0, NULL, 0),
               RBM_ERR_INVALID_ARGUMENT, "n_weights", "a weights buffer one element short");
  expect_error(rbm_free_energy(engine, model, data, &value, 1), RBM_ERR_INVALID_ARGUMENT,
               "n_free_energies", "a free-energy buffer of one element");
  expect_error(rbm_train(engine, data, "{\"hidden\": 4, \"epochz\": 3}", NULL, NULL, &models),
               RBM_ERR_INVALID_ARGUMENT, "'epochz'", "an unknown configuration key");
  check(models == NULL, "a failed rbm_train leaves its output NULL");
  expect_error(rbm_log_likelihood(engine, model, NULL, NULL, &estimate), RBM_ERR_INVALID_ARGUMENT,
               "data is NULL", "a log-likelihood without data");
  likelihood.method = "exakt";
  expect_error(rbm_log_likelihood(engine, model, data, &likelihood, &estimate),
               RBM_ERR_INVALID_ARGUMENT, "exakt", "an unknown log-likelihood method");
  expect_error(rbm_model_load("/nonexistent/rbm-c-api.safetensors", &loaded), RBM_ERR_IO,
               "/nonexistent/rbm-c-api.safetensors", "loading a missing file");
  check(loaded == NULL, "a failed rbm_model_load leaves its output NULL");
  free(weights);
}

int main(int argc, char** argv) {
  char* config = NULL;
  char path[4096];
  rbm_engine_t* engine = NULL;
  rbm_data_t* data = NULL;
  rbm_model_list_t* models = NULL;
  rbm_model_list_t* reloaded = NULL;
  rbm_model_t* model = NULL;
  rbm_model_t* model_back = NULL;
  size_t n_samples = 0, n_models = 0, n;
  int n_visible = 0, n_hidden = 0;
  double log_z = 0, log_likelihood = 0, log_z_back = 0, sum = 0;
  double* free_energies = NULL;
  float *weights = NULL, *weights_back = NULL, *probabilities = NULL;
  uint8_t* samples = NULL;
  rbm_sample_options sampling = rbm_sample_options_default();
  rbm_likelihood_options likelihood = rbm_likelihood_options_default();
  rbm_likelihood estimate;

  if (argc != 4) {
    fprintf(stderr, "usage: %s CONFIG.json SPEC SCRATCH_DIR\n", argv[0]);
    return 2;
  }
  config = read_file(argv[1]);
  if (config == NULL) return 2;
  printf("rbm %s\n", rbm_version());

  /* One CPU thread: the C++ API gives the same bits for the same run. */
  if (ok(rbm_engine_create("cpu", 1, 0, &engine), "engine") &&
      ok(rbm_data_from_spec(argv[2], &data), "data") &&
      ok(rbm_engine_upload(engine, data), "upload") &&
      ok(rbm_train(engine, data, config, on_epoch, NULL, &models), "train") &&
      ok(rbm_model_list_size(models, &n_models), "size") &&
      ok(rbm_model_list_get(models, 0, &model), "first model") &&
      ok(rbm_log_z_exact(engine, model, 0, &log_z), "log Z") &&
      ok(rbm_mean_log_likelihood(engine, model, data, log_z, &log_likelihood), "likelihood")) {
    printf("models %zu, epochs reported %d\n", n_models, epochs_seen);
    check(epochs_seen > 0, "the epoch callback ran");
    printf("log_z %.17g\n", log_z);
    printf("mean_log_likelihood %.17g\n", log_likelihood);
  }
  if (failures > 0) goto done;

  /* The mean log-likelihood is −mean F(v) − log Z, summed in the same order. */
  rbm_data_shape(data, &n_samples, &n_visible);
  rbm_model_shape(model, NULL, &n_hidden);
  free_energies = malloc(sizeof(double) * n_samples);
  probabilities = malloc(sizeof(float) * n_samples * (size_t)n_hidden);
  weights = malloc(sizeof(float) * (size_t)(n_visible * n_hidden));
  weights_back = malloc(sizeof(float) * (size_t)(n_visible * n_hidden));
  samples = malloc((size_t)(sampling.n_chains * n_visible));
  if (!free_energies || !probabilities || !weights || !weights_back || !samples) {
    check(0, "host memory");
    goto done;
  }
  if (ok(rbm_free_energy(engine, model, data, free_energies, n_samples), "free energy")) {
    for (n = 0; n < n_samples; ++n) sum += free_energies[n];
    check(-(sum / (double)n_samples) - log_z == log_likelihood,
          "mean log-likelihood = -mean F - log Z");
  }
  /* rbm_log_likelihood: exact gives the same bits; AIS a finite estimate with its error. */
  likelihood.method = "exact";
  if (ok(rbm_log_likelihood(engine, model, data, &likelihood, &estimate), "exact likelihood")) {
    check(strcmp(estimate.method, "exact") == 0, "the exact method is reported");
    check(estimate.log_z == log_z && estimate.mean_log_likelihood == log_likelihood,
          "rbm_log_likelihood (exact) = rbm_log_z_exact + rbm_mean_log_likelihood");
  }
  likelihood.method = "ais";
  likelihood.ais_chains = 16;
  likelihood.ais_betas = 200;
  if (ok(rbm_log_likelihood(engine, model, data, &likelihood, &estimate), "AIS likelihood"))
    check(strcmp(estimate.method, "ais") == 0 && isfinite(estimate.log_z) &&
              estimate.log_z_error > 0 && isfinite(estimate.mean_log_likelihood),
          "AIS reports its method, a finite estimate and its standard error");
  if (ok(rbm_hidden_probabilities(engine, model, data, probabilities, n_samples * (size_t)n_hidden),
         "hidden probabilities"))
    for (n = 0; n < n_samples * (size_t)n_hidden; ++n)
      check(probabilities[n] >= 0.0f && probabilities[n] <= 1.0f, "a probability in [0, 1]");
  sampling.burn_in = 100;
  if (ok(rbm_sample(engine, model, &sampling, samples, (size_t)(sampling.n_chains * n_visible)),
         "sample"))
    for (n = 0; n < (size_t)(sampling.n_chains * n_visible); ++n)
      check(samples[n] <= 1, "a sample bit is 0 or 1");

  /* Save all models to one file, load them back: the same parameters and log Z. */
  snprintf(path, sizeof path, "%s/bas.safetensors", argv[3]);
  if (ok(rbm_model_list_save(models, path), "save") &&
      ok(rbm_model_list_load(path, &reloaded), "load") &&
      ok(rbm_model_list_get(reloaded, 0, &model_back), "first loaded model") &&
      ok(rbm_model_get_parameters(model, weights, (size_t)(n_visible * n_hidden), NULL, 0, NULL, 0),
         "parameters") &&
      ok(rbm_model_get_parameters(model_back, weights_back, (size_t)(n_visible * n_hidden), NULL, 0,
                                  NULL, 0),
         "loaded parameters") &&
      ok(rbm_log_z_exact(engine, model_back, 0, &log_z_back), "loaded log Z")) {
    rbm_model_list_size(reloaded, &n);
    check(n == n_models, "the file holds every model");
    check(memcmp(weights, weights_back, sizeof(float) * (size_t)(n_visible * n_hidden)) == 0,
          "loaded weights equal saved weights");
    check(log_z_back == log_z, "loaded log Z equals log Z");
  }
  check_errors(engine, data, model, n_visible, n_hidden);

done:
  rbm_model_free(model_back);
  rbm_model_free(model);
  rbm_model_list_free(reloaded);
  rbm_model_list_free(models);
  rbm_data_free(data);
  rbm_engine_free(engine);
  free(samples);
  free(weights_back);
  free(weights);
  free(probabilities);
  free(free_energies);
  free(config);
  if (failures > 0) fprintf(stderr, "%d check(s) failed\n", failures);
  return failures > 0 ? 1 : 0;
}

// host/labels.cpp — classification with a model that learned labels as visible units (one unit
// per class after the pixels, with_label_units): exact posteriors from the free energies of the
// label completions, and the classical clamped-Gibbs estimate.
#include <algorithm>
#include <cmath>
#include <mutex>

#include "host/backend.hpp"
#include "host/check.hpp"
#include "rbm/engine.hpp"

namespace rbm {
namespace {

/// Rows per batch of completions: K copies of each row go to the backend at once.
constexpr std::size_t kRowsPerBatch = 1024;

void expect_label_layout(const Model& model, const Dataset& pixels, std::size_t n_classes) {
  pixels.validate();
  RBM_EXPECTS(n_classes > 0, "label units: no classes given");
  RBM_EXPECTS(static_cast<std::size_t>(model.n_visible) == pixels.n_visible + n_classes,
              "label units: the model has D=", model.n_visible, " visible units, but ",
              pixels.n_visible, " data columns plus ", n_classes, " label units make ",
              pixels.n_visible + n_classes);
}

/// Rows [first, first + rows) of `pixels`, each followed by the one-hot code of class k, for
/// k = 0..K−1 (row-major: (n, k) at n·K + k).
Dataset completions(const Dataset& pixels, std::size_t first, std::size_t rows, std::size_t K) {
  const std::size_t D = pixels.n_visible;
  Dataset out;
  out.n_samples = rows * K;
  out.n_visible = static_cast<int>(D + K);
  out.values.assign(out.n_samples * (D + K), 0);
  for (std::size_t n = 0; n < rows; ++n)
    for (std::size_t k = 0; k < K; ++k) {
      std::uint8_t* row = out.values.data() + (n * K + k) * (D + K);
      std::copy_n(pixels.values.data() + (first + n) * D, D, row);
      row[D + k] = 1;
    }
  return out;
}

}  // namespace

std::vector<double> Engine::label_posteriors(const Model& model,
                                             const Dataset& pixels,
                                             const std::vector<int>& classes) {
  const std::lock_guard<std::recursive_mutex> lock(*mutex_);
  model.validate();
  const std::size_t K = classes.size();
  expect_label_layout(model, pixels, K);
  std::vector<double> posteriors(pixels.n_samples * K);
  for (std::size_t first = 0; first < pixels.n_samples; first += kRowsPerBatch) {
    const std::size_t rows = std::min(kRowsPerBatch, pixels.n_samples - first);
    const auto resident = backend_->upload(completions(pixels, first, rows, K));
    const std::vector<double> energy = backend_->free_energy(model, *resident);
    for (std::size_t n = 0; n < rows; ++n) {  // softmax over k of −F
      const double* f = energy.data() + n * K;
      const double lowest = *std::min_element(f, f + K);
      double* p = posteriors.data() + (first + n) * K;
      double sum = 0;
      for (std::size_t k = 0; k < K; ++k) sum += p[k] = std::exp(lowest - f[k]);
      for (std::size_t k = 0; k < K; ++k) p[k] /= sum;
    }
  }
  return posteriors;
}

std::vector<double> Engine::label_activations(const Model& model,
                                              const Dataset& pixels,
                                              const std::vector<int>& classes,
                                              const SampleOptions& options) {
  const std::lock_guard<std::recursive_mutex> lock(*mutex_);
  model.validate();
  const std::size_t K = classes.size(), N = pixels.n_samples, D = pixels.n_visible;
  expect_label_layout(model, pixels, K);
  RBM_EXPECTS(N > 0, "label_activations: no rows given");
  SampleOptions chains = options;
  chains.n_chains = detail::checked_int(N, "label_activations: rows (one chain each)");
  chains.init = Dataset();
  chains.init.n_samples = N;
  chains.init.n_visible = static_cast<int>(D + K);
  chains.init.values.assign(N * (D + K), 0);  // label units start off
  for (std::size_t n = 0; n < N; ++n)
    std::copy_n(pixels.values.data() + n * D, D, chains.init.values.data() + n * (D + K));
  chains.clamped.assign(D + K, 0);
  std::fill_n(chains.clamped.begin(), D, 1);
  const Dataset samples = sample(model, chains);
  std::vector<double> activations(N * K, 0.0);
  const int S = chains.samples_per_chain;
  for (std::size_t n = 0; n < N; ++n)
    for (int j = 0; j < S; ++j)
      for (std::size_t k = 0; k < K; ++k)
        activations[n * K + k] += samples.at(n * S + j, static_cast<int>(D + k)) / double(S);
  return activations;
}

}  // namespace rbm

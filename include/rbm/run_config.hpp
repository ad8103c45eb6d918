// rbm/run_config.hpp — a whole training run as one value: the data, the model shape, how many
// models (a seed sweep), label units and the recipe. It is what `rbm train --config FILE` reads,
// what every model file records in its provenance (`rbm info MODEL --config` prints it) and what
// the C API's rbm_train takes, as JSON: an object with the keys `data`, `hidden`, `models`,
// `labels_as_visible` and every TrainConfig key (rbm::to_json(TrainConfig)); keys left out keep
// their defaults (but "pcd_chains", see rbm::train_config_from_json), an unknown key is an error
// that names it.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "rbm/dataset.hpp"
#include "rbm/export.hpp"
#include "rbm/model.hpp"
#include "rbm/train.hpp"

namespace rbm {

class Engine;

struct RunConfig {
  std::string data;  ///< dataset spec (load_dataset), e.g. "bas:4"; may be empty
  int hidden = 0;    ///< L, the hidden units of every model
  int models = 1;    ///< M models trained together, model m with seed train.seed + m
  /// One-hot label units after the pixels (with_label_units), one per class of the data's labels.
  bool labels_as_visible = false;
  TrainConfig train;
};

/// The JSON object run_config_from_json reads back (keys sorted).
RBM_EXPORT std::string to_json(const RunConfig& config);
/// Reads a JSON object of run-configuration keys. Throws InvalidArgument naming the problem
/// (invalid JSON, an unknown key, a value of the wrong type or out of range).
RBM_EXPORT RunConfig run_config_from_json(const std::string& json);
/// Throws InvalidArgument unless hidden >= 1, models >= 1 and the TrainConfig validates.
RBM_EXPORT void validate(const RunConfig& config);

/// The classes of the run's label units: with labels_as_visible the distinct labels of `data`
/// (the pixels as loaded), sorted; else none. Throws InvalidArgument when label units are asked
/// of data without labels. The run trains on with_label_units(data, classes) when there are any.
RBM_EXPORT std::vector<int> run_label_classes(const RunConfig& config, const Dataset& data);

/// The recipe of each of the run's models: config.train with seed train.seed + m for model m.
RBM_EXPORT std::vector<TrainConfig> model_configs(const RunConfig& config);
/// The run's fresh models for the data they train on (with label units, if any):
/// init_model(data, hidden, model_configs(config)[m]) for each m.
RBM_EXPORT std::vector<Model> init_models(const Dataset& data, const RunConfig& config);
/// What model `model` of a run records as its provenance (Model::provenance, JSON): the run
/// configuration under "config", the model's index and seed, the data's spec and image shape
/// (0×0 when the data are not images), the classes of its label units ("label_classes", with
/// labels_as_visible), the engine's backend and device, the library version. `data` is the
/// data as loaded (the pixels, without label units).
RBM_EXPORT std::string run_provenance(const RunConfig& config,
                                      std::size_t model,
                                      const Dataset& data,
                                      const Engine& engine);

}  // namespace rbm

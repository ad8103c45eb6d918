/* rbm/rbm.h — the C API of librbm (C99; for C, Fortran, Julia, Rust, Python ctypes, ...).
 *
 * The same library as the C++ API (rbm/rbm.hpp), behind opaque handles:
 *   rbm_engine_t      a backend (CPU or CUDA) that trains, evaluates and samples
 *   rbm_data_t        a binary dataset [N][D] in host memory, uploaded to engines
 *   rbm_model_t       one RBM (W [D][L], b [D], c [L], unit types, provenance)
 *   rbm_model_list_t  several models (a training run's models, a file with several models)
 *
 *   #include <rbm/rbm.h>
 *   rbm_data_t* data = NULL; rbm_engine_t* engine = NULL; rbm_model_list_t* models = NULL;
 *   rbm_model_t* model = NULL; double log_z, ll;
 *   if (rbm_data_from_spec("bas:3", &data) != RBM_OK ||
 *       rbm_engine_create("cpu", 1, 0, &engine) != RBM_OK ||
 *       rbm_engine_upload(engine, data) != RBM_OK ||
 *       rbm_train(engine, data, "{\"hidden\": 8, \"epochs\": 200, \"batch_size\": 7}",
 *                 NULL, NULL, &models) != RBM_OK ||
 *       rbm_model_list_get(models, 0, &model) != RBM_OK ||
 *       rbm_log_z_exact(engine, model, 0, &log_z) != RBM_OK ||
 *       rbm_mean_log_likelihood(engine, model, data, log_z, &ll) != RBM_OK)
 *     fprintf(stderr, "rbm: %s\n", rbm_last_error());
 *   rbm_model_free(model); rbm_model_list_free(models);
 *   rbm_engine_free(engine); rbm_data_free(data);
 *
 * Status: every function that can fail returns an int, RBM_OK (0) or an rbm_status error code,
 * and then rbm_last_error() holds a message that names the function and the problem (the
 * argument, value, size or file). Nothing throws or aborts through this API: every C++
 * exception is caught at the boundary. On failure, out-parameters are left NULL / untouched,
 * except where a function says otherwise (rbm_train on RBM_ERR_DIVERGED).
 *
 * Ownership: a handle that a function hands out through an out-parameter belongs to the caller,
 * who frees it with the matching rbm_*_free (each accepts NULL). The library copies what it
 * reads from caller buffers and never keeps a pointer to them; strings it returns belong to the
 * library (static, or held by the handle they came from until that handle is freed or changed).
 *
 * Layout: arrays are row-major and dense; sizes are counts of elements (not bytes). Every
 * buffer comes with its size, which must equal what the call needs exactly; a wrong size or a
 * NULL handle is RBM_ERR_INVALID_ARGUMENT naming the argument.
 *
 * Threads (as rbm/engine.hpp): distinct engines may be used from different threads at once; one
 * engine shared by threads serialises their calls. Data, model and model-list handles may be
 * read by several threads at once (including by calls on different engines); a call that
 * changes one (rbm_data_set_*, rbm_model_set_*, rbm_model_list_append) needs it to itself.
 * rbm_engine_upload may run on one data handle from several threads. rbm_last_error is per
 * thread. Callbacks run on the calling thread and may call rbm functions, the same engine too.
 *
 * Compile: cc prog.c $(pkg-config --cflags --libs rbm), or from CMake: find_package(rbm) and
 * target_link_libraries(prog PRIVATE rbm::rbm).
 */
#ifndef RBM_RBM_H
#define RBM_RBM_H

#include <stddef.h>
#include <stdint.h>

#include "rbm/export.hpp" /* RBM_EXPORT: preprocessor only, valid C */

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Status and errors ------------------------------------------------------------------- */

/** Return codes; the C++ exception each mirrors (rbm/error.hpp) in brackets. */
typedef enum rbm_status {
  RBM_OK = 0,
  RBM_ERR_INVALID_ARGUMENT = 1, /**< a wrong value, size, shape, key or NULL [InvalidArgument] */
  RBM_ERR_IO = 2,               /**< a file is missing, unreadable or corrupt [IoError] */
  RBM_ERR_CUDA = 3,             /**< a CUDA call failed, or no usable device [CudaError] */
  RBM_ERR_OUT_OF_MEMORY = 4,    /**< host or device memory ran out [OutOfMemory] */
  RBM_ERR_NOT_BUILT = 5,        /**< the feature is not in this build (e.g. CUDA) [NotBuilt] */
  RBM_ERR_CANCELLED = 6,        /**< a computation was cancelled [Cancelled] */
  RBM_ERR_DIVERGED = 7,         /**< training blew up (non-finite or huge parameter) [Diverged] */
  RBM_ERR_INTERNAL = 8          /**< an unexpected error: a bug, please report the message */
} rbm_status;

/** The message of this thread's last failed call ("" if none failed yet). Owned by the library,
 *  valid until this thread's next failing call. Never NULL. */
RBM_EXPORT const char* rbm_last_error(void);
/** The name of a status code ("RBM_OK", "RBM_ERR_IO", ...; "unknown" otherwise). Static. */
RBM_EXPORT const char* rbm_status_name(int status);
/** The library version, e.g. "0.1.0". Static. */
RBM_EXPORT const char* rbm_version(void);

/* ---- Handles ----------------------------------------------------------------------------- */

typedef struct rbm_engine rbm_engine_t;
typedef struct rbm_data rbm_data_t;
typedef struct rbm_model rbm_model_t;
typedef struct rbm_model_list rbm_model_list_t;

/* ---- Engines ----------------------------------------------------------------------------- */

/** 1 when this build has the CUDA backend and a usable device is present, else 0. */
RBM_EXPORT int rbm_cuda_available(void);

/** Creates an engine. backend: "auto" (CUDA when rbm_cuda_available(), else the CPU), "cpu" or
 *  "cuda"; cpu_threads: CPU threads (0 = all hardware threads); cuda_device: the device index.
 *  Results repeat bit for bit on one machine with one backend and thread count.
 *  Errors: INVALID_ARGUMENT (unknown backend, NULL), NOT_BUILT ("cuda" in a CPU-only build),
 *  CUDA (no usable device), OUT_OF_MEMORY. Free with rbm_engine_free. */
RBM_EXPORT int rbm_engine_create(const char* backend,
                                 int cpu_threads,
                                 int cuda_device,
                                 rbm_engine_t** engine);
/** Frees an engine (NULL is fine). Data uploaded to it stay valid until their handle is freed.
 *  No other thread may be using the engine. */
RBM_EXPORT void rbm_engine_free(rbm_engine_t* engine);
/** *kind = "cpu" or "cuda" (static). Errors: INVALID_ARGUMENT (NULL). */
RBM_EXPORT int rbm_engine_kind(const rbm_engine_t* engine, const char** kind);
/** *name = the device, e.g. "cpu (2 threads, ...)" (owned by the engine until it is freed).
 *  Errors: INVALID_ARGUMENT (NULL). */
RBM_EXPORT int rbm_engine_device_name(const rbm_engine_t* engine, const char** name);

/* ---- Datasets ---------------------------------------------------------------------------- */

/** A dataset of n_samples binary vectors of length n_visible from a caller's buffer `values`,
 *  [n_samples][n_visible] row-major, n_values = n_samples·n_visible elements, each 0 or 1
 *  (copied). Errors: INVALID_ARGUMENT (NULL, a size that disagrees, an empty shape, a value that
 *  is not 0 or 1, naming its row and column), OUT_OF_MEMORY. Free with rbm_data_free. */
RBM_EXPORT int rbm_data_from_uint8(
    size_t n_samples, int n_visible, const uint8_t* values, size_t n_values, rbm_data_t** data);
/** The same from floats, each exactly 0.0f or 1.0f. */
RBM_EXPORT int rbm_data_from_float(
    size_t n_samples, int n_visible, const float* values, size_t n_values, rbm_data_t** data);
/** A dataset from a spec string, e.g. "bas:4", "mnist:DIR:train:7,8,9", "csv:FILE:limit=1500"
 *  (rbm/dataset.hpp lists them); it keeps the spec as its name. Errors: INVALID_ARGUMENT (a bad
 *  spec, naming the part), IO (a missing or corrupt file, naming it), OUT_OF_MEMORY. */
RBM_EXPORT int rbm_data_from_spec(const char* spec, rbm_data_t** data);
/** Frees a dataset and its copies on every engine it was uploaded to (NULL is fine). */
RBM_EXPORT void rbm_data_free(rbm_data_t* data);

/** Attaches labels, n_labels = n_samples int32 values (copied). Only before the first upload.
 *  Errors: INVALID_ARGUMENT (NULL, wrong size, already uploaded). */
RBM_EXPORT int rbm_data_set_labels(rbm_data_t* data, const int32_t* labels, size_t n_labels);
/** Says the vectors are height×width images (height·width = n_visible; 0, 0 = not images);
 *  recorded in trained models' provenance. Only before the first upload.
 *  Errors: INVALID_ARGUMENT (NULL, a shape that does not multiply to D, already uploaded). */
RBM_EXPORT int rbm_data_set_image_shape(rbm_data_t* data, int height, int width);

/** The shape N×D (either pointer may be NULL). Errors: INVALID_ARGUMENT (NULL data). */
RBM_EXPORT int rbm_data_shape(const rbm_data_t* data, size_t* n_samples, int* n_visible);
/** The image shape, 0×0 when the vectors are not images (either pointer may be NULL). */
RBM_EXPORT int rbm_data_image_shape(const rbm_data_t* data, int* height, int* width);
/** *n_labels = N when the dataset has labels, else 0. */
RBM_EXPORT int rbm_data_n_labels(const rbm_data_t* data, size_t* n_labels);
/** Copies the values into `values`, [N][D] row-major, n_values = N·D.
 *  Errors: INVALID_ARGUMENT (NULL, wrong size). */
RBM_EXPORT int rbm_data_copy_values(const rbm_data_t* data, uint8_t* values, size_t n_values);
/** Copies the labels into `labels`, n_labels = N. Errors: INVALID_ARGUMENT (NULL, wrong size,
 *  no labels). */
RBM_EXPORT int rbm_data_copy_labels(const rbm_data_t* data, int32_t* labels, size_t n_labels);

/** Copies `data` to the engine's backend (device memory for CUDA) once; calls that take both
 *  an engine and data need this first. Uploading again to the same engine does nothing. The
 *  copy lives until `data` is freed (also after the engine is freed).
 *  Errors: INVALID_ARGUMENT (NULL), OUT_OF_MEMORY, CUDA. */
RBM_EXPORT int rbm_engine_upload(rbm_engine_t* engine, rbm_data_t* data);

/* ---- Models ------------------------------------------------------------------------------ */

/** A D×L model with every parameter 0 and Bernoulli units. Errors: INVALID_ARGUMENT (D or L
 *  < 1, NULL), OUT_OF_MEMORY. Free with rbm_model_free. */
RBM_EXPORT int rbm_model_zeros(int n_visible, int n_hidden, rbm_model_t** model);
/** A fresh model for `data` with n_hidden hidden units, as rbm::init_model: W ~ N(0, std²) from
 *  the seed, c = 0, b from the data's pixel means. config_json: a JSON object of training keys
 *  (those of a run configuration but data, hidden, models; e.g. {"seed": 3,
 *  "hidden_type": "spin"}), or NULL for the defaults.
 *  Errors: INVALID_ARGUMENT (NULL data, n_hidden < 1, bad JSON or key, naming it). */
RBM_EXPORT int rbm_model_init(const rbm_data_t* data,
                              int n_hidden,
                              const char* config_json,
                              rbm_model_t** model);
/** A copy of `model` (free it with rbm_model_free). */
RBM_EXPORT int rbm_model_copy(const rbm_model_t* model, rbm_model_t** copy);
/** Frees a model (NULL is fine). */
RBM_EXPORT void rbm_model_free(rbm_model_t* model);

/** The shape D×L (either pointer may be NULL). Errors: INVALID_ARGUMENT (NULL model). */
RBM_EXPORT int rbm_model_shape(const rbm_model_t* model, int* n_visible, int* n_hidden);
/** The unit types: "bernoulli", "spin", "potts" or "potts-off" (static; either pointer may be
 *  NULL). */
RBM_EXPORT int rbm_model_unit_types(const rbm_model_t* model,
                                    const char** visible_type,
                                    const char** hidden_type);
/** Sets the unit types (NULL leaves one unchanged; the visible layer takes bernoulli or spin).
 *  Errors: INVALID_ARGUMENT (unknown or one-hot visible type), nothing changed then. */
RBM_EXPORT int rbm_model_set_unit_types(rbm_model_t* model,
                                        const char* visible_type,
                                        const char* hidden_type);
/** Copies the parameters out: weights W [D][L] row-major (n_weights = D·L), visible_bias b
 *  (n_visible_bias = D), hidden_bias c (n_hidden_bias = L). A NULL buffer is skipped (its size
 *  is then ignored). Errors: INVALID_ARGUMENT (NULL model, a wrong size, naming it). */
RBM_EXPORT int rbm_model_get_parameters(const rbm_model_t* model,
                                        float* weights,
                                        size_t n_weights,
                                        float* visible_bias,
                                        size_t n_visible_bias,
                                        float* hidden_bias,
                                        size_t n_hidden_bias);
/** Copies parameters in (layout and sizes as rbm_model_get_parameters; a NULL buffer leaves
 *  that parameter unchanged). All sizes and values are checked before anything changes.
 *  Errors: INVALID_ARGUMENT (NULL model, a wrong size, a non-finite value, naming it). */
RBM_EXPORT int rbm_model_set_parameters(rbm_model_t* model,
                                        const float* weights,
                                        size_t n_weights,
                                        const float* visible_bias,
                                        size_t n_visible_bias,
                                        const float* hidden_bias,
                                        size_t n_hidden_bias);
/** *json = how the model was made (JSON text: for a trained model the run configuration under
 *  "config", the seed, data, backend; "" or "{}" when unknown). Owned by the model, valid until
 *  it is freed. */
RBM_EXPORT int rbm_model_provenance(const rbm_model_t* model, const char** json);
/** RBM_OK when shapes agree, parameters are finite and the visible units are not one-hot, else
 *  INVALID_ARGUMENT naming the problem. (Every call that uses a model checks this too.) */
RBM_EXPORT int rbm_model_validate(const rbm_model_t* model);

/** Writes one model to a safetensors file, atomically (a temporary file renamed over `path`);
 *  the same files as the `rbm` command's. Errors: INVALID_ARGUMENT (NULL, invalid model), IO. */
RBM_EXPORT int rbm_model_save(const rbm_model_t* model, const char* path);
/** Reads a file holding one model. Errors: IO (missing, corrupt, several models: naming the
 *  file), INVALID_ARGUMENT (NULL), OUT_OF_MEMORY. */
RBM_EXPORT int rbm_model_load(const char* path, rbm_model_t** model);

/* ---- Lists of models --------------------------------------------------------------------- */

/** An empty list (free it with rbm_model_list_free). */
RBM_EXPORT int rbm_model_list_create(rbm_model_list_t** list);
/** Frees a list and the models in it (NULL is fine). */
RBM_EXPORT void rbm_model_list_free(rbm_model_list_t* list);
/** *size = the number of models. */
RBM_EXPORT int rbm_model_list_size(const rbm_model_list_t* list, size_t* size);
/** *model = a copy of model `index` (0-based; free it with rbm_model_free).
 *  Errors: INVALID_ARGUMENT (NULL, index out of range). */
RBM_EXPORT int rbm_model_list_get(const rbm_model_list_t* list, size_t index, rbm_model_t** model);
/** Appends a copy of `model`. */
RBM_EXPORT int rbm_model_list_append(rbm_model_list_t* list, const rbm_model_t* model);
/** Writes every model of the list to one safetensors file (prefixes m0., m1., ... when there
 *  are several), atomically. Errors: INVALID_ARGUMENT (NULL, empty list, invalid model), IO. */
RBM_EXPORT int rbm_model_list_save(const rbm_model_list_t* list, const char* path);
/** Reads every model of a file. Errors: IO, INVALID_ARGUMENT (NULL), OUT_OF_MEMORY. */
RBM_EXPORT int rbm_model_list_load(const char* path, rbm_model_list_t** list);

/* ---- Training ---------------------------------------------------------------------------- */

/** What an epoch reports for one model. */
typedef struct rbm_epoch_metrics {
  int model;                   /**< 0-based index in the run */
  int epoch;                   /**< 1-based */
  double reconstruction_error; /**< mean squared error of the one-step mean reconstruction */
  double seconds;              /**< wall time of the epoch (all models together) */
  int batch_size;              /**< this epoch's values of the schedules */
  int cd_steps;
  double learning_rate;
  double momentum;
  int diverged; /**< 1 when this model blew up in this epoch */
} rbm_epoch_metrics;

/** Called after every epoch with one entry per model (metrics[0 .. n_models-1], valid during the
 *  call only). Return 0 to go on, non-zero to stop training after this epoch (the call that
 *  trains then returns RBM_OK with the models as they are now). */
typedef int (*rbm_epoch_callback)(const rbm_epoch_metrics* metrics,
                                  size_t n_models,
                                  void* user_data);

/** Trains the models of a run configuration and hands them out in *models (free the list).
 *  config_json: what `rbm train --config FILE` reads: a JSON object with "hidden" (required),
 *  "models" (M, default 1: models with seeds seed, seed+1, ...), optional "data" and
 *  "labels_as_visible", and every training key ("cd_steps", "persistent", "batch_size",
 *  "epochs", "optimizer", "learning_rate", "seed", "math": "fp32" | "tf32" | "bf16" (CUDA
 *  GEMMs), "pcd_chains": "hidden" | "visible" (left out: "visible", as in older recipe files),
 *  "tempering_replicas": R (parallel tempering as PCD's negative phase), ...; README's
 *  "Training options"). Keys left out keep their defaults; an unknown key is an error.
 *
 *  `data` must be uploaded to `engine`; or NULL: then the "data" spec is loaded and uploaded
 *  for this call. With both, the spec must be the data's own (rbm_data_from_spec) or left out.
 *  With "labels_as_visible": true the models get one visible unit per class after the pixels
 *  (the data needs labels; the data with these units is uploaded for this call). The models
 *  record the run configuration in their provenance, as the `rbm` command's do. on_epoch may
 *  be NULL; user_data is passed to it untouched.
 *
 *  Errors: INVALID_ARGUMENT (NULL, bad JSON, an unknown key or bad value naming it, data not
 *  uploaded to this engine, batch larger than the data, "math": "bf16" on the CPU),
 *  IO (the "data" spec's file), OUT_OF_MEMORY, CUDA, DIVERGED: then *models holds
 *  the models as they were after the last healthy epoch (free the list); on every other error
 *  *models is NULL. */
RBM_EXPORT int rbm_train(rbm_engine_t* engine,
                         const rbm_data_t* data,
                         const char* config_json,
                         rbm_epoch_callback on_epoch,
                         void* user_data,
                         rbm_model_list_t** models);
/** The same, starting from given models (all of one shape, e.g. loaded or from rbm_model_init)
 *  instead of fresh ones; model m trains with seed seed + m. "hidden" and "models", if given,
 *  must match the list (with "labels_as_visible", the models have the label units too). The
 *  input list is not changed. */
RBM_EXPORT int rbm_train_models(rbm_engine_t* engine,
                                const rbm_data_t* data,
                                const rbm_model_list_t* initial,
                                const char* config_json,
                                rbm_epoch_callback on_epoch,
                                void* user_data,
                                rbm_model_list_t** models);

/* ---- Evaluation -------------------------------------------------------------------------- */

/** Exact log Z by enumerating the smaller layer's 2^min(D,L) states (float64 accumulation; a
 *  one-hot hidden layer sums its L or L+1 states). max_log2_states: refuse models that need
 *  more than 2^max_log2_states states (at most 62); 0 = the library's default limit instead, a
 *  time budget of 600 s estimated from the backend's enumeration rate.
 *  Errors: INVALID_ARGUMENT (NULL, invalid model, beyond the limit: naming the estimate),
 *  CUDA, OUT_OF_MEMORY. */
RBM_EXPORT int rbm_log_z_exact(rbm_engine_t* engine,
                               const rbm_model_t* model,
                               int max_log2_states,
                               double* log_z);
/** Mean log-likelihood of `data` (uploaded to `engine`): mean(−F(v)) − log_z, given log Z (e.g.
 *  from rbm_log_z_exact). Errors: INVALID_ARGUMENT (NULL, non-finite log_z, D mismatch, data not
 *  uploaded to this engine), CUDA, OUT_OF_MEMORY. */
RBM_EXPORT int rbm_mean_log_likelihood(rbm_engine_t* engine,
                                       const rbm_model_t* model,
                                       const rbm_data_t* data,
                                       double log_z,
                                       double* mean_log_likelihood);
/** How rbm_log_likelihood obtains log Z (defaults in brackets). */
typedef struct rbm_likelihood_options {
  /** "auto": exact log Z when within the exact limits below, else AIS; "exact": exact, refused
   *  beyond the limits; "ais": annealed importance sampling (Salakhutdinov & Murray 2008) from
   *  the base-rate model of `data`. ("auto") */
  const char* method;
  double max_seconds;  /**< exact: at most this estimated time; 0 = not given (0) */
  int max_log2_states; /**< exact: at most 2^N states; 0 = not given (0). With neither limit
                          given, the limit is a time budget of 600 s. */
  int ais_chains;      /**< AIS: independent annealing runs, >= 2 (100) */
  int ais_betas;       /**< AIS: intermediate distributions (10000) */
  uint64_t ais_seed;   /**< AIS: the runs repeat exactly for one seed (1) */
} rbm_likelihood_options;

/** A log-likelihood estimate. */
typedef struct rbm_likelihood {
  const char* method;         /**< "exact" or "ais" (static) */
  double mean_log_likelihood; /**< mean(−F(v)) − log_z (with AIS an estimate, high on average) */
  double log_z;               /**< exact, or the AIS estimate */
  double log_z_error;         /**< AIS: the standard error of log_z; 0 when exact */
} rbm_likelihood;

/** The defaults above. */
RBM_EXPORT rbm_likelihood_options rbm_likelihood_options_default(void);
/** Mean log-likelihood of `data` (uploaded to `engine`) under `model`, with log Z exact or by
 *  AIS as options say (NULL = the defaults). *result is written only on success.
 *  Errors: INVALID_ARGUMENT (NULL, invalid model, D mismatch, data not uploaded, bad option
 *  naming it, "exact" beyond its limits), CANCELLED, CUDA, OUT_OF_MEMORY. */
RBM_EXPORT int rbm_log_likelihood(rbm_engine_t* engine,
                                  const rbm_model_t* model,
                                  const rbm_data_t* data,
                                  const rbm_likelihood_options* options,
                                  rbm_likelihood* result);
/** Free energies F(v) = −log Σ_h e^{−E(v,h)} of every sample, in float64, into
 *  free_energies (n_free_energies = N). Errors as rbm_mean_log_likelihood, and a wrong size. */
RBM_EXPORT int rbm_free_energy(rbm_engine_t* engine,
                               const rbm_model_t* model,
                               const rbm_data_t* data,
                               double* free_energies,
                               size_t n_free_energies);
/** Hidden probabilities p(h_j on | v) of every sample (the features), [N][L] row-major,
 *  n_probabilities = N·L (for a one-hot layer the softmax over the row). Errors as
 *  rbm_free_energy. */
RBM_EXPORT int rbm_hidden_probabilities(rbm_engine_t* engine,
                                        const rbm_model_t* model,
                                        const rbm_data_t* data,
                                        float* probabilities,
                                        size_t n_probabilities);
/** Mean squared error between v and its mean-field reconstruction p(v | p(h|v)). */
RBM_EXPORT int rbm_reconstruction_error(rbm_engine_t* engine,
                                        const rbm_model_t* model,
                                        const rbm_data_t* data,
                                        double* error);

/* ---- Sampling ---------------------------------------------------------------------------- */

/** Free-running block-Gibbs chains started from uniform random states. */
typedef struct rbm_sample_options {
  int n_chains;          /**< independent chains (16) */
  int burn_in;           /**< Gibbs sweeps before the first kept sample (1000) */
  int thinning;          /**< sweeps between kept samples (1) */
  int samples_per_chain; /**< samples kept per chain (1) */
  float beta;            /**< inverse temperature: samples from exp(−β E) (1) */
  uint64_t seed;         /**< the chains repeat exactly for one seed (1) */
} rbm_sample_options;

/** The defaults above. */
RBM_EXPORT rbm_sample_options rbm_sample_options_default(void);
/** Draws n_chains·samples_per_chain visible vectors into `samples`, chain-major
 *  [n_chains][samples_per_chain][D], n_samples = that many·D elements, each 0 or 1 (for spin
 *  units 1 is +1 and 0 is −1). options NULL = the defaults.
 *  Errors: INVALID_ARGUMENT (NULL, invalid model, bad option naming it, wrong size), CUDA,
 *  OUT_OF_MEMORY. */
RBM_EXPORT int rbm_sample(rbm_engine_t* engine,
                          const rbm_model_t* model,
                          const rbm_sample_options* options,
                          uint8_t* samples,
                          size_t n_samples);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* RBM_RBM_H */

// host/data/data_view.hpp — the checks of caller-owned arrays of data bits (rbm::DataView) that
// the host conversion (dataset_from) and the CUDA backend's device upload share.
#pragma once
#include <cstddef>
#include <string>

#include "rbm/dataset.hpp"

namespace rbm::detail {

/// Bytes per element of `type`.
std::size_t element_size(ElementType type);

/// Throws InvalidArgument unless `view` describes a non-empty array (non-null data, N > 0,
/// D > 0) whose size in bytes fits in memory.
void check_view_shape(const DataView& view);

/// "dataset 'name'" or "dataset", for messages.
std::string view_label(const DataView& view);

}  // namespace rbm::detail

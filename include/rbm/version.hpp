// rbm/version.hpp
#pragma once
#include "rbm/export.hpp"

namespace rbm {
/// The library version, e.g. "0.1.0".
RBM_EXPORT const char* version();
}  // namespace rbm

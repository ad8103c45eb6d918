// rbm/rbm.hpp — umbrella header for the rbm library.
#pragma once
#include "rbm/boltzmann.hpp"
#include "rbm/checkpoint.hpp"
#include "rbm/dataset.hpp"
#include "rbm/dbn.hpp"
#include "rbm/engine.hpp"
#include "rbm/error.hpp"
#include "rbm/io.hpp"
#include "rbm/logz.hpp"
#include "rbm/model.hpp"
#include "rbm/pictures.hpp"
#include "rbm/train.hpp"
#include "rbm/version.hpp"

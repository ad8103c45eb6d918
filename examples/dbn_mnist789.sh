#!/usr/bin/env bash
# A two-layer deep belief net on MNIST digits 7, 8, 9 (binarised at 0.5): 784 → 256 → 256, the
# first layer by CD-1, the top layer by PCD-1 (learning rate decaying from 0.01 to 0.001) on one
# sample of the first layer's hidden units per image. Generated digits (Gibbs in the top RBM, then one downward pass; the bottom drawn as
# p(v | h)) beside those of the first RBM alone, and the top layer's features of a few images.
# Exact log-likelihoods and the bound need log Z of 2^256 states here, so none are computed.
#   bash examples/dbn_mnist789.sh [--quick]
# Reads RBM_DATA_DIR/mnist; writes into build/examples/dbn_mnist789: dbn.safetensors,
# samples_dbn.png, samples_rbm.png (and their .jsonl), features_l2.csv.
source "$(dirname "${BASH_SOURCE[0]}")/example_common.sh"
out="$(example_output dbn_mnist789)"
mnist="$data_dir/mnist"
require_data "$mnist/train-images-idx3-ubyte.gz"
train="mnist:$mnist:train:7,8,9" few="mnist:$mnist:train:7,8,9:limit=100"
hidden=256 epochs=10 top_epochs=20 chains=64 burn_in=1000
if [ "$quick" = 1 ]; then
  train="$train:limit=2000"
  hidden=64 epochs=1 top_epochs=2 chains=16 burn_in=100
fi

"$RBM" dbn train --data "$train" --cd 1 --batch 100 --optimizer momentum --lr 0.05 \
  --epochs "$epochs" --seed 1 $backend --out "$out/dbn.safetensors" --layer "$hidden" \
  --layer "{\"hidden\": $hidden, \"persistent\": true, \"n_chains\": 100, \"learning_rate\": \"exp:0.01:0.001\", \"epochs\": $top_epochs}"

for layers in 2 1; do
  name=dbn
  [ "$layers" = 1 ] && name=rbm
  "$RBM" dbn sample --model "$out/dbn.safetensors" --layers "$layers" --chains "$chains" \
    --burn-in "$burn_in" --seed 2 --mean --scale 2 --png "$out/samples_$name.png" $backend
done
"$RBM" dbn transform --model "$out/dbn.safetensors" --data "$few" --layer 2 \
  --out "$out/features_l2.csv" $backend
echo "pictures and numbers in $out"

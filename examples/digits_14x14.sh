#!/usr/bin/env bash
# 14×14 digits: a 196×50 RBM on the scikit-learn digits (8×8 → 14×14 by bilinear interpolation,
# binarised at 0.5), CD-1: training and test reconstruction error per epoch, reconstructions of
# test digits, the 50 filters, denoising at flip rates 0.1 / 0.3 / 0.5 with 5 Gibbs steps, and
# samples after burn-in.
#   bash examples/digits_14x14.sh [--quick]
# Reads RBM_DATA_DIR/digits/digits.csv.gz; writes into build/examples/digits_14x14.
source "$(dirname "${BASH_SOURCE[0]}")/example_common.sh"
out="$(example_output digits_14x14)"
digits="$data_dir/digits/digits.csv.gz"
require_data "$digits"
spec="csv:$digits:resize=14x14:threshold=0.5"
train="$spec:limit=1500" test="$spec:skip=1500"  # 1500 training, 297 test digits
epochs=100 burn_in=1000
[ "$quick" = 1 ] && epochs=10 burn_in=100

"$RBM" train --data "$train" --valid "$test" --hidden 50 --cd 1 --epochs "$epochs" --batch 10 \
  --lr 0.05 --momentum 0.5 --seed 1 --eval-every 1 --csv --quiet $backend \
  --out "$out/model.safetensors" >/dev/null
"$RBM" reconstruct --model "$out/model.safetensors" --data "$test" --count 16 --scale 3 \
  --png "$out/reconstructions.png" $backend
"$RBM" filters --model "$out/model.safetensors" --order-by "$train" --scale 3 \
  --png "$out/filters.png" $backend
"$RBM" denoise --model "$out/model.safetensors" --data "$test" --flip 0.1,0.3,0.5 --steps 5 \
  --show 6 --scale 3 --png "$out/denoise.png" $backend
"$RBM" sample --model "$out/model.safetensors" --chains 25 --burn-in "$burn_in" --scale 3 \
  --png "$out/samples.png" $backend
python3 - "$out/model.metrics.jsonl" <<'PY' || true
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
last = rows[-1]
print(f"after {last['epoch']} epochs: reconstruction error train {last['reconstruction_error']:.4f},"
      f" test {last['valid_reconstruction_error']:.4f}, free-energy gap {last['free_energy_gap']:.3f}")
PY
echo "pictures and numbers in $out"

#!/usr/bin/env bash
# MNIST 7/8/9 study: digits 7, 8, 9 (binarised at 0.5). Exact log-likelihood against the number of
# hidden units L = 2 … 24, 5 seeds each (mean ± std, training and test data), where the original
# Python study stopped at L = 8 (−147 ± 1); a one-hot (Potts) hidden layer of 55 units and spin
# units as that study compared them; generated digits at β = 1 and β = 20 ("weights multiplied by 20");
# the hidden-state statistics per digit of an L = 5 model (the hidden units as a code for the digit).
#   bash examples/mnist789_study.sh [--quick]
# Reads RBM_DATA_DIR/mnist; writes into build/examples/mnist789_study.
source "$(dirname "${BASH_SOURCE[0]}")/example_common.sh"
out="$(example_output mnist789_study)"
mnist="$data_dir/mnist"
require_data "$mnist/train-images-idx3-ubyte.gz"
train="mnist:$mnist:train:7,8,9" test="mnist:$mnist:test:7,8,9"
sizes="2:24:2" seeds=5 epochs=20 potts_epochs=50
if [ "$quick" = 1 ]; then
  train="$train:limit=2000" test="$test:limit=500"
  sizes="2,4" seeds=2 epochs=1 potts_epochs=2
fi
common=(--optimizer rmsprop --momentum 0 --lr 0.005 --batch 100 --cd 1 --seed 1 $backend)

# Log-likelihood vs hidden units (one call per L trains its seeds together).
"$RBM" sweep --data "$train" --test "$test" --sizes "$sizes" --seeds "$seeds" \
  --epochs "$epochs" "${common[@]}" --csv --png "$out/loglik_vs_hidden.png"

# Three kinds of hidden layer at comparable budgets: Bernoulli, one-hot (Potts), spin.
"$RBM" train --data "$train" --hidden 8 --epochs "$epochs" "${common[@]}" --quiet \
  --out "$out/l8.safetensors" >/dev/null
"$RBM" train --data "$train" --hidden 55 --hidden-type potts --epochs "$potts_epochs" \
  --optimizer rmsprop --momentum switch:0.2:0.5:0.6 --lr linear:0.01:0.001 --batch 100 --cd 1 \
  --seed 1 $backend --quiet --out "$out/l55_potts.safetensors" >/dev/null
"$RBM" train --data "$train" --hidden 8 --visible-type spin --hidden-type spin \
  --epochs "$epochs" "${common[@]}" --quiet --out "$out/l8_spin.safetensors" >/dev/null
for model in l8 l55_potts l8_spin; do
  for split in train test; do
    spec="$train"
    [ "$split" = test ] && spec="$test"
    "$RBM" eval --model "$out/$model.safetensors" --data "$spec" --json $backend |
      python3 -c "import json,sys; r=json.loads(sys.stdin.readlines()[-1]); print(json.dumps({'model': '$model', 'split': '$split', 'log_likelihood': r['log_likelihood'], 'log_z': r['log_z'], 'states': r['states']}))"
  done
done | tee "$out/unit_types.jsonl"

# Generated digits at β = 1 and β = 20, from random starts.
for model in l8 l55_potts; do
  for beta in 1 20; do
    "$RBM" sample --model "$out/$model.safetensors" --chains 16 --burn-in 1000 --beta "$beta" \
      --scale 2 --png "$out/samples_${model}_beta$beta.png" $backend
  done
done

# Hidden units and joint hidden states per digit, L = 5 (the hidden units as a code for the digit).
"$RBM" train --data "$train" --hidden 5 --epochs "$epochs" "${common[@]}" --quiet \
  --out "$out/l5.safetensors" >/dev/null
"$RBM" hidden-stats --model "$out/l5.safetensors" --data "$train" --top 8 \
  --png "$out/hidden_stats_l5.png" $backend
echo "pictures and numbers in $out"

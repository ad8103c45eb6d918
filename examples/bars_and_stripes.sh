#!/usr/bin/env bash
# Bars-and-stripes 4×4, the canonical exactly solvable benchmark: exact log-likelihood per epoch
# of CD-1, CD-10 and PCD-1 against the optimum log(1/30), and PCD's divergence at a large
# learning rate with few chains (Fischer & Igel 2010) next to four cures: a decaying learning
# rate, a smaller rate with more chains, Adam with a small rate, and parallel tempering as the
# negative phase (each chain a ladder of 5 levels, β from 0.5 to 1; Desjardins et al. 2010) at
# the diverging run's own rate and chains.
#   bash examples/bars_and_stripes.sh [--quick]
# Writes into build/examples/bars_and_stripes: curves.png (all runs), curves_pcd.png, and per run
# NAME.safetensors, NAME.metrics.jsonl, NAME.loglik.png. Without PLplot the pictures are skipped
# and their numbers written (curves.jsonl, curves_pcd.jsonl).
source "$(dirname "${BASH_SOURCE[0]}")/example_common.sh"
out="$(example_output bars_and_stripes)"
epochs=3000 every=100
[ "$quick" = 1 ] && epochs=300 every=30

runs=(
  "cd1|--cd 1 --lr 0.1"
  "cd10|--cd 10 --lr 0.1"
  "pcd1|--pcd 1 --lr 0.1"
  "pcd1_decaying_lr|--pcd 1 --lr exp:0.1:0.001"
  "pcd1_more_chains|--pcd 1 --lr 0.02 --chains 100"
  "pcd1_adam|--pcd 1 --optimizer adam --lr 0.003"
  "pcd1_tempering|--pcd 1 --pt 5 --pt-min-beta 0.5 --lr 0.1"
)
for run in "${runs[@]}"; do
  name="${run%%|*}"
  # shellcheck disable=SC2086
  "$RBM" train --data bas:4 --hidden 16 ${run#*|} --batch 10 --epochs "$epochs" --seed 1 \
    --eval-every "$every" --quiet $backend --out "$out/$name.safetensors" >/dev/null
  "$RBM" eval --model "$out/$name.safetensors" --data bas:4 $backend |
    sed "s/^/$name: /"
done
"$RBM" plot --y train_ll --y-label "exact mean log-likelihood (nats)" \
  --title "bars-and-stripes 4x4, 16 hidden units" --reference "-3.4012:optimum log(1/30)" \
  --series "CD-1=$out/cd1.metrics.jsonl" --series "CD-10=$out/cd10.metrics.jsonl" \
  --series "PCD-1=$out/pcd1.metrics.jsonl" --png "$out/curves.png"
"$RBM" plot --y train_ll --y-label "exact mean log-likelihood (nats)" \
  --title "PCD-1: divergence at lr 0.1 with 10 chains, and its cures" \
  --reference "-3.4012:optimum log(1/30)" \
  --series "lr 0.1, 10 chains=$out/pcd1.metrics.jsonl" \
  --series "lr 0.1 -> 0.001 (exp)=$out/pcd1_decaying_lr.metrics.jsonl" \
  --series "lr 0.02, 100 chains=$out/pcd1_more_chains.metrics.jsonl" \
  --series "Adam, lr 0.003=$out/pcd1_adam.metrics.jsonl" \
  --series "lr 0.1, 10 chains, tempering (5 levels)=$out/pcd1_tempering.metrics.jsonl" \
  --png "$out/curves_pcd.png"
echo "pictures and numbers in $out"

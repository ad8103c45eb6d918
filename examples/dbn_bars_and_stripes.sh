#!/usr/bin/env bash
# A two-layer deep belief net on bars-and-stripes 4×4 (30 patterns) against its first RBM alone:
# how often each generates a valid pattern (a bar or stripe image), counted over many samples
# with the binomial standard error; the net's variational lower bound on the log-likelihood
# (exact sum over h, and its sampling estimate with standard error), the net's exact
# log-likelihood and the first RBM's exact log-likelihood. The second layer starts from the first
# transposed (tied weights: there the bound equals the first RBM's log-likelihood) and trains on
# 100 samples of the first layer's hidden units per pattern, with a decaying learning rate: that
# start is already good, and a large constant rate's PCD noise would first knock it away.
#   bash examples/dbn_bars_and_stripes.sh [--quick]
# Writes into build/examples/dbn_bars_and_stripes: dbn.safetensors, samples_dbn.png,
# samples_rbm.png (the first 64 samples of each; all of them in the .jsonl), bound.jsonl and
# summary.jsonl.
source "$(dirname "${BASH_SOURCE[0]}")/example_common.sh"
out="$(example_output dbn_bars_and_stripes)"
epochs=2000 top_epochs=2000 lr=0.003 top_lr=exp:0.001:0.00003 per_row=100 samples=10000
if [ "$quick" = 1 ]; then
  epochs=300 top_epochs=100 lr=0.01 per_row=20 samples=2000
fi

"$RBM" dbn train --data bas:4 --pcd 1 --chains 100 --batch 10 --optimizer adam --lr "$lr" \
  --epochs "$epochs" --seed 1 $backend --quiet --out "$out/dbn.safetensors" --layer 16 \
  --layer "{\"hidden\": 16, \"input\": \"samples:$per_row\", \"init_from_below\": true, \"epochs\": $top_epochs, \"learning_rate\": \"$top_lr\"}" \
  >/dev/null

{
  "$RBM" dbn eval --model "$out/dbn.safetensors" --data bas:4 --exact --json $backend
  "$RBM" dbn eval --model "$out/dbn.safetensors" --data bas:4 --samples 1000 --json $backend
} >"$out/bound.jsonl"

# The same number of independent samples from the net and from its first RBM alone, each
# after 1000 Gibbs sweeps of its top RBM.
for layers in 2 1; do
  name=dbn
  [ "$layers" = 1 ] && name=rbm
  "$RBM" dbn sample --model "$out/dbn.safetensors" --layers "$layers" --chains "$samples" \
    --burn-in 1000 --seed 2 --match bas:4 --png "$out/samples_$name.png" --show 64 --scale 8 \
    --json $backend
done >"$out/sampled.jsonl"

python3 - "$out" <<'EOF'
import json, sys
out = sys.argv[1]
exact, sampled = [json.loads(l) for l in open(f"{out}/bound.jsonl")]
dbn, rbm = [json.loads(l) for l in open(f"{out}/sampled.jsonl")]
summary = {
    "dbn_valid_fraction": dbn["fraction"], "dbn_valid_se": dbn["standard_error"], "dbn_valid": dbn["matches"],
    "rbm_valid_fraction": rbm["fraction"], "rbm_valid_se": rbm["standard_error"], "rbm_valid": rbm["matches"],
    "samples": dbn["samples"],
    "bound_exact": exact["bound"], "bound_estimate": sampled["bound"], "bound_se": sampled["standard_error"],
    "bound_samples_per_row": sampled["samples_per_row"],
    "dbn_exact_log_likelihood": exact["exact_log_likelihood"],
    "first_rbm_exact_log_likelihood": exact["first_layer_log_likelihood"],
}
with open(f"{out}/summary.jsonl", "w") as f:
    f.write(json.dumps(summary) + "\n")
n = summary["samples"]
print(f"valid bars-and-stripes patterns among {n} samples:")
print(f"  two-layer DBN     {dbn['matches']:6d}  ({dbn['fraction']:.4f} ± {dbn['standard_error']:.4f})")
print(f"  first RBM alone   {rbm['matches']:6d}  ({rbm['fraction']:.4f} ± {rbm['standard_error']:.4f})")
print("mean log-likelihood of the 30 patterns (nats; optimum log(1/30) = -3.4012):")
print(f"  DBN variational bound   {exact['bound']:.4f} exact over h, "
      f"{sampled['bound']:.4f} ± {sampled['standard_error']:.4f} from {sampled['samples_per_row']} samples per row")
print(f"  DBN exact               {exact['exact_log_likelihood']:.4f}")
print(f"  first RBM alone, exact  {exact['first_layer_log_likelihood']:.4f}")
EOF
echo "pictures and numbers in $out"

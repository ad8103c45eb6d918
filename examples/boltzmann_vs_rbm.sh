#!/usr/bin/env bash
# A general Boltzmann machine and an RBM of the same size on bars-and-stripes 3×3 (14 patterns,
# optimum log(1/14) = −2.64): 9 visible and 6 hidden units each, the same optimizer, learning-
# rate schedule, batch, persistent chains and initial visible–hidden weights. The machine's
# visible–visible and hidden–hidden couplings make it more expressive, but its clamped phase
# must be sampled and its sweeps are sequential; the RBM's posterior is exact and its Gibbs steps
# are two block updates. Exact log-likelihood per epoch and per second of training, for both.
#   bash examples/boltzmann_vs_rbm.sh [--quick]
# Writes into build/examples/boltzmann_vs_rbm: bm.metrics.jsonl, rbm.metrics.jsonl (epoch,
# train_ll, train_seconds), loglik_vs_epoch.png, loglik_vs_seconds.png (when PLplot is built)
# and summary.jsonl (final log-likelihood and mean seconds per epoch of each).
source "$(dirname "${BASH_SOURCE[0]}")/example_common.sh"
out="$(example_output boltzmann_vs_rbm)"
epochs=5000 every=25
[ "$quick" = 1 ] && epochs=400 every=20
common=(--data bas:3 --hidden 6 --pcd 1 --chains 100 --batch 14 --optimizer adam
        --lr exp:0.02:0.002 --epochs "$epochs" --seed 1 --eval-every "$every" --quiet)

# The Boltzmann machine (CPU only): its metrics carry training seconds without evaluation time.
"$RBM" bm train "${common[@]}" --graph full --clamped-sweeps 5 --out "$out/bm.safetensors" >/dev/null

# The RBM: per-epoch wall times from its --json epoch events, joined to its evaluations.
"$RBM" train "${common[@]}" --backend cpu --json --out "$out/rbm.safetensors" \
  --curves "$out/rbm_raw" >"$out/rbm_events.jsonl"
python3 - "$out" <<'EOF'
import json, sys
out = sys.argv[1]
elapsed, seconds = 0.0, {}
for line in open(f"{out}/rbm_events.jsonl"):
    row = json.loads(line)
    if row.get("event") == "epoch":
        elapsed += row["seconds"]
        seconds[row["epoch"]] = elapsed
with open(f"{out}/rbm.metrics.jsonl", "w") as f:
    for line in open(f"{out}/rbm_raw.metrics.jsonl"):
        row = json.loads(line)
        f.write(json.dumps({"event": "eval", "epoch": row["epoch"], "train_ll": row["train_ll"],
                            "train_seconds": seconds[row["epoch"]]}) + "\n")
rows = {name: [json.loads(l) for l in open(f"{out}/{name}.metrics.jsonl")] for name in ("bm", "rbm")}
with open(f"{out}/summary.jsonl", "w") as f:
    for name, label in (("bm", "Boltzmann machine (full graph)"), ("rbm", "RBM")):
        last = rows[name][-1]
        record = {"model": label, "epochs": last["epoch"], "final_train_ll": last["train_ll"],
                  "best_train_ll": max(r["train_ll"] for r in rows[name]),
                  "seconds_per_epoch": last["train_seconds"] / last["epoch"]}
        f.write(json.dumps(record) + "\n")
        print(f"{label}: exact log-likelihood {record['final_train_ll']:.4f} after {record['epochs']} epochs "
              f"(best {record['best_train_ll']:.4f}), {1e3 * record['seconds_per_epoch']:.3f} ms per epoch")
print("optimum log(1/14) = -2.6391")
EOF

# plot X LABEL NAME: log-likelihood of both against X (without PLplot, the numbers only).
plot() {
  "$RBM" plot --x "$1" --x-label "$2" --y train_ll --y-label "exact mean log-likelihood (nats)" \
    --title "bars-and-stripes 3x3: Boltzmann machine vs RBM, 9 + 6 units" \
    --reference "-2.6391:optimum log(1/14)" \
    --series "Boltzmann machine=$out/bm.metrics.jsonl" --series "RBM=$out/rbm.metrics.jsonl" \
    --png "$out/$3.png" >/dev/null
}
plot epoch epoch loglik_vs_epoch
plot train_seconds "training seconds (evaluation excluded)" loglik_vs_seconds
echo "pictures and numbers in $out"

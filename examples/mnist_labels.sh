#!/usr/bin/env bash
# MNIST with its labels as visible units: 784 pixels and 10 one-hot label units trained together
# (L = 100 and 500 hidden units). Test accuracy from the exact p(label | pixels) — the free
# energies of the ten label completions — and from clamped Gibbs sampling (pixels held, label
# units sampled, as one would run a general Boltzmann machine); inpainting (the top half of test
# digits held, the bottom half sampled); class-conditional samples (the label units held).
#   bash examples/mnist_labels.sh [--quick]
# Reads RBM_DATA_DIR/mnist; writes into build/examples/mnist_labels.
source "$(dirname "${BASH_SOURCE[0]}")/example_common.sh"
out="$(example_output mnist_labels)"
mnist="$data_dir/mnist"
require_data "$mnist/train-images-idx3-ubyte.gz"
train="mnist:$mnist:train" test="mnist:$mnist:test"
sizes="100 500" epochs=20 classes="0 1 2 3 4 5 6 7 8 9"
if [ "$quick" = 1 ]; then
  train="$train:limit=1000" test="$test:limit=100" sizes="16" epochs=1 classes="3"
fi
common=(--labels-as-visible --cd 1 --lr 0.05 --momentum 0.5 --batch 100 --seed 1 $backend)

: >"$out/accuracy.jsonl"
for L in $sizes; do
  model="$out/l$L.safetensors"
  "$RBM" train --data "$train" --hidden "$L" --epochs "$epochs" "${common[@]}" --quiet \
    --out "$model" >/dev/null
  "$RBM" classify --model "$model" --data "$test" --method both --burn-in 100 --samples 20 \
    --confusion "$out/confusion_l$L.png" --json $backend |
    python3 -c "
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    if r.get('event') == 'classify':
        print(json.dumps({'hidden': $L, 'epochs': $epochs, 'method': r['method'],
                          'accuracy': r['accuracy'], 'rows': r['n_samples'],
                          'seconds': r['seconds']}))" | tee -a "$out/accuracy.jsonl"
done

# The largest model completes the bottom half of test digits and draws digits of each class.
model="$out/l${sizes##* }.safetensors"
"$RBM" inpaint --model "$model" --data "$test" --count 8 --clamp top --completions 4 \
  --burn-in 200 --scale 2 --png "$out/inpaint.png" $backend
for class in $classes; do
  "$RBM" sample --model "$model" --class "$class" --chains 8 --burn-in 1000 --scale 2 \
    --png "$out/class$class.png" $backend
done
echo "pictures and numbers in $out"

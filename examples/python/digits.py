"""A 196×50 RBM trained by CD-1 on 14×14 scikit-learn digits: its filters, reconstructions and
denoised digits, as pictures in --out (default build/examples/python-digits)."""
import argparse, os, pathlib
import numpy as np
import rbm

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--quick", action="store_true", help="5 epochs instead of 50")
parser.add_argument("--out", default=os.environ.get("RBM_EXAMPLE_OUT", "build/examples/python-digits"))
args = parser.parse_args()
out = pathlib.Path(args.out); out.mkdir(parents=True, exist_ok=True)
csv = pathlib.Path(os.environ.get("RBM_DATA_DIR", pathlib.Path(__file__).parents[3] / "shared/data")) / "digits/digits.csv.gz"
if not csv.exists():  # scikit-learn ships the same file
    import sklearn.datasets
    csv = pathlib.Path(sklearn.datasets.__file__).parent / "data/digits.csv.gz"
data = rbm.load_dataset(f"csv:{csv}:resize=14x14")  # binarised at 0.5
engine = rbm.Engine(os.environ.get("RBM_BACKEND", "auto"))
config = rbm.TrainConfig(batch_size=10, epochs=5 if args.quick else 50, learning_rate=0.1)
model = engine.train(rbm.init_model(data, 50, config), config, data)
print(f"{engine.device_name}: reconstruction error {engine.reconstruction_error(model, data):.4f}")
rbm.write_image_grid(out / "filters.png", model.W, image_shape=(14, 14), pixel_major=True, pixel_scale="symmetric", scale=3)
x = data.values[:20]
recon = engine.visible_probabilities(model, engine.hidden_probabilities(model, x))
rbm.write_image_grid(out / "reconstructions.png", np.concatenate([x, recon]), columns=20, scale=3)
noisy = x ^ (np.random.default_rng(0).random(x.shape) < 0.2)  # flip 20 % of the pixels
denoised = engine.sample(model, n_chains=len(x), burn_in=4, init=noisy)  # 5 Gibbs steps
print(f"Hamming error: noisy {np.mean(noisy != x):.3f}, denoised {np.mean(denoised != x):.3f}")
rbm.write_image_grid(out / "denoising.png", np.stack([x, noisy, denoised], 1).reshape(-1, 196), columns=15, group_columns=3, scale=3)
print(f"pictures in {out}")

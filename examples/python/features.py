"""RBM features for a classifier: logistic regression (scikit-learn) on the hidden activation
probabilities of an RBM against the same on raw pixels, as labelled training sets grow.

MNIST from ../shared/data/mnist (or $RBM_DATA_DIR/mnist) when present, else scikit-learn's
digits; the RBM learns from all training images, unlabelled. Writes learning_curves.png (with
matplotlib, else rbm's own plots, else no plot) and learning_curves.jsonl into --out (default
build/examples/python-features); --quick trains on fewer images for fewer epochs."""
import argparse
import json
import os
import pathlib
import time

import numpy as np
from sklearn.linear_model import LogisticRegression

import rbm


def load(quick):
    """(X_train, y_train, X_test, y_test, name): binarised images and their labels."""
    data_dir = pathlib.Path(os.environ.get("RBM_DATA_DIR", pathlib.Path(__file__).parents[3] / "shared/data"))
    mnist = data_dir / "mnist"
    if (mnist / "train-images-idx3-ubyte.gz").exists():
        limit = ":limit=3000" if quick else ""
        train = rbm.load_dataset(f"mnist:{mnist}:train{limit}")
        test = rbm.load_dataset(f"mnist:{mnist}:test{':limit=2000' if quick else ''}")
        name = "MNIST"
    else:
        import sklearn.datasets
        csv = pathlib.Path(sklearn.datasets.__file__).parent / "data/digits.csv.gz"
        train = rbm.load_dataset(f"csv:{csv}:limit=1400")
        test = rbm.load_dataset(f"csv:{csv}:skip=1400")
        name = "digits"
    return train.values, train.labels, test.values, test.labels, name


def accuracy(train_features, y_train, test_features, y_test):
    classifier = LogisticRegression(max_iter=500).fit(train_features, y_train)
    return classifier.score(test_features, y_test)


def plot(path, sizes, curves, title):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        plt = None
    if plt is not None:
        figure, axes = plt.subplots(figsize=(7, 4.5))
        for label, values in curves.items():
            axes.plot(sizes, values, marker="o", label=label)
        axes.set(xscale="log", xlabel="labelled training images", ylabel="test accuracy", title=title)
        axes.grid(alpha=0.3)
        axes.legend()
        figure.savefig(path, dpi=100, bbox_inches="tight")
        return "matplotlib"
    if rbm.plots_available():
        series = [rbm.Series(sizes, values, label, markers=True) for label, values in curves.items()]
        rbm.write_line_plot(path, series, title=title, x_label="labelled training images",
                            y_label="test accuracy", log_x=True)
        return "rbm"
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=os.environ.get("RBM_EXAMPLE_OUT", "build/examples/python-features"))
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    X_train, y_train, X_test, y_test, name = load(args.quick)
    hidden, epochs = (100, 5) if args.quick else (500, 20)
    start = time.perf_counter()
    features = rbm.BernoulliRBM(n_components=hidden, n_iter=epochs, learning_rate=0.05,
                                batch_size=20, random_state=0,
                                backend=os.environ.get("RBM_BACKEND", "auto")).fit(X_train)
    print(f"{name}: {len(X_train)} training, {len(X_test)} test images; RBM {X_train.shape[1]}x{hidden}, "
          f"{epochs} epochs in {time.perf_counter() - start:.1f} s")
    F_train, F_test = features.transform(X_train), features.transform(X_test)

    sizes = [n for n in (100, 300, 1000, 3000, 10000, 30000) if n < len(X_train)] + [len(X_train)]
    curves = {"raw pixels": [], f"RBM features ({hidden})": []}
    with open(out / "learning_curves.jsonl", "w") as lines:
        for n in sizes:
            raw = accuracy(X_train[:n], y_train[:n], X_test, y_test)
            learned = accuracy(F_train[:n], y_train[:n], F_test, y_test)
            curves["raw pixels"].append(raw)
            curves[f"RBM features ({hidden})"].append(learned)
            print(f"{n:6d} labelled: raw pixels {raw:.4f}, RBM features {learned:.4f}")
            lines.write(json.dumps({"data": name, "labelled": n, "raw_accuracy": raw,
                                    "rbm_accuracy": learned, "hidden": hidden}) + "\n")
    drawn = plot(out / "learning_curves.png", sizes, curves,
                 f"{name}: logistic regression on raw pixels and on RBM features")
    print(f"plot: {out / 'learning_curves.png'} ({drawn})" if drawn
          else "no plot: neither matplotlib nor rbm's plots (PLplot) are available")


if __name__ == "__main__":
    main()

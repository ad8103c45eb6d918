#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz (corpus/<target>/): a few tiny valid inputs per
target, in the layout each harness reads (option bytes first, see each fuzz_*.cpp). The files
are checked in; run this again only when a harness's input layout changes. Standard library
only; nothing here comes from a real data set."""
import gzip
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def idx_images(count, rows, cols):
    pixels = bytes((i * 37) % 256 for i in range(count * rows * cols))
    return struct.pack(">IIII", 0x803, count, rows, cols) + pixels


def idx_labels(labels):
    return struct.pack(">II", 0x801, len(labels)) + bytes(labels)


def idx_seed(options, images, labels, cut=0):
    return bytes([options, cut]) + struct.pack("<H", len(images)) + images + labels


def safetensors(tensors, metadata=None):
    """tensors: list of (name, dtype, shape, raw bytes)."""
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


def model(prefix="", d=3, l=2, dtype="F32", fmt="<%df"):
    size = {"F32": 4, "F64": 8, "F16": 2}[dtype]
    code = {"F32": "f", "F64": "d", "F16": "e"}[dtype]
    values = lambda n, base: struct.pack("<%d%s" % (n, code), *[(base + k) / 8 for k in range(n)])
    return [(prefix + "weights", dtype, [d, l], values(d * l, 1)),
            (prefix + "visible_bias", dtype, [d], values(d, -2)),
            (prefix + "hidden_bias", dtype, [l], values(l, 3))]


def main():
    images, labels = idx_images(2, 2, 3), idx_labels([7, 0])
    write("idx", "plain_with_labels", idx_seed(0b0100, images, labels))
    write("idx", "plain_images_only", idx_seed(0b0000, images, b""))
    write("idx", "gzip_both", idx_seed(0b0111, images, labels))
    write("idx", "gzip_cut", idx_seed(0b1101, images, labels, cut=128))

    write("csv", "digits_layout", b"\x00\x00" + b"0,4,8,16,3\n2,2, 2 ,2,9\r\n\n")
    write("csv", "gzip", b"\x01\x00" + b"0,4,8,16,3\n2,2,2,2,9\n")
    write("csv", "shape_1x4_scale16", bytes([(1 << 4) | (1 << 2), 3]) + b"0,4,8,16,3\n")
    write("csv", "no_label", b"\x02\x00" + b"0,1,2,3\n3,2,1,0\n")

    write("amat", "inferred", b"\x00" + b"0 1 1 0 1 0\n1 1 1 0 0 0\n")
    write("amat", "shape_3x2", bytes([3 << 1]) + b"0 1 1 0 1 0\n1 1 1 0 0 0\n")
    write("amat", "gzip", b"\x01" + b"0 1\n1 0\n")

    meta = {"format": "rbm", "rbm_version": "0.1.0", "n_models": "1", "visible_type": "bernoulli",
            "hidden_type": "bernoulli", "provenance": '{"data":"bas:2"}'}
    two = {"format": "rbm", "n_models": "2", "m0.provenance": "{}", "m1.visible_type": "bernoulli"}
    for target in ("safetensors", "tensor_file"):
        write(target, "model_f32", safetensors(model(), meta))
        write(target, "model_f64", safetensors(model(dtype="F64"), {"format": "rbm"}))
        write(target, "model_f16", safetensors(model(dtype="F16")))
        write(target, "two_models", safetensors(model("m0.") + model("m1.", 3, 2), two))
    write("tensor_file", "bf16_checkpoint",
          safetensors([("chains", "BF16", [2, 2], struct.pack("<4H", 0x3f80, 0, 0xc040, 0x4049))],
                      {"epoch": "3"}))

    specs = ["bas:3", "glyphs:2:labels=3,4:limit=6", "glyphs:2:resize=7x5:threshold=0.25",
             "bas:2:resize=3x3:threshold=0.5", "glyphs:1:seed=5", "csv:x.csv:scale=16",
             "mnist:.:test:7,8", "amat:a.amat:limit=2", "glyphs:3:skip=5:limit=4"]
    for k, spec in enumerate(specs):
        write("spec", "spec%d" % k, spec)

    write("train_config", "old_fields", json.dumps(
        {"cd_steps": 1, "persistent": False, "n_chains": 0, "batch_size": 100, "epochs": 10,
         "learning_rate": 0.05, "momentum": 0.5, "weight_decay": 0.0, "seed": 1,
         "init_weight_std": 0.01, "init_visible_bias_from_data": True, "use_tf32": False}))
    write("train_config", "schedules", json.dumps(
        {"cd_steps": "linear:1:5", "batch_size": "step:10:2:5", "optimizer": "adam",
         "learning_rate": "exp:0.1:0.001", "momentum": "switch:0.5:0.9:5",
         "visible_type": "bernoulli", "hidden_type": "potts-off", "epochs": 20}))
    write("train_config", "empty", "{}")
    # A finding kept as a regression input: an int field given a double beyond int range.
    write("train_config", "regress_epochs_1e30", '{"epochs": 1e30}')


if __name__ == "__main__":
    main()

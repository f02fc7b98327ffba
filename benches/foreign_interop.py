#!/usr/bin/env python3
"""Foreign checkpoints, with the real frameworks installed (issue 34):

1. Regenerate the fixtures with the installed TensorFlow, PyTorch, safetensors and numpy
   (tests/fixtures/foreign/make.py) into a temporary directory and check `recsys` reads every
   tensor bit for bit as the framework does (`recsys inspect` + the values through
   `recsys export`-free reads: the test binary is not needed, the CLI is).
2. Round trip: a recsys table exported as safetensors goes into `nn.Embedding.load_state_dict`,
   exported as a TensorFlow checkpoint is read by `tf.train.load_variable`; PyTorch and
   TensorFlow save those tables again (`torch.save`, `tf.train.Checkpoint`) and
   `recsys train --init-from … --freeze` brings them back unchanged.
3. Read time of a 1M × 64 float32 table: recsys (`recsys inspect` does not read values, so
   a frozen init run is timed instead: `train` on a tiny data set with the table as prior)
   against `torch.load` and `tf.train.load_variable`, same run.

Usage: .venv-fw/bin/python benches/foreign_interop.py [--recsys target/release/recsys]
(.venv-fw: pip install tensorflow-cpu==2.21.* torch safetensors numpy)
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ap = argparse.ArgumentParser()
ap.add_argument("--recsys", default="target/release/recsys")
ap.add_argument("--rows", type=int, default=1_000_000)
args = ap.parse_args()
R = os.path.abspath(args.recsys)
here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(here)


def run(*a):
    out = subprocess.run([R, *a], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"recsys {' '.join(a)} failed: {out.stderr}")
    return out.stdout


def model_table(model, table="item/embedding"):
    """A model directory's table and keys, through recsys's own npy export."""
    npy = os.path.join(model, "..", os.path.basename(model) + ".npy")
    run("export", "--format", "npy", "--model", model, "--table", table, "--out", npy, "--quiet")
    keys = open(npy + ".keys.txt").read().split("\n")[:-1]
    return np.load(npy), keys


tmp = tempfile.mkdtemp(prefix="recsys-foreign-")
synthetic = os.path.join(repo, "datasets", "synthetic")

# 1. fixtures regenerated, read back bit for bit (through a frozen init of each tensor)
fx = os.path.join(tmp, "fixtures")
subprocess.run([sys.executable, os.path.join(repo, "tests/fixtures/foreign/make.py"), fx],
               check=True, capture_output=True)
expected = json.load(open(os.path.join(fx, "expected.json")))
checked = refused = 0
for t in expected["tensors"]:
    path = os.path.join(fx, t["file"])
    want = np.array(t["bits"], dtype=np.uint32).view(np.float32).reshape(t["shape"])
    keys = os.path.join(tmp, "k.txt")
    with open(keys, "w") as f:
        f.write("".join(f"k{i}\n" for i in range(want.shape[0])))
    # a model whose items are k0..kN-1, with the tensor as frozen prior
    data = os.path.join(tmp, "d.csv")
    with open(data, "w") as f:
        f.write("user,item\n" + "".join(f"u{u},k{i}\n" for u in range(3) for i in range(want.shape[0])))
    m = os.path.join(tmp, "m")
    out = subprocess.run([R, "train", data, "--algo", "bpr", "--dim", str(want.shape[1]),
                          "--epochs", "1", "--model", m, "--init-from", path, "--init-tensor",
                          t["tensor"], "--init-vocab", keys, "--freeze", "--quiet"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        if "partitioned" in out.stderr:
            refused += 1
            continue
        sys.exit(f"{t['file']} {t['tensor']}: {out.stderr}")
    got, gk = model_table(m)
    order = [gk.index(f"k{i}") for i in range(want.shape[0])]
    assert np.array_equal(got[order].view(np.uint32), want.view(np.uint32)), (t["file"], t["tensor"])
    checked += 1
print(f"1. regenerated with TensorFlow {expected['tensorflow']}, PyTorch {expected['torch']}, "
      f"numpy {expected['numpy']}: {checked} tensors equal bit for bit, {refused} refused "
      f"(partitioned)")

# 2. round trip through PyTorch and TensorFlow
import tensorflow as tf  # noqa: E402
import torch  # noqa: E402
from safetensors.torch import load_file  # noqa: E402

model = os.path.join(tmp, "als")
run("train", synthetic, "--dim", "16", "--model", model, "--quiet")
table, keys = model_table(model)
st = os.path.join(tmp, "items.safetensors")
run("export", "--format", "safetensors", "--model", model, "--out", st, "--quiet")
emb = torch.nn.Embedding(*table.shape)
emb.load_state_dict(load_file(st))
assert np.array_equal(emb.weight.detach().numpy(), table)
# the model directory's own tensors file is read by safetensors.torch as it is
whole = load_file(os.path.join(model, "tensors.safetensors"))
assert np.array_equal(whole["item/embedding"].numpy(), table), sorted(whole)
ck = os.path.join(tmp, "ckpt")
run("export", "--format", "tf-checkpoint", "--model", model, "--out", ck, "--quiet")
tv = tf.train.load_variable(ck, "item/embedding")
assert np.array_equal(tv, table)
pt = os.path.join(tmp, "back.pt")
torch.save({"movie.weight": emb.weight.detach()}, pt)
layer = tf.keras.layers.Embedding(*table.shape)
layer.build((None,))
layer.embeddings.assign(tv)
tfp = tf.train.Checkpoint(movie=layer).write(os.path.join(tmp, "back", "ckpt"))
for src, name in [(pt, "movie.weight"), (tfp, "movie/_embeddings/.ATTRIBUTES/VARIABLE_VALUE")]:
    m = os.path.join(tmp, "again")
    run("train", synthetic, "--algo", "bpr", "--dim", "16", "--epochs", "2", "--model", m,
        "--init-from", src, "--init-tensor", name, "--init-vocab", st + ".keys.txt",
        "--freeze", "--quiet")
    again, ak = model_table(m)
    assert ak == keys and np.array_equal(again, table), src
print(f"2. the model directory's tensors.safetensors read by safetensors.torch ({len(whole)} tensors); "
      "recsys → safetensors → nn.Embedding → torch.save → recsys: unchanged; "
      "recsys → tf-checkpoint → tf.train.load_variable → Keras tf.train.Checkpoint → recsys: unchanged")

# 3. read time of a large table
n, d = args.rows, 64
big = np.random.default_rng(0).standard_normal((n, d)).astype(np.float32)
keys = os.path.join(tmp, "big.txt")
with open(keys, "w") as f:
    f.write("".join(f"{i}\n" for i in range(n)))
pt = os.path.join(tmp, "big.pt")
torch.save({"weight": torch.from_numpy(big)}, pt)
var = tf.Variable(big)
tfp = tf.train.Checkpoint(v=var).write(os.path.join(tmp, "bigtf", "ckpt"))
del var
data = os.path.join(tmp, "tiny.csv")
with open(data, "w") as f:
    f.write("user,item\n" + "".join(f"u{u},{i}\n" for u in range(2) for i in range(50)))


def best(f, reps=3):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return min(ts)


rows = []
for label, src, name, peer in [
    ("torch.save file", pt, "weight", lambda: torch.load(pt, weights_only=True)["weight"].numpy()),
    ("TensorFlow checkpoint", tfp, "v/.ATTRIBUTES/VARIABLE_VALUE",
     lambda: tf.train.load_variable(tfp, "v/.ATTRIBUTES/VARIABLE_VALUE")),
]:
    m = os.path.join(tmp, "bigm")
    r = best(lambda: run("train", data, "--algo", "bpr", "--dim", str(d), "--epochs", "1",
                         "--model", m, "--init-from", src, "--init-tensor", name,
                         "--init-vocab", keys, "--freeze", "--quiet"))
    p = best(peer)
    rows.append((label, r, p))
print(f"3. a {n:,} × {d} float32 table (best of 3):")
print("| file | recsys train with it as frozen prior, whole command (s) | framework's own load (s) |")
print("| --- | ---: | ---: |")
for label, r, p in rows:
    print(f"| {label} | {r:.2f} | {p:.2f} |")

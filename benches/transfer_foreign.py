#!/usr/bin/env python3
"""Transfer done the way users would (issue 34, deliverable 5): item vectors trained in PyTorch
and in Keras, brought into recsys's DNN and ALS by `--init-from` + `--init-vocab`, frozen vs
fine-tuned vs random; and recsys-trained vectors exported into a PyTorch model the same way.

Split: ML-100K random 80/20, seed 42 (the peers' `split_random`: np.random.default_rng(42)
permutation, first 80 % sorted = train). Priors are trained on the training split only:
a matrix-factorisation "liked" model (rating >= 4, logistic loss, dot product + biases,
Adam, 10 epochs, width 6 = the DNN's item width by the fourth-root rule), the same model in
PyTorch (`torch.save(model.state_dict())`, tensor `item.weight`) and in Keras
(`tf.train.Checkpoint`). recsys's DNN (schemas/movielens-100k.toml, 5 epochs, seeds 42, 1, 2)
then reports AUC on the test split.

Usage: .venv-fw/bin/python benches/transfer_foreign.py [--recsys target/release/recsys]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ap = argparse.ArgumentParser()
ap.add_argument("--recsys", default="target/release/recsys")
ap.add_argument("--datasets", default=os.environ.get("RECSYS_DATASETS", "../shared/datasets"))
ap.add_argument("--epochs", type=int, default=5)
ap.add_argument("--seeds", default="42,1,2")
args = ap.parse_args()
R = os.path.abspath(args.recsys)
D = os.path.join(args.datasets, "movielens-100k")
tmp = tempfile.mkdtemp(prefix="recsys-transfer-")

r = np.loadtxt(os.path.join(D, "u.data"), dtype=np.int64)
perm = np.random.default_rng(42).permutation(len(r))
k = int(round(0.8 * len(r)))
train, test = r[np.sort(perm[:k])], r[np.sort(perm[k:])]
tr_path, te_path = os.path.join(tmp, "train.tsv"), os.path.join(tmp, "test.tsv")
np.savetxt(tr_path, train, fmt="%d", delimiter="\t")
np.savetxt(te_path, test, fmt="%d", delimiter="\t")
items = np.unique(train[:, 1])
users = np.unique(train[:, 0])
item_row = {it: i for i, it in enumerate(items)}
user_row = {u: i for i, u in enumerate(users)}
keys = os.path.join(tmp, "items.txt")
with open(keys, "w") as f:
    f.write("".join(f"{it}\n" for it in items))
U = np.array([user_row[u] for u in train[:, 0]])
I = np.array([item_row[i] for i in train[:, 1]])
Y = (train[:, 2] >= 4).astype(np.float32)
DIM = 6

# --- PyTorch -------------------------------------------------------------------------------
import torch  # noqa: E402

torch.manual_seed(0)


class MF(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.user = torch.nn.Embedding(len(users), DIM)
        self.item = torch.nn.Embedding(len(items), DIM)
        self.user_bias = torch.nn.Embedding(len(users), 1)
        self.item_bias = torch.nn.Embedding(len(items), 1)
        for e in (self.user, self.item):
            torch.nn.init.normal_(e.weight, std=0.1)
        for e in (self.user_bias, self.item_bias):
            torch.nn.init.zeros_(e.weight)

    def forward(self, u, i):
        return ((self.user(u) * self.item(i)).sum(1) + self.user_bias(u)[:, 0]
                + self.item_bias(i)[:, 0])


m = MF()
opt = torch.optim.Adam(m.parameters(), lr=0.01, weight_decay=1e-5)
u_t, i_t, y_t = torch.from_numpy(U), torch.from_numpy(I), torch.from_numpy(Y)
g = torch.Generator().manual_seed(0)
for _ in range(10):
    order = torch.randperm(len(Y), generator=g)
    for b in range(0, len(Y), 1024):
        idx = order[b:b + 1024]
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(m(u_t[idx], i_t[idx]), y_t[idx])
        loss.backward()
        opt.step()
torch_pt = os.path.join(tmp, "mf.pt")
torch.save(m.state_dict(), torch_pt)

# --- Keras ----------------------------------------------------------------------------------
import tensorflow as tf  # noqa: E402

tf.keras.utils.set_random_seed(0)
ui = tf.keras.Input((), dtype="int32")
ii = tf.keras.Input((), dtype="int32")
ue = tf.keras.layers.Embedding(len(users), DIM, name="user")
ie = tf.keras.layers.Embedding(len(items), DIM, name="movie")
ub = tf.keras.layers.Embedding(len(users), 1, name="user_bias")
ib = tf.keras.layers.Embedding(len(items), 1, name="movie_bias")
logit = (tf.keras.layers.Dot(axes=1)([ue(ui), ie(ii)])
         + tf.keras.layers.Flatten()(ub(ui)) + tf.keras.layers.Flatten()(ib(ii)))
km = tf.keras.Model([ui, ii], logit)
km.compile(optimizer=tf.keras.optimizers.Adam(0.01),
           loss=tf.keras.losses.BinaryCrossentropy(from_logits=True))
km.fit([U, I], Y, batch_size=1024, epochs=10, verbose=0, shuffle=True)
keras_ckpt = tf.train.Checkpoint(movie=ie).write(os.path.join(tmp, "keras", "ckpt"))

PRIORS = {
    "PyTorch": (torch_pt, "item.weight"),
    "Keras": (keras_ckpt, "movie/_embeddings/.ATTRIBUTES/VARIABLE_VALUE"),
}


def dnn(seed, extra):
    out = subprocess.run(
        [R, "eval", D, "--algo", "dnn", "--schema", "schemas/movielens-100k.toml",
         "--train", tr_path, "--test", te_path, "--epochs", str(args.epochs), "--seed",
         str(seed), "--threads", "2", "--json", *extra], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(out.stderr)
    return json.loads(out.stdout)


rows = []
modes = [("random", None, [])]
for name, (path, tensor) in PRIORS.items():
    base = ["--init-from", path, "--init-tensor", tensor, "--init-vocab", keys]
    modes.append((f"{name} item vectors, fine-tuned", name, base))
    modes.append((f"{name} item vectors, frozen", name, base + ["--freeze"]))
seeds = [int(s) for s in args.seeds.split(",")]
for label, _, extra in modes:
    aucs = [dnn(s, extra)["auc"] for s in seeds]
    rows.append((label, np.mean(aucs), np.std(aucs)))
print(f"| DNN item table (ML-100K random 80/20, {args.epochs} epochs, seeds {args.seeds}) | AUC mean | sd |")
print("| --- | ---: | ---: |")
for label, mu, sd in rows:
    print(f"| {label} | {mu:.4f} | {sd:.4f} |")

# --- the same priors in recsys's ALS (width 6, the priors' width): NDCG@10 of the test split --


def als_eval(extra):
    out = subprocess.run(
        [R, "eval", "--algo", "als", "--train", tr_path, "--test", te_path, "--dim", str(DIM),
         "--threads", "2", "--json", "--quiet", *extra], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(out.stderr)
    return json.loads(out.stdout)


# control: recsys's own ALS vectors through the same path (export --format safetensors, keys)
als = os.path.join(tmp, "als")
subprocess.run([R, "train", tr_path, "--dim", str(DIM), "--model", als, "--quiet"], check=True,
               capture_output=True)
st = os.path.join(tmp, "als.safetensors")
subprocess.run([R, "export", "--format", "safetensors", "--model", als, "--out", st, "--quiet"],
               check=True, capture_output=True)
als_modes = modes + [("recsys ALS item vectors (control), frozen", None,
                      ["--init-from", st, "--init-vocab", st + ".keys.txt", "--freeze"])]
print()
print(f"| ALS item table (ML-100K random 80/20, width {DIM}, 15 iterations) | NDCG@10 | se | HR@10 |")
print("| --- | ---: | ---: | ---: |")
for label, _, extra in als_modes:
    e = als_eval(extra)
    print(f"| {label} | {e['ndcg@10']:.4f} | {e['ndcg@10_se']:.4f} | {e['hr@10']:.4f} |")

# --- and back out: recsys ALS item vectors into the PyTorch model, frozen --------------------
from safetensors.torch import load_file  # noqa: E402

w = load_file(st)["weight"]
als_keys = [int(x) for x in open(st + ".keys.txt").read().split()]
order = [als_keys.index(int(it)) for it in items]


def torch_auc(init):
    torch.manual_seed(0)
    mm = MF()
    if init is not None:
        with torch.no_grad():
            mm.item.weight.copy_(init)
        mm.item.weight.requires_grad_(False)
    o = torch.optim.Adam([p for p in mm.parameters() if p.requires_grad], lr=0.01, weight_decay=1e-5)
    gg = torch.Generator().manual_seed(0)
    for _ in range(3):
        od = torch.randperm(len(Y), generator=gg)
        for b in range(0, len(Y), 1024):
            idx = od[b:b + 1024]
            o.zero_grad()
            torch.nn.functional.binary_cross_entropy_with_logits(
                mm(u_t[idx], i_t[idx]), y_t[idx]).backward()
            o.step()
    keep = np.isin(test[:, 0], users) & np.isin(test[:, 1], items)
    tu = torch.tensor([user_row[u] for u in test[keep, 0]])
    ti = torch.tensor([item_row[i] for i in test[keep, 1]])
    with torch.no_grad():
        s = mm(tu, ti).numpy()
    yt = (test[keep, 2] >= 4).astype(int)
    pos, neg = s[yt == 1], s[yt == 0]
    ranks = np.argsort(np.argsort(np.r_[pos, neg])) + 1
    return (ranks[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


print()
print("| PyTorch MF item table (3 epochs) | test AUC |")
print("| --- | ---: |")
print(f"| random | {torch_auc(None):.4f} |")
print(f"| recsys ALS item vectors (export --format safetensors), frozen | {torch_auc(w[order]):.4f} |")


# --- … and into a Keras model: export --format tf-checkpoint, tf.train.load_variable ----------
ck = os.path.join(tmp, "als_ckpt")
subprocess.run([R, "export", "--format", "tf-checkpoint", "--model", als, "--out", ck, "--quiet"],
               check=True, capture_output=True)
tw = tf.train.load_variable(ck, "item/embedding")[order]
keep = np.isin(test[:, 0], users) & np.isin(test[:, 1], items)
TU = np.array([user_row[u] for u in test[keep, 0]])
TI = np.array([item_row[i] for i in test[keep, 1]])
YT = (test[keep, 2] >= 4).astype(int)


def keras_auc(init):
    tf.keras.utils.set_random_seed(0)
    a, b = tf.keras.Input((), dtype="int32"), tf.keras.Input((), dtype="int32")
    emb_i = tf.keras.layers.Embedding(len(items), DIM, name="movie",
                                      trainable=init is None)
    emb_u = tf.keras.layers.Embedding(len(users), DIM)
    out = (tf.keras.layers.Dot(axes=1)([emb_u(a), emb_i(b)])
           + tf.keras.layers.Flatten()(tf.keras.layers.Embedding(len(users), 1)(a))
           + tf.keras.layers.Flatten()(tf.keras.layers.Embedding(len(items), 1)(b)))
    model = tf.keras.Model([a, b], out)
    if init is not None:
        emb_i.embeddings.assign(init)
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01),
                  loss=tf.keras.losses.BinaryCrossentropy(from_logits=True))
    model.fit([U, I], Y, batch_size=1024, epochs=3, verbose=0)
    s = model.predict([TU, TI], verbose=0, batch_size=4096)[:, 0]
    pos, neg = s[YT == 1], s[YT == 0]
    ranks = np.argsort(np.argsort(np.r_[pos, neg])) + 1
    return (ranks[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


print()
print("| Keras MF item table (3 epochs) | test AUC |")
print("| --- | ---: |")
print(f"| random | {keras_auc(None):.4f} |")
print(f"| recsys ALS item vectors (export --format tf-checkpoint), frozen | {keras_auc(tw):.4f} |")

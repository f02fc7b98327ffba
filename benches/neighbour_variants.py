#!/usr/bin/env python3
"""Which interactions should the BM25 item-item table count, and how much should its idf
weigh? A numpy check on ML-100K.

Rows: every rating as one interaction (recsys's default), only ratings >= 4 ("liked", the
rule of implicit's MovieLens example), liked ratings on the query side only; then the form of
the similarity on every rating: a softer idf (idf^0.5), no idf (BM25's length normalisation
alone), and Aiolli's asymmetric cosine co / (n_q^0.2 n_d^0.8). Columns:
franchise hit@5 / MRR@10 on the whole data (families of benches/franchises/ml-100k.tsv,
both films with >= 20 ratings), on a random half of the users and with 50 % / 70 % of the
ratings dropped (3 seeds each, families re-thresholded at 10 ratings), and Star Wars's first
four neighbours. The BM25 form is recsys's (idf counted once, K1 100, B 0.8).

Usage: neighbour_variants.py [DATASETS_DIR]   (default ../shared/datasets)
"""
import sys

import numpy as np
import scipy.sparse as sp

D = (sys.argv[1] if len(sys.argv) > 1 else "../shared/datasets") + "/movielens-100k/"
r = np.loadtxt(D + "u.data", dtype=np.int64)
u, i, rt = r[:, 0] - 1, r[:, 1] - 1, r[:, 2]
nU, nI = u.max() + 1, i.max() + 1
titles = {}
for line in open(D + "u.item", encoding="latin-1"):
    f = line.split("|")
    titles[int(f[0]) - 1] = f[1]
fams = []
for line in open("benches/franchises/ml-100k.tsv", encoding="utf-8"):
    if line.startswith("#") or not line.strip():
        continue
    f = line.split("\t")
    fams.append((int(f[0]) - 1, [int(s) - 1 for s in f[1].split(",") if s]))


def mat(mask):
    return sp.csr_matrix((np.ones(mask.sum()), (u[mask], i[mask])), shape=(nU, nI))


def bm25(xq, xd, k1=100.0, b=0.8, idf_power=1.0):
    n_u = np.diff(xd.indptr)
    idf = (np.log(nI) - np.log1p(n_u)) ** idf_power
    isum = np.asarray(xd.sum(0)).ravel()
    length = isum / max(isum.mean(), 1e-9)
    t = xd.tocoo()
    tf = t.data * (k1 + 1) / (k1 * ((1 - b) + b * length[t.col]) + t.data)
    d = sp.csr_matrix((tf, (t.row, t.col)), shape=xd.shape)
    q = xq.tocoo()
    q = sp.csr_matrix((idf[q.row] * q.data, (q.row, q.col)), shape=xd.shape)
    return (q.T @ d).toarray()


def score(s, counts, min_ratings):
    hits, rr = [], []
    for o, seq in fams:
        seq = [x for x in seq if counts[x] >= min_ratings]
        if counts[o] < min_ratings or not seq:
            continue
        row = s[o].copy()
        row[o] = -np.inf
        top = list(np.argsort(-row, kind="stable")[:10])
        ranks = [k for k, t in enumerate(top) if t in seq]
        hits.append(1.0 if ranks and ranks[0] < 5 else 0.0)
        rr.append(1 / (ranks[0] + 1) if ranks else 0.0)
    return np.array([np.mean(hits), np.mean(rr)])


def asymmetric_cosine(x, a=0.2):
    c = (x.T @ x).toarray()
    n = np.diag(c).copy()
    return c / ((n[:, None] + 1) ** a * (n[None, :] + 1) ** (1 - a))


liked = rt >= 4
VARIANTS = {
    "every rating": lambda m: bm25(mat(m), mat(m)),
    "ratings >= 4": lambda m: bm25(mat(m & liked), mat(m & liked)),
    "query side >= 4": lambda m: bm25(mat(m & liked), mat(m)),
    "every rating, idf^0.5": lambda m: bm25(mat(m), mat(m), idf_power=0.5),
    "every rating, no idf": lambda m: bm25(mat(m), mat(m), idf_power=0.0),
    "asymmetric cosine, a 0.2": lambda m: asymmetric_cosine(mat(m)),
}
print("| interactions | hit@5 | MRR@10 | half of the users | 50 % dropped | 70 % dropped | Star Wars → |")
print("| --- | ---: | ---: | --- | --- | --- | --- |")
for name, f in VARIANTS.items():
    everything = np.ones(len(rt), bool)
    s = f(everything)
    full = score(s, np.bincount(i, minlength=nI), 20)
    row = s[49].copy()
    row[49] = -np.inf
    sw = ", ".join(titles[t].split(" (")[0] for t in np.argsort(-row)[:4])
    cells = []
    for kind in ["users", 0.5, 0.7]:
        res = []
        for seed in range(3):
            rng = np.random.default_rng(seed)
            keep = rng.random(nU)[u] < 0.5 if kind == "users" else rng.random(len(rt)) >= kind
            res.append(score(f(keep), np.bincount(i[keep], minlength=nI), 10))
        cells.append("%.3f / %.3f" % tuple(np.mean(res, 0)))
    print(f"| {name} | {full[0]:.3f} | {full[1]:.3f} | {' | '.join(cells)} | {sw} |")

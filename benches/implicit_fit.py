#!/usr/bin/env python3
"""implicit's ALS or BPR on a ratings file, as its users run it: pandas reads the file, ids
become codes, a scipy CSR of ones, `fit`. Prints one JSON line: read, build and fit seconds.
ALS is recsys's default ALS (64 factors, 15 iterations, λ 10, α 1: confidence 1 + α on every
observed pair, conjugate gradient with 3 steps, implicit's default); BPR is implicit's own
(64 factors, lr 0.01, λ 0.01, uniform negatives) for --iterations epochs.

Usage: implicit_fit.py RATINGS.{parquet,csv} [--model als|bpr] [--threads 2] [--factors 64]
       [--iterations 15]
"""
import argparse
import json
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from implicit.cpu.als import AlternatingLeastSquares  # noqa: E402
from implicit.cpu.bpr import BayesianPersonalizedRanking  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("ratings")
ap.add_argument("--model", choices=["als", "bpr"], default="als")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--factors", type=int, default=64)
ap.add_argument("--iterations", type=int, default=15)
ap.add_argument("--reg", type=float, default=10.0)
ap.add_argument("--alpha", type=float, default=1.0)
a = ap.parse_args()

t = time.time()
if a.ratings.endswith(".parquet"):
    df = pd.read_parquet(a.ratings, columns=["userId", "movieId"])
else:
    df = pd.read_csv(a.ratings, usecols=["userId", "movieId"])
read_s = time.time() - t
t = time.time()
u, users = pd.factorize(df["userId"])
i, items = pd.factorize(df["movieId"])
del df
m = sp.csr_matrix((np.ones(len(u), dtype=np.float32), (u, i)), shape=(len(users), len(items)))
m.sum_duplicates()
m.data[:] = 1.0
build_s = time.time() - t
if a.model == "als":
    model = AlternatingLeastSquares(factors=a.factors, regularization=a.reg, alpha=a.alpha,
                                    iterations=a.iterations, use_cg=True,
                                    num_threads=a.threads, random_state=7,
                                    calculate_training_loss=False)
else:
    model = BayesianPersonalizedRanking(factors=a.factors, learning_rate=0.01, regularization=0.01,
                                        iterations=a.iterations, num_threads=a.threads,
                                        random_state=7)
t = time.time()
model.fit(m, show_progress=False)
fit_s = time.time() - t
print(json.dumps({"read_s": round(read_s, 3), "build_s": round(build_s, 3), "fit_s": round(fit_s, 3),
                  "users": len(users), "items": len(items), "interactions": int(m.nnz)}))

#!/usr/bin/env python3
"""scikit-learn's Barnes-Hut TSNE on the same rows recsys maps (benches/tsne.sh).

Reads a float32 .npy table whose rows are in frequency order, takes the first N, L2-normalises
them and reduces them to 50 dimensions by PCA (as recsys does), then runs
TSNE(perplexity=30, init="pca", learning_rate="auto", max_iter=1000, angle=0.5). Prints one
JSON line: seconds of the PCA and of the TSNE fit, and the final KL divergence.
"""
import argparse
import json
import os
import time

ap = argparse.ArgumentParser()
ap.add_argument("npy")
ap.add_argument("--n", type=int, default=10000)
ap.add_argument("--threads", type=int, default=2)
a = ap.parse_args()
os.environ.setdefault("OMP_NUM_THREADS", str(a.threads))
import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.manifold import TSNE  # noqa: E402

x = np.load(a.npy)[: a.n].astype(np.float64)
x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
t0 = time.perf_counter()
c = x - x.mean(0)
u, s, vt = np.linalg.svd(c, full_matrices=False)
xr = c @ vt[:50].T
pca_s = time.perf_counter() - t0
t0 = time.perf_counter()
ts = TSNE(n_components=2, perplexity=30.0, init="pca", learning_rate="auto", max_iter=1000,
          angle=0.5, method="barnes_hut", n_jobs=a.threads, random_state=0)
ts.fit(xr)
fit_s = time.perf_counter() - t0
print(json.dumps({"lib": "scikit-learn", "version": sklearn.__version__, "points": len(x),
                  "pca_s": pca_s, "tsne_s": fit_s, "seconds": pca_s + fit_s,
                  "kl_final": float(ts.kl_divergence_), "n_iter": int(ts.n_iter_)}))

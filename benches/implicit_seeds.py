#!/usr/bin/env python3
"""implicit ALS (conf1 and conf41) and BPR over several random seeds, on the peers' split files, with the
peers' uniform metrics (../shared/peers/common.py). One JSON line per (algo, seed).
Usage: implicit_seeds.py SPLIT SEEDS (e.g. leave_last_out 1,2,3,4,5,6)."""
import json
import os
import sys

os.environ["OPENBLAS_NUM_THREADS"] = "1"
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../shared/peers"))
import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import common as C  # noqa: E402
from implicit.cpu.als import AlternatingLeastSquares  # noqa: E402
from implicit.cpu.bpr import BayesianPersonalizedRanking  # noqa: E402

split, seeds = sys.argv[1], [int(s) for s in sys.argv[2].split(",")]
r = C.load_ratings("ml-100k")
users, items = np.unique(r[:, 0]), np.unique(r[:, 1])
train, test = C.get_split("ml-100k", split)
tu, ti = np.searchsorted(users, train[:, 0]), np.searchsorted(items, train[:, 1])
eu, ei = np.searchsorted(users, test[:, 0]), np.searchsorted(items, test[:, 1])
tr = sp.csr_matrix((np.ones(len(tu), np.float32), (tu, ti)), shape=(len(users), len(items)))
tr.data[:] = 1.0
for algo in ("als_conf1", "als_conf41", "bpr"):
    for seed in seeds:
        if algo == "bpr":
            m = BayesianPersonalizedRanking(factors=64, learning_rate=0.01, regularization=0.01,
                                            iterations=100, num_threads=2, random_state=seed)
        else:
            m = AlternatingLeastSquares(factors=64, regularization=0.05, alpha=1.0, iterations=15,
                                        num_threads=2, random_state=seed,
                                        calculate_training_loss=False)
        if algo == "als_conf41":
            c41 = tr.copy()
            c41.data[:] = 41.0  # the peer's conf41 variant: c = 41 on every positive
            m.fit(c41, show_progress=False)
        else:
            m.fit(tr, show_progress=False)
        U, V = m.user_factors, m.item_factors
        uni = C.topk_metrics(lambda u: U[u] @ V.T, len(users), tu, ti, eu, ei, k=10)
        print(json.dumps({"lib": "implicit", "algo": algo, "split": split, "seed": seed,
                          "ndcg@10": round(float(uni["ndcg@10"]), 4),
                          "hr@10": round(float(uni["hr@10"]), 4)}))

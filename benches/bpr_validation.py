#!/usr/bin/env python3
"""implicit BPR and recsys BPR on a validation split cut from the ML-100K leave_last_out
training file (each user's last *training* row held out, the peers' own rule), so neither
side's settings are judged on the test items. Writes the validation files to a temporary
directory, runs implicit BPR (its benchmark settings: 64 f, 100 it, lr 0.01, λ 0.01) and
`recsys eval --algo bpr` (defaults, and --warp) on them for seeds 1..3, with the peers'
uniform metrics for implicit and recsys::eval for recsys. One JSON line per run, then means.
Usage: benches/bpr_validation.py [recsys binary]   (run with the python that has implicit)"""
import json
import os
import statistics as st
import subprocess
import sys
import tempfile

os.environ["OPENBLAS_NUM_THREADS"] = "1"
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "../../shared/peers"))
import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import common as C  # noqa: E402
from implicit.cpu.bpr import BayesianPersonalizedRanking  # noqa: E402

binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "../target/release/recsys")
train, _ = C.get_split("ml-100k", "leave_last_out")
vtr, vte = C.split_leave_last_out(train)
tmp = tempfile.mkdtemp()
ptr, pte = os.path.join(tmp, "val.train.tsv"), os.path.join(tmp, "val.test.tsv")
np.savetxt(ptr, vtr, fmt="%d", delimiter="\t")
np.savetxt(pte, vte, fmt="%d", delimiter="\t")
r = C.load_ratings("ml-100k")
users, items = np.unique(r[:, 0]), np.unique(r[:, 1])
tu, ti = np.searchsorted(users, vtr[:, 0]), np.searchsorted(items, vtr[:, 1])
eu, ei = np.searchsorted(users, vte[:, 0]), np.searchsorted(items, vte[:, 1])
m = sp.csr_matrix((np.ones(len(tu), np.float32), (tu, ti)), shape=(len(users), len(items)))
m.data[:] = 1.0
rows = []
for seed in (1, 2, 3):
    bpr = BayesianPersonalizedRanking(factors=64, learning_rate=0.01, regularization=0.01,
                                      iterations=100, num_threads=2, random_state=seed)
    bpr.fit(m, show_progress=False)
    U, V = bpr.user_factors, bpr.item_factors
    uni = C.topk_metrics(lambda u: U[u] @ V.T, len(users), tu, ti, eu, ei, k=10)
    rows.append({"lib": "implicit", "algo": "bpr", "seed": seed,
                 "ndcg@10": round(float(uni["ndcg@10"]), 4), "hr@10": round(float(uni["hr@10"]), 4)})
    print(json.dumps(rows[-1]), flush=True)
    for extra in ([], ["--warp"]):
        out = subprocess.run([binary, "eval", "--algo", "bpr", *extra, "--seed", str(seed),
                              "--threads", "2", "--train", ptr, "--test", pte, "--json", "--quiet"],
                             check=True, capture_output=True, text=True).stdout
        d = json.loads(out)
        rows.append({"lib": "recsys", "algo": " ".join(["bpr", *extra]), "seed": seed,
                     "ndcg@10": round(d["ndcg@10"], 4), "hr@10": round(d["hr@10"], 4)})
        print(json.dumps(rows[-1]), flush=True)
for key in sorted({(r["lib"], r["algo"]) for r in rows}):
    g = [r for r in rows if (r["lib"], r["algo"]) == key]
    print(json.dumps({"summary": " ".join(key), "ndcg@10_mean": round(st.mean(r["ndcg@10"] for r in g), 4),
                      "hr@10_mean": round(st.mean(r["hr@10"] for r in g), 4), "runs": len(g)}))

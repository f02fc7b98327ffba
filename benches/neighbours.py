#!/usr/bin/env python3
"""Neighbour-quality benchmark: recsys's algorithms beside implicit's recipes, one run.

For each franchise family (benches/franchises.py) the 10 nearest items of the original are
ranked; hit@5 = a sequel among the first 5, MRR@10 = 1/rank of the first sequel within 10,
count@10 = mean number of ratings of the 10 neighbours (popular-item crowding). Every rating
counts as one interaction (implicit feedback), as in the peers' scripts.

recsys rows run the release binary (`recsys train`, then `recsys eval --neighbours --json`,
whose figures this script recomputes from `recsys similar` and checks); implicit rows run
implicit 0.7's own models on the same matrix: ALS (plain, and on bm25_weight(K1=100, B=0.8)
as its MovieLens example weights it), BPR, CosineRecommender(K=50), BM25Recommender(K=50).

Usage: neighbours.py ITEMS RATINGS FAMILIES [--recsys target/release/recsys] [--threads 2]
       [--only recsys|implicit] [--extra 'label|--algo als --weighting bm25' ...]
Prints a Markdown table and one JSON line per row on stderr.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ap = argparse.ArgumentParser()
ap.add_argument("items")
ap.add_argument("ratings")
ap.add_argument("families")
ap.add_argument("--recsys", default="target/release/recsys")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--only", choices=["recsys", "implicit"])
ap.add_argument("--extra", action="append", default=[],
                help="more recsys rows: 'label|train flags'")
args = ap.parse_args()
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

RECSYS_ROWS = [
    ("recsys default (`train`)", []),
    ("recsys als", ["--algo", "als", "--no-neighbours"]),
    ("recsys als --weighting bm25", ["--algo", "als", "--weighting", "bm25", "--no-neighbours"]),
    ("recsys bpr", ["--algo", "bpr"]),
    ("recsys bpr --warp", ["--algo", "bpr", "--warp"]),
    ("recsys mf (explicit, ratings)", ["--algo", "mf"]),
    ("recsys item2vec", ["--algo", "item2vec"]),
    ("recsys itemknn cosine", ["--algo", "itemknn", "--similarity", "cosine"]),
    ("recsys itemknn tfidf", ["--algo", "itemknn", "--similarity", "tfidf"]),
    ("recsys itemknn bm25", ["--algo", "itemknn", "--similarity", "bm25"]),
    ("recsys itemknn bm25 --bm25-k1 1.2 --bm25-b 0.75 (implicit BM25Recommender constants)",
     ["--algo", "itemknn", "--bm25-k1", "1.2", "--bm25-b", "0.75"]),
]


def read_families(path):
    fams = []
    for line in open(path, encoding="utf-8"):
        if not line.strip() or line.startswith("#"):
            continue
        f = line.rstrip("\n").split("\t")
        fams.append((f[0], [s for s in f[1].split(",") if s]))
    return fams


def read_ratings(path):
    users, items = [], []
    with open(path, encoding="utf-8") as f:
        first = True
        for line in f:
            if path.endswith(".csv"):
                if first:
                    first = False
                    continue
                p = line.split(",")
            else:
                p = line.split("\t") if "\t" in line else line.split("::")
            users.append(p[0].strip())
            items.append(p[1].strip())
    return users, items


def score(neigh, fams, counts):
    """neigh: original key -> list of neighbour keys (best first, itself excluded)."""
    hits, rr, pop, n = 0, 0.0, 0.0, 0
    for orig, seqs in fams:
        if orig not in neigh:
            continue
        seqs = [s for s in seqs if s in counts]
        if not seqs:
            continue
        top = neigh[orig][:10]
        n += 1
        rank = next((r + 1 for r, k in enumerate(top) if k in seqs), None)
        hits += rank is not None and rank <= 5
        rr += 1.0 / rank if rank else 0.0
        pop += sum(counts.get(k, 0) for k in top) / max(len(top), 1)
    return {"families": n, "hit@5": hits / max(n, 1), "mrr@10": rr / max(n, 1),
            "count@10": pop / max(n, 1)}


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()}")
    return r.stdout


def recsys_row(label, flags, fams, counts, tmp):
    model = os.path.join(tmp, "m")
    t0 = time.time()
    out = json.loads(run([args.recsys, "--json", "-q", "train", args.items, "--model", model,
                          "--threads", str(args.threads)] + flags))
    wall = time.time() - t0
    ev = json.loads(run([args.recsys, "--json", "eval", "--model", model,
                         "--neighbours", args.families]))
    neigh = {}
    for orig, _ in fams:
        r = subprocess.run([args.recsys, "--json", "similar", "--model", model, "--item", orig,
                            "-k", "10"], capture_output=True, text=True)
        if r.returncode == 0:
            neigh[orig] = [h["key"] for h in json.loads(r.stdout)["results"]]
    s = score(neigh, fams, counts)
    # the CLI's own figures must equal this script's
    assert abs(s["hit@5"] - ev["hit_at_5"]) < 1e-9 and abs(s["mrr@10"] - ev["mrr_at_10"]) < 1e-9, (s, ev)
    fit = (out.get("fit_s") or 0.0) + ((out.get("neighbours") or {}).get("fit_s") or 0.0)
    s.update({"model": label, "fit_s": fit, "wall_s": wall})
    return s


def implicit_rows(fams, counts):
    import numpy as np
    import scipy.sparse as sp
    from implicit.als import AlternatingLeastSquares
    from implicit.bpr import BayesianPersonalizedRanking
    from implicit.nearest_neighbours import BM25Recommender, CosineRecommender, bm25_weight

    users, items = read_ratings(args.ratings)
    ukeys = {k: i for i, k in enumerate(dict.fromkeys(users))}
    ikeys = {k: i for i, k in enumerate(dict.fromkeys(items))}
    inv = {i: k for k, i in ikeys.items()}
    m = sp.csr_matrix((np.ones(len(users), np.float32),
                       ([ukeys[u] for u in users], [ikeys[i] for i in items])),
                      shape=(len(ukeys), len(ikeys)))
    m.data[:] = 1.0  # repeated pairs count once
    m = m.tocsr()

    def neighbours(model):
        out = {}
        for orig, _ in fams:
            if orig not in ikeys:
                continue
            ids, _ = model.similar_items(ikeys[orig], N=11)
            out[orig] = [inv[int(j)] for j in ids if int(j) != ikeys[orig]][:10]
        return out

    recipes = [
        ("implicit ALS", lambda: AlternatingLeastSquares(factors=64, iterations=15, random_state=42,
                                                          num_threads=args.threads), lambda x: x),
        ("implicit ALS on bm25_weight(K1=100, B=0.8)",
         lambda: AlternatingLeastSquares(factors=64, iterations=15, random_state=42,
                                         num_threads=args.threads),
         lambda x: bm25_weight(x.T.tocoo(), K1=100, B=0.8).T.tocsr()),
        ("implicit BPR", lambda: BayesianPersonalizedRanking(factors=64, random_state=42,
                                                             num_threads=args.threads), lambda x: x),
        ("implicit CosineRecommender(K=50)", lambda: CosineRecommender(K=50, num_threads=args.threads),
         lambda x: x),
        ("implicit BM25Recommender(K=50)", lambda: BM25Recommender(K=50, num_threads=args.threads),
         lambda x: x),
    ]
    rows = []
    for label, make, weigh in recipes:
        model = make()
        x = weigh(m).astype(np.float32)
        t0 = time.time()
        model.fit(x, show_progress=False)
        fit = time.time() - t0
        s = score(neighbours(model), fams, counts)
        s.update({"model": label, "fit_s": fit})
        rows.append(s)
    return rows


def main():
    fams = read_families(args.families)
    users, items = read_ratings(args.ratings)
    counts = {}
    seen = set()
    for u, i in zip(users, items):
        if (u, i) not in seen:
            seen.add((u, i))
            counts[i] = counts.get(i, 0) + 1
    rows = []
    if args.only != "implicit":
        extra = [(e.split("|", 1)[0], e.split("|", 1)[1].split()) for e in args.extra]
        with tempfile.TemporaryDirectory() as tmp:
            for label, flags in RECSYS_ROWS + extra:
                rows.append(recsys_row(label, flags, fams, counts, tmp))
    if args.only != "recsys":
        rows.extend(implicit_rows(fams, counts))
    print(f"| model | hit@5 | MRR@10 | mean ratings of the top 10 | fit s |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['model']} | {r['hit@5']:.3f} | {r['mrr@10']:.3f} | {r['count@10']:.0f} | "
              f"{r['fit_s']:.3f} |")
        print(json.dumps(r), file=sys.stderr)
    print(f"\n{rows[0]['families'] if rows else 0} families; mean ratings per item "
          f"{sum(counts.values()) / max(len(counts), 1):.1f}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Serving at scale through a vector database (issue 33, deliverable 4): a table exported with
`recsys export --format parquet` is loaded into LanceDB (embedded) as it is, and LanceDB's
cosine search is compared with `recsys similar --by embedding` for every item: the same
neighbours, in the same order.

Usage: .venv-bench/bin/python benches/lancedb_ingest.py [--recsys target/release/recsys]
       (.venv-bench: pip install lancedb pyarrow)
"""
import argparse
import json
import os
import subprocess
import tempfile

import lancedb
import pyarrow.parquet as pq

ap = argparse.ArgumentParser()
ap.add_argument("--recsys", default="target/release/recsys")
ap.add_argument("--data", default="datasets/synthetic")
ap.add_argument("-k", type=int, default=10)
args = ap.parse_args()
R = os.path.abspath(args.recsys)
tmp = tempfile.mkdtemp(prefix="recsys-lance-")
model, out = os.path.join(tmp, "model"), os.path.join(tmp, "items.parquet")
subprocess.run([R, "train", args.data, "--model", model, "--quiet", "--no-neighbours"], check=True,
               capture_output=True)
subprocess.run([R, "export", "--format", "parquet", "--model", model, "--out", out, "--quiet"],
               check=True, capture_output=True)
t = pq.read_table(out)
db = lancedb.connect(os.path.join(tmp, "lance"))
tb = db.create_table("items", data=t)  # list<float> becomes LanceDB's vector column
keys = t["key"].to_pylist()
vectors = t["vector"].to_pylist()
same_set = same_order = 0
for key, vec in zip(keys, vectors):
    hits = tb.search(vec).metric("cosine").limit(args.k + 1).to_list()
    lance = [h["key"] for h in hits if h["key"] != key][: args.k]
    ours = json.loads(subprocess.run(
        [R, "similar", "--model", model, "--item", key, "--by", "embedding", "-k", str(args.k),
         "--json"], check=True, capture_output=True, text=True).stdout)
    ours = [r["key"] for r in ours["results"]]
    same_set += set(lance) == set(ours)
    same_order += lance == ours
print(f"LanceDB {lancedb.__version__}: {tb.count_rows()} rows, vector column "
      f"{tb.schema.field('vector').type}, title and genres kept")
print(f"top-{args.k} by cosine equal to `recsys similar --by embedding`: same set for "
      f"{same_set}/{len(keys)} items, same order for {same_order}/{len(keys)}")

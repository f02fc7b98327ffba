#!/usr/bin/env python3
"""Write the IMDB sentiment split as recsys reads it (stdlib only).

The labelled reviews (../shared/datasets/imdb-reviews) keep the dataset's own train/test
split (from imdb-reviews-index.tsv.gz). Output, in OUT:
  train-100.tsv, train-10.tsv, train-1.tsv   all / 10 % / 1 % of the 25,000 training reviews
                                             (a seeded sample, stratified by label)
  test.tsv                                    the 25,000 test reviews
Each file: header `label<TAB>review`, label 1 (pos) or 0 (neg), the review quoted CSV-style
(`"` doubled) with TABs replaced by spaces. Derived files are written outside the repository:
the reviews may not be redistributed.

Usage: imdb_sentiment_data.py DATASETS_DIR OUT_DIR [--seed 42]
"""
import argparse
import gzip
import os
import random


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("datasets")
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    d = os.path.join(a.datasets, "imdb-reviews")
    with gzip.open(os.path.join(d, "imdb-reviews-labeled.txt.gz"), "rt", encoding="utf-8") as f:
        lines = f.read().split("\n")
    rows = {"train": [], "test": []}
    with gzip.open(os.path.join(d, "imdb-reviews-index.tsv.gz"), "rt", encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        col = {n: i for i, n in enumerate(header)}
        for line in f:
            r = line.rstrip("\n").split("\t")
            if r[col["label"]] == "unsup" or "labeled" not in r[col["file"]]:
                continue
            text = lines[int(r[col["line"]]) - 1]
            label = 1 if r[col["label"]] == "pos" else 0
            rows[r[col["split"]]].append((label, text))
    os.makedirs(a.out, exist_ok=True)

    def write(name, items):
        with open(os.path.join(a.out, name), "w", encoding="utf-8") as f:
            f.write("label\treview\n")
            for label, text in items:
                t = text.replace("\t", " ").replace('"', '""')
                f.write(f'{label}\t"{t}"\n')

    rng = random.Random(a.seed)
    train = rows["train"][:]
    rng.shuffle(train)
    write("train-100.tsv", train)
    for pct in (10, 1):
        out = []
        for label in (0, 1):
            side = [r for r in train if r[0] == label]
            out += side[: len(side) * pct // 100]
        rng.shuffle(out)
        write(f"train-{pct}.tsv", out)
    write("test.tsv", rows["test"])
    print({k: len(v) for k, v in rows.items()})


if __name__ == "__main__":
    main()

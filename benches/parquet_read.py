#!/usr/bin/env python3
"""Reading interactions at scale: the same generated rows as CSV and as Parquet
(`recsys generate --items M --format csv|parquet`), read by `recsys train` (ALS, 1 iteration,
width 8, no item-KNN table, so the run is mostly reading) and, in the same run, by pandas
(`read_csv`, `read_parquet`) and pyarrow (`pyarrow.csv.read_csv`, `parquet.read_table`): wall
time and peak RSS of the whole process (`/usr/bin/time -f %M`), best of --repeat.

Usage: .venv-bench/bin/python benches/parquet_read.py [--users 65000 --items 25000] [--repeat 2]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ap = argparse.ArgumentParser()
ap.add_argument("--recsys", default="target/release/recsys")
ap.add_argument("--users", type=int, default=65000)
ap.add_argument("--items", type=int, default=25000)
ap.add_argument("--repeat", type=int, default=2)
ap.add_argument("--dir", default=None)
args = ap.parse_args()
R = os.path.abspath(args.recsys)
base = args.dir or tempfile.mkdtemp(prefix="recsys-pq-")
dirs = {}
for fmt in ["csv", "parquet"]:
    d = os.path.join(base, fmt)
    dirs[fmt] = d
    if not os.path.exists(os.path.join(d, f"ratings.{fmt}")):
        subprocess.run([R, "generate", "--out", d, "--items", str(args.items), "--users",
                        str(args.users), "--format", fmt], check=True, capture_output=True)
size = {f: os.path.getsize(os.path.join(dirs[f], f"ratings.{f}")) for f in dirs}


def timed(cmd):
    best = None
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        out = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if out.returncode != 0:
            sys.exit(out.stderr)
        rss = int(out.stderr.strip().splitlines()[-1]) / 1024
        if best is None or wall < best[0]:
            best = (wall, rss, out.stdout)
    return best


py = sys.executable
rows = []
for fmt in ["csv", "parquet"]:
    f = os.path.join(dirs[fmt], f"ratings.{fmt}")
    wall, rss, out = timed([R, "train", f, "--model", os.path.join(base, "m-" + fmt), "--quiet",
                            "--json", "--no-neighbours", "--epochs", "1", "--dim", "8",
                            "--threads", "2"])
    info = json.loads(out)
    rows.append((f"recsys train (ALS, 1 iteration) on {fmt}", wall, rss, info.get("fit_s")))
    n = info["interactions"]
    if fmt == "csv":
        code = f"import pandas as pd; d = pd.read_csv({f!r}); print(len(d))"
        rows.append(("pandas.read_csv", *timed([py, "-c", code])[:2], None))
        code = f"import pyarrow.csv as c; t = c.read_csv({f!r}); print(t.num_rows)"
        rows.append(("pyarrow.csv.read_csv (threads)", *timed([py, "-c", code])[:2], None))
    else:
        code = f"import pandas as pd; d = pd.read_parquet({f!r}); print(len(d))"
        rows.append(("pandas.read_parquet", *timed([py, "-c", code])[:2], None))
        code = f"import pyarrow.parquet as pq; t = pq.read_table({f!r}); print(t.num_rows)"
        rows.append(("pyarrow.parquet.read_table (threads)", *timed([py, "-c", code])[:2], None))
print(f"{n:,} interactions; ratings.csv {size['csv'] / 2**20:.0f} MiB, "
      f"ratings.parquet {size['parquet'] / 2**20:.0f} MiB (zstd)")
print()
print("| reader | wall (s) | peak RSS (MiB) | of which ALS fit (s) |")
print("| --- | ---: | ---: | ---: |")
for name, wall, rss, fit in rows:
    print(f"| {name} | {wall:.2f} | {rss:.0f} | {'' if fit is None else f'{fit:.2f}'} |")

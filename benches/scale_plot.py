#!/usr/bin/env python3
"""Log-log plot of `benches/scale.sh`'s table: fit time and peak RSS against interactions,
one line per tool. Usage: scale_plot.py TABLE.md OUT.png   (matplotlib)"""
import collections
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    f = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(f) < 7 or not f[1].isdigit():
        continue
    tool = "recsys" if f[2].startswith("recsys") else f[2].split(" (")[0]
    rows[tool].append((int(f[1]), float(f[5]), float(f[4])))
fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
for tool, pts in sorted(rows.items()):
    pts.sort()
    n = [p[0] for p in pts]
    a.loglog(n, [p[1] for p in pts], "o-", label=tool)
    b.loglog(n, [p[2] for p in pts], "o-", label=tool)
for ax, title, unit in [(a, "ALS fit time (64 factors, 15 iterations, 2 threads)", "seconds"),
                        (b, "peak RSS of the whole process", "MiB")]:
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("interactions")
    ax.set_ylabel(unit)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=100)

#!/usr/bin/env python3
"""Exact top-10 by inner product over normalised rows, numpy brute force and faiss IndexFlatIP,
on the tables benches/search.rs writes (same data, same queries). Prints one JSON line.
Usage: search_peers.py DIR THREADS"""
import json, os, sys, time
d, threads = sys.argv[1], int(sys.argv[2])
os.environ.setdefault("OMP_NUM_THREADS", str(threads))
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(threads))
import numpy as np  # noqa: E402
try:
    import faiss  # noqa: E402
    faiss.omp_set_num_threads(threads)
except ImportError:
    faiss = None
out = {"numpy": np.__version__, "faiss": getattr(faiss, "__version__", None), "tables": {}}
for name in sorted(f[:-4] for f in os.listdir(d) if f.endswith(".npy") and not f.endswith(".q.npy")):
    t = np.load(os.path.join(d, name + ".npy"))
    q = np.load(os.path.join(d, name + ".q.npy"))
    t /= np.linalg.norm(t, axis=1, keepdims=True)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    r = {"rows": t.shape[0], "dim": t.shape[1]}
    def np_top(qs):
        s = qs @ t.T
        idx = np.argpartition(-s, 10, axis=1)[:, :10]
        part = np.take_along_axis(s, idx, 1)
        return np.take_along_axis(idx, np.argsort(-part, axis=1), 1)
    lat = []
    for i in range(min(100, len(q))):
        t0 = time.perf_counter(); np_top(q[i:i + 1]); lat.append(time.perf_counter() - t0)
    r["numpy_single_ms"] = float(np.median(lat) * 1e3)
    t0 = time.perf_counter(); np_ids = np_top(q); r["numpy_batch_qps"] = len(q) / (time.perf_counter() - t0)
    if faiss is not None:
        ix = faiss.IndexFlatIP(t.shape[1]); ix.add(t)
        lat = []
        for i in range(min(100, len(q))):
            t0 = time.perf_counter(); ix.search(q[i:i + 1], 10); lat.append(time.perf_counter() - t0)
        r["faiss_single_ms"] = float(np.median(lat) * 1e3)
        t0 = time.perf_counter(); _, f_ids = ix.search(q, 10); r["faiss_batch_qps"] = len(q) / (time.perf_counter() - t0)
        r["faiss_numpy_top1_agree"] = float((f_ids[:, 0] == np_ids[:, 0]).mean())
        # HNSW at efSearch 64..256 for the recall/throughput comparison
        if t.shape[0] >= 100000 and os.environ.get("RECSYS_BENCH_HNSW", "1") == "1":
            h = faiss.IndexHNSWFlat(t.shape[1], 16, faiss.METRIC_INNER_PRODUCT)
            h.hnsw.efConstruction = 100
            t0 = time.perf_counter(); h.add(t); r["faiss_hnsw_build_s"] = time.perf_counter() - t0
            for ef in (32, 64, 128, 256):
                h.hnsw.efSearch = ef
                t0 = time.perf_counter(); _, h_ids = h.search(q, 10); qps = len(q) / (time.perf_counter() - t0)
                rec = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(h_ids, np_ids)])
                r[f"faiss_hnsw_ef{ef}"] = {"qps": qps, "recall@10": float(rec)}
    r["numpy_ids"] = np_ids[:, :10].tolist()
    out["tables"][name] = r
print(json.dumps(out))

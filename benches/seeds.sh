#!/usr/bin/env bash
# Seed spread on ML-100K leave_last_out (issue 4): one test item per user, so one run's NDCG@10
# moves by a few thousandths with the seed. implicit ALS conf1, conf41 and BPR vs recsys als
# (implicit's two models at implicit's λ 0.05, and the same confidences and sizes at the λ chosen
# on validation splits: 10 for c = 1, 50 for c = 41), bpr and bpr --warp, seeds 1..6 each
# (RECSYS_SEEDS=1,2,… for others), 2 threads, the same split files; prints one JSON line per
# run, the means, and for each recsys model beside implicit's the difference of the means with
# its standard error (the seeds of the two libraries draw independently, so the samples are
# independent, not paired).
# Usage: [RECSYS_SEEDS=1,…,30] benches/seeds.sh [python-with-implicit] [SPLIT]
set -euo pipefail
cd "$(dirname "$0")/.."
py=${1:-${RECSYS_BENCH_PYTHON:-.venv-bench/bin/python}}
split=${2:-leave_last_out}
S=../shared/peers/splits
seeds=${RECSYS_SEEDS:-1,2,3,4,5,6}
cargo build --release -q
out=$(mktemp)
"$py" benches/implicit_seeds.py "$split" "$seeds" | tee "$out"
# label|arguments of each recsys run (the labels pair with implicit_seeds.py's below)
runs=("als_conf1|als --alpha 0 --reg 0.05 --dim 64 --epochs 15"
      "als_conf41|als --alpha 40 --reg 0.05 --dim 64 --epochs 15"
      "als_conf1_reg10|als --alpha 0 --reg 10 --dim 64 --epochs 15"
      "als_conf41_reg50|als --alpha 40 --reg 50 --dim 64 --epochs 15"
      "bpr|bpr"
      "bpr --warp|bpr --warp")
for seed in ${seeds//,/ }; do
  for run in "${runs[@]}"; do
    target/release/recsys eval --algo ${run#*|} --seed "$seed" --threads 2 \
      --train "$S/ml-100k.$split.train.tsv" --test "$S/ml-100k.$split.test.tsv" --json --quiet |
      ALGO="${run%%|*}" SEED=$seed SPLIT=$split python3 -c "
import json,os,sys
d=json.loads(sys.stdin.read())
print(json.dumps({'lib':'recsys','algo':os.environ['ALGO'],'split':os.environ['SPLIT'],'seed':int(os.environ['SEED']),'ndcg@10':round(d['ndcg@10'],4),'hr@10':round(d['hr@10'],4)}))"
  done
done | tee -a "$out"
python3 - "$out" <<'PY'
import json, sys, statistics as st
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
groups = {}
for r in rows:
    groups.setdefault((r["lib"], r["algo"]), []).append(r)
for (lib, algo), rs in groups.items():
    n = [r["ndcg@10"] for r in rs]; h = [r["hr@10"] for r in rs]
    print(json.dumps({"summary": f"{lib} {algo}", "runs": len(rs), "ndcg@10_mean": round(st.mean(n), 4),
                      "ndcg@10_sd": round(st.stdev(n), 4), "ndcg@10_min": min(n), "ndcg@10_max": max(n),
                      "hr@10_mean": round(st.mean(h), 4)}))
def diff(ours, peer, key):
    a = [r[key] for r in groups.get(("recsys", ours), [])]
    b = [r[key] for r in groups.get(("implicit", peer), [])]
    if len(a) < 2 or len(b) < 2:
        return None
    se = (st.variance(a) / len(a) + st.variance(b) / len(b)) ** 0.5
    return round(st.mean(a) - st.mean(b), 4), round(se, 4)
for ours, peer in (("als_conf1", "als_conf1"), ("als_conf41", "als_conf41"), ("als_conf1_reg10", "als_conf1"),
                   ("als_conf41_reg50", "als_conf41"), ("bpr", "bpr"), ("bpr --warp", "bpr")):
    d = {k: diff(ours, peer, k) for k in ("ndcg@10", "hr@10")}
    if all(d.values()):
        print(json.dumps({"recsys_minus_implicit": f"{ours} - {peer}",
                          "ndcg@10": d["ndcg@10"][0], "ndcg@10_se": d["ndcg@10"][1],
                          "hr@10": d["hr@10"][0], "hr@10_se": d["hr@10"][1]}))
PY
rm -f "$out"

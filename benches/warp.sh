#!/usr/bin/env bash
# BPR and WARP beside implicit BPR and LightFM WARP (issue 4), one run, same split files:
# ML-100K time80_20_per_user (and leave_last_out for recsys and implicit), 2 threads; the
# hybrid (--item-features, genres from u.item) with the BPR and the WARP loss beside LightFM's.
# Usage: benches/warp.sh [python-with-implicit-and-lightfm] > warp.jsonl
set -euo pipefail
cd "$(dirname "$0")/.."
py=${1:-${RECSYS_BENCH_PYTHON:-.venv-bench/bin/python}}
P=../shared/peers
S=$P/splits
cargo build --release -q
bin=target/release/recsys
"$py" $P/mf_implicit.py --threads 2 | python3 -c "
import json,sys
d=json.loads(sys.stdin.read())
for r in d['runs']:
    if r.get('algo') in ('BPR', 'popularity'):
        print(json.dumps({'lib':'implicit', **{k:r[k] for k in r if k in ('split','algo','ndcg@10','hr@10','precision@10','fit_s')}}))"
"$py" $P/lightfm_warp.py --threads 2 | python3 -c "
import json,sys
d=json.loads(sys.stdin.read())
for r in d['runs']:
    print(json.dumps({'lib':'lightfm','split':'time80_20_per_user','variant':r['variant'], **{k:r[k] for k in r if k in ('ndcg@10','hr@10','precision@10','fit_s')}}))"
items=../shared/datasets/movielens-100k/u.item
for split in time80_20_per_user leave_last_out; do
  for args in "" "--warp" "--item-features --items $items" "--item-features --warp --items $items"; do
    "$bin" eval --algo bpr $args --threads 2 --train "$S/ml-100k.$split.train.tsv" \
      --test "$S/ml-100k.$split.test.tsv" --json --quiet | SPLIT=$split ARGS="$args" ITEMS="$items" python3 -c "
import json,os,sys
d=json.loads(sys.stdin.read())
print(json.dumps({'lib':'recsys','split':os.environ['SPLIT'],'variant':'bpr '+os.environ['ARGS'].replace(os.environ.get('ITEMS','@'),'u.item'), **{k:round(d[k],4) for k in d if k in ('ndcg@10','hr@10','precision@10','fit_s')}}))"
  done
done

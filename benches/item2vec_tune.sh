#!/usr/bin/env bash
# item2vec defaults, chosen on a validation split: the training file of ML-100K leave-last-out
# (../shared/peers/splits, written by the peers) is split again, each user's last *training*
# item held out (`--split leave-last-out`), so the test items are never seen while choosing.
# One factor at a time around the defaults (window 50, ns-exponent 0, 20 epochs, a query of
# the last 20 items with each older one weighing 0.7 of the next: history 20, history-decay 0.7),
# mean of two seeds; popularity printed beside. The chosen settings are then reported on the
# test split by benches/word2vec.sh (RECSYS_W2V_RUNS=item2vec), beside gensim.
# Usage: benches/item2vec_tune.sh [leave_last_out train file]   (prints a Markdown table)
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/peers/splits/ml-100k.leave_last_out.train.tsv}
seeds=${RECSYS_TUNE_SEEDS:-1 2}
cargo build --release -q
bin=target/release/recsys
echo "| settings (validation split) | HR@10 | NDCG@10 | popularity HR@10 | fit_s |"
echo "| --- | ---: | ---: | ---: | ---: |"
run() {
  for s in $seeds; do
    "$bin" --json eval "$data" --algo item2vec --split leave-last-out --threads 2 --seed "$s" "$@"
  done | python3 -c "
import json, sys
rs = [json.loads(l) for l in sys.stdin if l.startswith('{')]
m = lambda k: sum(r[k] for r in rs) / len(rs)
print('| %s | %.4f | %.4f | %.4f | %.2f |' % ('$*' or 'defaults', m('hr@10'), m('ndcg@10'), m('hr@10_popularity'), m('fit_s')))"
}
run
for w in 5 20 100; do run --window "$w"; done
for a in 0.75 0.5 1.0 -0.5; do run --ns-exponent "$a"; done
for e in 10 40; do run --epochs "$e"; done
for s in 1e-2 1e-4 0; do run --sample "$s"; done
run --history 1
for h in 3 5; do run --history "$h" --history-decay 1; done
for d in 0.5 0.6 0.8 0.9; do run --history-decay "$d"; done
for n in 10 15; do run --negative "$n"; done
run --dim 128
run --cbow
# the peer's settings (gensim defaults but window 50, 10 epochs, the mean of the last 5 items)
run --window 50 --ns-exponent 0.75 --epochs 10 --history 5 --history-decay 1

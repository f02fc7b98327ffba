#!/usr/bin/env bash
# item2vec on ML-100K leave-last-out: one factor at a time (window, noise exponent, epochs,
# subsampling, query history) to choose the defaults; popularity printed beside.
# Usage: benches/item2vec_tune.sh [u.data]   (prints a Markdown table)
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/datasets/movielens-100k/u.data}
cargo build --release -q
bin=target/release/recsys
echo "| settings | HR@10 | NDCG@10 | popularity HR@10 | fit_s |"
echo "| --- | ---: | ---: | ---: | ---: |"
run() {
  "$bin" --json eval "$data" --algo item2vec --split leave-last-out --threads 2 "$@" |
    python3 -c "import json,sys; d=json.load(sys.stdin); print('| $* | %.4f | %.4f | %.4f | %.2f |' % (d['hr@10'], d['ndcg@10'], d['hr@10_popularity'], d['fit_s']))"
}
for w in 5 10 20 50 100 200; do run --window "$w"; done
for a in 1.0 0.5 0.0 -0.5; do run --window 50 --ns-exponent "$a"; done
for e in 5 20 40; do run --window 50 --epochs "$e"; done
for s in 1e-2 1e-4 0; do run --window 50 --sample "$s"; done
for h in 1 3 10; do run --window 50 --history "$h"; done
run --window 50 --cbow
run --window 50 --unbatched

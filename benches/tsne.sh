#!/usr/bin/env bash
# t-SNE on 10,000 word vectors (issue 10): recsys plot (Barnes-Hut, θ 0.5, perplexity 30, 1,000
# iterations, PCA-50 first, PCA init) beside scikit-learn's TSNE with the same settings on the
# same rows (the 10,000 most frequent words of a word2vec model trained on the IMDB unlabelled
# reviews), 2 threads, one run. Also a PCA map for the record.
# Usage: benches/tsne.sh [python-with-scikit-learn] > tsne.jsonl
set -euo pipefail
cd "$(dirname "$0")/.."
py=${1:-${RECSYS_BENCH_PYTHON:-python3}}
D=${RECSYS_DATASETS:-../shared/datasets}
W=${RECSYS_BENCH_DIR:-/tmp/recsys-tsne}
mkdir -p "$W"
cargo build --release -q
bin=target/release/recsys
if [ ! -f "$W/w2v/manifest.json" ]; then
  "$bin" --quiet train "$D/imdb-reviews/imdb-reviews-unsup.txt.gz" --algo word2vec --threads 2 --model "$W/w2v" >&2
fi
"$bin" --quiet export --format npy --model "$W/w2v" --out "$W/words.npy" >&2
"$bin" --json plot --model "$W/w2v" --max-points 10000 --threads 2 --out "$W/map.png" \
  | python3 -c "import json,sys; d=json.load(sys.stdin); print(json.dumps({'lib':'recsys','points':d['points'],'seconds':d['seconds'],'kl_final':d['kl_final'],'labels_placed':d['labels_placed']}))"
"$py" benches/tsne_sklearn.py "$W/words.npy" --n 10000 --threads 2
"$bin" --json plot --model "$W/w2v" --method pca --max-points 10000 --threads 2 --out "$W/map-pca.png" \
  | python3 -c "import json,sys; d=json.load(sys.stdin); print(json.dumps({'lib':'recsys-pca','points':d['points'],'seconds':d['seconds'],'explained':d['explained']}))"

#!/usr/bin/env bash
# GloVe and LSA (issue 11) beside our word2vec and gensim's word2vec, one run, same corpus,
# same evaluation: IMDB (both files), min_count 5, dim 100, 2 threads; analogy accuracy on
# questions-words.txt (restrict 300,000, OOV skipped), Spearman on WordSim-353 / SimLex-999.
#   word2vec: skip-gram + NS, window 5, 5 epochs (recsys and gensim 4.4.0, benches/gensim_w2v.py)
#   glove:    window 10, x_max 10, α 0.75, lr 0.05, 15 epochs (the defaults), and 30 epochs
#   lsa:      window 5, PPMI with cds 0.75, eig 0.5 (the defaults), and log-count weighting
# Usage: benches/text_models.sh [python-with-gensim] > results.jsonl   (~25 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
py=${1:-${RECSYS_BENCH_PYTHON:-python3}}
D=${RECSYS_DATASETS:-../shared/datasets}
E=$D/word-embedding-eval
I=$D/imdb-reviews
cargo build --release -q
bin=target/release/recsys
run() { # label, args...
  local label=$1; shift
  local t; t=$( { /usr/bin/time -f "%M" "$@" > /tmp/recsys-text-bench.json; } 2>&1 | tail -1 )
  python3 -c "import json,sys; d=json.load(open('/tmp/recsys-text-bench.json')); d.pop('analogy_sections',None); d['bench']='$label'; d['peak_rss_kb_time']=$t; print(json.dumps(d))"
}
words=(eval "$I/imdb-reviews-labeled.txt.gz" "$I/imdb-reviews-unsup.txt.gz" --threads 2
       --analogies "$E/questions-words.txt" --word-pairs "$E/wordsim353.tsv" --word-pairs "$E/simlex999.txt" --json)
run recsys-word2vec-sg "$bin" "${words[@]}" --algo word2vec
run gensim-word2vec-sg "$py" benches/gensim_w2v.py --imdb "$I" --eval "$E" --sg 1
run recsys-glove-15ep "$bin" "${words[@]}" --algo glove
run recsys-glove-30ep "$bin" "${words[@]}" --algo glove --epochs 30
run recsys-lsa-ppmi "$bin" "${words[@]}" --algo lsa
run recsys-lsa-logcount "$bin" "${words[@]}" --algo lsa --weighting log-count

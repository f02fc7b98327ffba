#!/usr/bin/env bash
# word2vec / item2vec beside gensim, same corpus, same settings, one run (issue 5).
#   IMDB (both files), dim 100, window 5, min_count 5, sample 1e-3, 5 epochs, 2 threads:
#   skip-gram + NS, CBOW + NS, skip-gram + HS (negative 0); skip-gram + NS also at 1 thread.
#   ML-100K leave-last-out item2vec (the peer's settings: dim 64, windows 5 and 50, 10 epochs).
# Usage: benches/word2vec.sh [python-with-gensim] > results.jsonl   (one JSON line per run)
#   RECSYS_W2V_RUNS="sg cbow hs 1t item2vec" (the default) picks the parts to run;
#   RECSYS_W2V_SEEDS="42 1" (the default) the skip-gram + NS seeds, RECSYS_W2V_HS_SEEDS="42" the
#   skip-gram + HS ones, RECSYS_W2V_1T_SEEDS="42" the one-thread skip-gram + NS ones (at one
#   seed both tools start from the same vectors: recsys draws gensim's initialisation,
#   models::word2vec::init);
#   RECSYS_W2V_REPEATS=1 (the default) the alternating CBOW pairs ("cbow-lr" in RUNS adds,
#   to each, recsys at gensim's learning rate 0.025 and gensim at recsys's CBOW rate 0.05).
# Needs ../shared/datasets; takes about 45 minutes on 2 cores.
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
  local t; t=$( { /usr/bin/time -f "%M" "$@" > /tmp/recsys-bench.json; } 2>&1 | tail -1 )
  python3 -c "import json,sys; d=json.load(open('/tmp/recsys-bench.json')); d.pop('analogy_sections',None); d['bench']='$label'; d['peak_rss_kb_time']=$t; print(json.dumps(d))"
}
words=(eval "$I/imdb-reviews-labeled.txt.gz" "$I/imdb-reviews-unsup.txt.gz" --algo word2vec
       --analogies "$E/questions-words.txt" --word-pairs "$E/wordsim353.tsv" --word-pairs "$E/simlex999.txt" --json)
parts=" ${RECSYS_W2V_RUNS:-sg cbow hs 1t item2vec} "
want() { [[ $parts == *" $1 "* ]]; }
if want sg; then
  for seed in ${RECSYS_W2V_SEEDS:-42 1}; do
    run "recsys-sg-ns-2t-seed$seed" "$bin" "${words[@]}" --threads 2 --seed "$seed"
    run "gensim-sg-ns-2t-seed$seed" "$py" benches/gensim_w2v.py --imdb "$I" --eval "$E" --sg 1 --seed "$seed"
  done
fi
if want cbow; then
  # RECSYS_W2V_REPEATS alternating pairs (default 1): this VM's speed drifts by ±20 % between
  # minutes, so a ratio from one pair can land on either side of a threshold
  for rep in $(seq 1 "${RECSYS_W2V_REPEATS:-1}"); do
    run "recsys-cbow-ns-2t-rep$rep" "$bin" "${words[@]}" --threads 2 --cbow
    run "gensim-cbow-ns-2t-rep$rep" "$py" benches/gensim_w2v.py --imdb "$I" --eval "$E" --sg 0
    if want cbow-lr; then
      # each default learning rate on the other side too (recsys --cbow: 0.05; gensim: 0.025)
      run "recsys-cbow-ns-2t-lr0.025-rep$rep" "$bin" "${words[@]}" --threads 2 --cbow --lr 0.025
      run "gensim-cbow-ns-2t-alpha0.05-rep$rep" "$py" benches/gensim_w2v.py --imdb "$I" --eval "$E" --sg 0 --alpha 0.05
    fi
  done
fi
if want hs; then
  for seed in ${RECSYS_W2V_HS_SEEDS:-42}; do
    run "recsys-sg-hs-2t-seed$seed" "$bin" "${words[@]}" --threads 2 --hs --negative 0 --seed "$seed"
    run "gensim-sg-hs-2t-seed$seed" "$py" benches/gensim_w2v.py --imdb "$I" --eval "$E" --sg 1 --hs 1 --negative 0 --seed "$seed"
  done
fi
if want 1t; then
  for seed in ${RECSYS_W2V_1T_SEEDS:-42}; do
    run "recsys-sg-ns-1t-seed$seed" "$bin" "${words[@]}" --threads 1 --seed "$seed"
    run "gensim-sg-ns-1t-seed$seed" "$py" benches/gensim_w2v.py --imdb "$I" --eval "$E" --sg 1 --threads 1 --seed "$seed"
  done
fi
want item2vec || exit 0
# item2vec on ML-100K leave-last-out: the gensim peer (dim 64, windows 5 and 50, 10 epochs,
# query = last 5 items), recsys with the peer's settings, and recsys with its defaults
"$py" ../shared/peers/item2vec_gensim.py --datasets ml-100k --windows 5,50 --imdb skip --text8 skip --threads 2
for w in 5 50; do
  run "recsys-item2vec-peer-settings-w$w" "$bin" --json eval "$D/movielens-100k/u.data" --algo item2vec \
    --split leave-last-out --threads 2 --window "$w" --epochs 10 --ns-exponent 0.75 --history 5 --history-decay 1
done
for w in 5 50; do # the same with the last item as the query (the peer's hr@10_last1)
  run "recsys-item2vec-peer-settings-w$w-last1" "$bin" --json eval "$D/movielens-100k/u.data" --algo item2vec \
    --split leave-last-out --threads 2 --window "$w" --epochs 10 --ns-exponent 0.75 --history 1
done
run recsys-item2vec-defaults "$bin" --json eval "$D/movielens-100k/u.data" --algo item2vec --split leave-last-out --threads 2
# the defaults' query beside the last item alone and the mean of the last 5 (benches/item2vec_tune.sh)
run recsys-item2vec-history1 "$bin" --json eval "$D/movielens-100k/u.data" --algo item2vec --split leave-last-out --threads 2 --history 1
run recsys-item2vec-history5-mean "$bin" --json eval "$D/movielens-100k/u.data" --algo item2vec --split leave-last-out --threads 2 --history 5 --history-decay 1

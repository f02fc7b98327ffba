#!/usr/bin/env bash
# The transfer experiment of issue 11, end to end from the CLI:
#   word2vec and GloVe trained on the IMDB *unlabelled* reviews (2 threads, defaults) →
#   a DNN sentiment classifier on the *labelled* reviews (the dataset's train/test split) whose
#   text column (mean of word vectors → 64-32 ReLU MLP) starts from those vectors, frozen or
#   fine-tuned, or from random init — at 1 %, 10 % and 100 % of the labelled training reviews.
# Every classifier run: Adagrad lr 0.05, 10 % of its training reviews held out for early
# stopping (patience 10; at most 100 / 50 / 20 epochs and batch 32 / 64 / 256 for 1 / 10 /
# 100 %), seed 42. (With patience 3 the frozen runs stopped at epoch 1 on the 25 validation
# reviews of the 1 % set: a frozen table leaves only the MLP to learn, which takes many more
# epochs — see BENCHMARKS.md.)
# The text column takes the prior's vocabulary (vocabulary_from), so all three inits see the
# same words; "random (learned vocab)" is the shipped schema (words of the training reviews).
# PROTOCOL=fixed instead trains every classifier for a fixed budget without a validation
# split: 100 / 40 / 10 epochs for 1 / 10 / 100 %.
# Usage: [PROTOCOL=early|fixed] benches/sentiment.sh > results.jsonl   (one JSON line per run;
#        ~5 min on 2 cores once the two priors are trained)
set -euo pipefail
cd "$(dirname "$0")/.."
D=${RECSYS_DATASETS:-../shared/datasets}
W=${RECSYS_BENCH_DIR:-/tmp/recsys-sentiment}
cargo build --release -q
bin=$PWD/target/release/recsys
python3 benches/imdb_sentiment_data.py "$D" "$W" >&2
U=$D/imdb-reviews/imdb-reviews-unsup.txt.gz
for prior in word2vec glove; do
  if [ ! -f "$W/$prior/manifest.json" ]; then
    "$bin" --json train "$U" --algo "$prior" --threads 2 --model "$W/$prior" \
      | python3 -c "import json,sys; d=json.load(sys.stdin); print(json.dumps({'bench':'prior-$prior','fit_s':d['fit_s'],'vocab':d['vocab']}))"
  fi
  sed "s|^min_count = 2|vocabulary_from = \"$W/$prior\"|" schemas/imdb-sentiment.toml > "$W/schema-$prior.toml"
done
PROTOCOL=${PROTOCOL:-early}
if [ "$PROTOCOL" = fixed ]; then stop=(); else stop=(--validation 0.1 --patience 10); fi
run() { # label, args...
  local label="$PROTOCOL-$1"; shift
  "$bin" --json eval --algo dnn --test "$W/test.tsv" --threads 2 "${stop[@]}" "$@" \
    | python3 -c "import json,sys; d=json.load(sys.stdin); print(json.dumps({'bench':'$label','auc':d['auc'],'accuracy':d['accuracy'],'logloss':d['logloss'],'best_epoch':d['best_epoch'],'train_examples':d['train_examples'],'fit_s':d['fit_s'],'init':d.get('init')}))"
}
for pct in 1 10 100; do
  case $pct in 1) b=32; e=100;; 10) b=64; e=50;; *) b=256; e=20;; esac
  if [ "$PROTOCOL" = fixed ]; then case $pct in 1) e=100;; 10) e=40;; *) e=10;; esac; fi
  common=(--train "$W/train-$pct.tsv" --batch "$b" --epochs "$e")
  run "pct$pct-random-learned-vocab" --schema schemas/imdb-sentiment.toml "${common[@]}"
  for prior in word2vec glove; do
    s=(--schema "$W/schema-$prior.toml")
    run "pct$pct-$prior-random" "${s[@]}" "${common[@]}"
    run "pct$pct-$prior-frozen" "${s[@]}" "${common[@]}" --init-from "$W/$prior" --init-tensor word/embedding --freeze
    run "pct$pct-$prior-finetuned" "${s[@]}" "${common[@]}" --init-from "$W/$prior" --init-tensor word/embedding
  done
done

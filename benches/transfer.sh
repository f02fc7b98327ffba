#!/usr/bin/env bash
# Transfer into the DNN (issue 7): the DNN's item table (width 6 by the fourth-root rule) starts
# from item vectors learned by item2vec (and by ALS) on the same training split, fine-tuned or
# frozen, against random initialisation; AUC/log-loss after 1 and after 5 epochs, mean of
# seeds 42, 1, 2. ML-100K random80_20_seed42 (the peers' split files; run benches/dnn.sh or any
# peer once to write them). Usage: benches/transfer.sh > results.jsonl (summary on stderr).
set -euo pipefail
cd "$(dirname "$0")/.."
D=${RECSYS_DATASETS:-../shared/datasets}
S=${PEERS_SPLIT_DIR:-$PWD/target/peer-splits}/ml-100k.random80_20_seed42
test -f "$S.train.tsv" || { echo "missing $S.train.tsv: run benches/dnn.sh first" >&2; exit 1; }
cargo build --release -q
bin=target/release/recsys
W=target/bench-transfer
mkdir -p "$W"
# priors from the training split only (no test interactions)
"$bin" train "$S.train.tsv" --algo item2vec --dim 6 --model "$W/item2vec" --quiet
"$bin" train "$S.train.tsv" --algo als --dim 6 --model "$W/als" --quiet
out=$W/results.jsonl
: > "$out"
for ep in 1 5; do
  for seed in 42 1 2; do
    for mode in random item2vec-fine-tuned item2vec-frozen als-fine-tuned; do
      case $mode in
        random) extra=() ;;
        item2vec-fine-tuned) extra=(--init-from "$W/item2vec") ;;
        item2vec-frozen) extra=(--init-from "$W/item2vec" --freeze) ;;
        als-fine-tuned) extra=(--init-from "$W/als") ;;
      esac
      "$bin" eval "$D/movielens-100k" --algo dnn --schema schemas/movielens-100k.toml \
        --train "$S.train.tsv" --test "$S.test.tsv" --epochs "$ep" --seed "$seed" --threads 2 \
        "${extra[@]}" --json |
        python3 -c "import json,sys; d=json.load(sys.stdin); d['mode']='$mode'; d['seed']=$seed; print(json.dumps(d))" >> "$out"
    done
  done
done
cat "$out"
python3 - "$out" >&2 <<'EOF'
import json, statistics as st, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("| item table starts from | AUC, 1 epoch | log-loss, 1 epoch | AUC, 5 epochs | log-loss, 5 epochs |")
print("| --- | --- | --- | --- | --- |")
for mode in ["random", "item2vec-fine-tuned", "item2vec-frozen", "als-fine-tuned"]:
    cell = []
    for ep in (1, 5):
        r = [x for x in rows if x["mode"] == mode and x["params"]["epochs"] == ep]
        cell += [f"{st.mean(x['auc'] for x in r):.4f}", f"{st.mean(x['logloss'] for x in r):.4f}"]
    print(f"| {mode} | " + " | ".join(cell) + " |")
EOF

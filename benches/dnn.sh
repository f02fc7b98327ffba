#!/usr/bin/env bash
# DNN over feature columns beside the PyTorch peer (issue 6), same split, same run:
#   ML-100K random80_20_seed42 (the peer's split files), the peer's columns, dims, network
#   (64-32 ReLU), optimiser (Adagrad 0.05), batch 512 and 5 epochs; 2 threads, alternating
#   runs, median of 3; recsys at 1 thread too. Then a column ablation (recsys, mean of 3 seeds):
#   without the day×hour cross, without genres, without the user side features, ids only;
#   and every table initialised like PyTorch's nn.Embedding (std 1) instead of std 0.05.
# Usage: benches/dnn.sh [python-with-torch-and-sklearn] > results.jsonl ; the markdown summary
# goes to stderr. Needs ../shared/datasets and ../shared/peers; takes about 3 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${1:-${RECSYS_BENCH_PYTHON:-python3}}
D=${RECSYS_DATASETS:-../shared/datasets}
P=${RECSYS_PEERS:-../shared/peers}
export PEERS_SPLIT_DIR=$PWD/target/peer-splits
mkdir -p "$PEERS_SPLIT_DIR" target/bench-dnn
cargo build --release -q
bin=target/release/recsys
out=target/bench-dnn/results.jsonl
: > "$out"
S=$PEERS_SPLIT_DIR/ml-100k.random80_20_seed42
recsys_eval() { # label schema threads seed
  "$bin" eval "$D/movielens-100k" --algo dnn --schema "$2" --train "$S.train.tsv" --test "$S.test.tsv" \
    --threads "$3" --seed "$4" --json |
    python3 -c "import json,sys; d=json.load(sys.stdin); d['bench']='$1'; d['seed']=$4; print(json.dumps(d))" >> "$out"
}
# the peer writes the split files on its first run
for r in 1 2 3; do
  "$py" "$P/dnn_torch.py" --threads 2 | python3 -c "import json,sys; d=json.load(sys.stdin); r=d['runs'][0]; r['bench']='torch-2t'; r['version']=d['version']; print(json.dumps(r))" >> "$out"
  recsys_eval recsys-2t schemas/movielens-100k.toml 2 42
  recsys_eval recsys-1t schemas/movielens-100k.toml 1 42
done
# ablation: schema variants without some [[embeddings]] entries
ablate() { # label columns-to-drop...
  local label=$1; shift
  local f=target/bench-dnn/$label.toml
  python3 - "$f" "$@" <<'EOF'
import re, sys
out, drop = sys.argv[1], set(sys.argv[2:])
text = open("schemas/movielens-100k.toml").read()
blocks = re.split(r"(?=\n\[\[embeddings\]\])", text)
keep = [b for b in blocks if not (b.startswith("\n[[embeddings]]") and re.search(r'column = "([^"]+)"', b).group(1) in drop)]
open(out, "w").write("".join(keep))
EOF
  for seed in 42 1 2; do recsys_eval "ablation-$label" "$f" 2 "$seed"; done
}
ablate all
ablate no-day-x-hour day_x_hour
ablate no-genres genres
ablate no-user-side age gender occupation
ablate ids-only genres age gender occupation day_x_hour
# PyTorch's nn.Embedding initialisation, N(0, 1), instead of the schema default (std 0.05)
python3 - <<'EOF2'
import re
t = open("schemas/movielens-100k.toml").read()
t = re.sub(r'(\[\[embeddings\]\]\ncolumn = "[^"]+"\n)', r'\1initializer = { kind = "truncated_normal", std = 1.0 }\n', t)
open("target/bench-dnn/init-std1.toml", "w").write(t)
EOF2
for seed in 42 1 2; do recsys_eval ablation-init-std1 target/bench-dnn/init-std1.toml 2 "$seed"; done
cat "$out"
python3 - "$out" >&2 <<'EOF'
import json, statistics as st, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {}
for r in rows:
    by.setdefault(r["bench"], []).append(r)
med = lambda b, k: st.median(r[k] for r in by[b])
t = "torch-2t"
print(f"torch {by[t][0]['version']}; medians of {len(by[t])} alternating runs\n")
print("| run | auc | logloss | accuracy | fit_s | examples/s | vs torch |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for b in ["torch-2t", "recsys-2t", "recsys-1t"]:
    print(f"| {b} | {med(b,'auc'):.4f} | {med(b,'logloss'):.4f} | {med(b,'accuracy'):.4f} | "
          f"{med(b,'fit_s'):.3f} | {med(b,'examples_per_s'):,.0f} | "
          f"{med(b,'examples_per_s')/med(t,'examples_per_s'):.2f}x |")
print("\n| columns | auc (mean of 3 seeds) | logloss | Δauc vs all |")
print("| --- | --- | --- | --- |")
base = st.mean(r["auc"] for r in by["ablation-all"])
for b in [k for k in by if k.startswith("ablation-")]:
    a = st.mean(r["auc"] for r in by[b]); l = st.mean(r["logloss"] for r in by[b])
    print(f"| {b[9:]} | {a:.4f} | {l:.4f} | {a-base:+.4f} |")
EOF

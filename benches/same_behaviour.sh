#!/usr/bin/env bash
# Same behaviour across a refactoring: train every algorithm with one thread and a fixed seed
# with two builds of recsys and compare the model directories (tensors and vocabularies
# byte for byte; manifests equal except timings).
#
# Usage: benches/same_behaviour.sh OLD_BINARY NEW_BINARY
#   e.g. git worktree add /tmp/old <rev> && (cd /tmp/old && cargo build --release)
#        benches/same_behaviour.sh /tmp/old/target/release/recsys target/release/recsys
set -euo pipefail
cd "$(dirname "$0")/.."
D=datasets/synthetic/ratings.csv
S=${RECSYS_DATASETS:-../shared/datasets}
train_all() {
  local B=$1 O=$2 C="--threads 1 --seed 7 --epochs 3"
  rm -rf "$O"; mkdir -p "$O"
  $B train $D --algo als $C --model "$O/als" --quiet
  $B train $D --algo als $C --weighting bm25 --no-neighbours --model "$O/als-bm25" --quiet
  $B train $D --algo mf $C --model "$O/mf" --quiet
  $B train $D --algo mf --svdpp $C --model "$O/svdpp" --quiet
  $B train $D --algo bpr $C --model "$O/bpr" --quiet
  $B train $D --algo bpr --warp $C --model "$O/warp" --quiet
  $B train datasets/synthetic --algo bpr --item-features $C --model "$O/hybrid" --quiet
  $B train $D --algo item2vec $C --model "$O/item2vec" --quiet
  $B train $D --algo itemknn --model "$O/itemknn" --quiet
  $B train "$S/lee-corpus/lee_background.cor" --algo word2vec $C --model "$O/word2vec" --quiet
  $B train "$S/lee-corpus/lee_background.cor" --algo glove $C --model "$O/glove" --quiet
  $B train "$S/lee-corpus/lee_background.cor" --algo lsa --model "$O/lsa" --quiet
  $B train "$S/movielens-100k" --algo dnn --schema schemas/movielens-100k.toml $C --model "$O/dnn" --quiet
}
out=$(mktemp -d)
train_all "$1" "$out/old" >/dev/null
train_all "$2" "$out/new" >/dev/null
echo "| model | tensors | vocabularies | manifest (timings aside) |"
echo "| --- | --- | --- | --- |"
for d in $(ls "$out/old"); do
  a="$out/old/$d" b="$out/new/$d"
  t=$(cmp -s "$a/tensors.safetensors" "$b/tensors.safetensors" && echo identical || echo DIFFER)
  v=$(diff -rq "$a/vocab" "$b/vocab" >/dev/null 2>&1 && echo identical || echo DIFFER)
  m=$(python3 - "$a/manifest.json" "$b/manifest.json" <<'PY'
import json, sys
# format 3 renamed hyper-parameters (docs/FORMAT.md); an older manifest is compared under
# today's names, as `checkpoint::Manifest::upgrade` reads it
RENAMED = {"als": {"factors": "dim", "regularization": "reg", "iterations": "epochs"},
           "mf": {"factors": "dim", "learning_rate": "lr", "reg_factors": "reg"},
           "bpr": {"factors": "dim", "learning_rate": "lr", "neg_exponent": "ns_exponent"},
           "dnn": {"learning_rate": "lr"},
           "word2vec": {"alpha": "lr", "min_alpha": "min_lr"},
           "item2vec": {"alpha": "lr", "min_alpha": "min_lr"},
           "glove": {"alpha": "weight_exponent"}}
def upgrade(m):
    m.get("params", {}).pop("scoring", None)  # written by dnn and item2vec, never read; dropped
    if m.get("format_version", 3) < 3:
        p = m.get("params", {})
        if m["algo"] == "mf" and "rating_min" in p:
            m.setdefault("info", {})["rating_range"] = [p.pop("rating_min"), p.pop("rating_max")]
        if m["algo"] == "bpr" and p.get("item_features") == "genres":
            p["item_features"], p["item_feature_column"] = True, "genres"
        for old, new in RENAMED.get(m["algo"], {}).items():
            if old in p:
                p[new] = p.pop(old)
        if "alpha_done" in m.get("info", {}):
            m["info"]["lr_done"] = m["info"].pop("alpha_done")
    m.pop("format_version", None)
    return m
def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if not (k.endswith("_s") or k in ("seconds", "peak_rss_mb"))}
    if isinstance(x, list):
        return [strip(v) for v in x]
    if isinstance(x, float):
        return float("%.7g" % x)  # an f32 printed widened (0.800000011920929) or shortest (0.8)
    return x
a, b = (strip(upgrade(json.load(open(p)))) for p in sys.argv[1:3])
print("equal" if a == b else "DIFFER " + str(sorted(set(a) ^ set(b)) or [k for k in a if a[k] != b.get(k)]))
PY
)
  echo "| $d | $t | $v | $m |"
done
rm -rf "$out"

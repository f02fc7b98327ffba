#!/usr/bin/env bash
# Spark beside recsys, through the hand-off (`recsys prepare` → scale/spark/*.py → `recsys
# import`), on the peers' time80_20_per_user split: fit time and NDCG@10 / HR@10 of the same
# test file, and Star Wars's neighbours.
#
#   benches/spark_handoff.sh [SPARK_PYTHON] [BENCH_PYTHON] [DATASET]
#
# SPARK_PYTHON has pyspark (python3 -m venv .venv-spark && .venv-spark/bin/pip install pyspark
# pyarrow numpy; Java 17); BENCH_PYTHON has numpy (the peers' split code). DATASET: ml-100k
# (default) or ml-1m (found by ../shared/peers/common.py). Both run in local[2].
set -euo pipefail
cd "$(dirname "$0")/.."
SP=${1:-.venv-spark/bin/python}
BP=${2:-.venv-bench/bin/python}
NAME=${3:-ml-100k}
R=target/release/recsys
cargo build --release -q
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
PEERS=${RECSYS_PEERS:-../shared/peers}
PEERS_SPLIT_DIR=$W/splits "$BP" -c "import sys; sys.path.insert(0, '$PEERS'); import common; common.get_split('$NAME', 'time80_20_per_user')"
TR=$W/splits/$NAME.time80_20_per_user.train.tsv
TE=$W/splits/$NAME.time80_20_per_user.test.tsv
D=${RECSYS_DATASETS:-../shared/datasets}
[ "$NAME" = ml-100k ] && cp "$D/movielens-100k/u.item" "$W/splits/"   # titles, joined by both
t() { /usr/bin/time -f "%e %M" -o "$W/time" "$@" >/dev/null 2>"$W/err" || { cat "$W/err"; exit 1; }; cat "$W/time"; }
ndcg() { $R --json eval --model "$1" --test "$TE" | "$BP" -c "import json,sys; d=json.load(sys.stdin); print('%.4f %.4f' % (d['ndcg@10'], d['hr@10']))"; }

echo "| run | wall s | peak MiB | NDCG@10 | HR@10 |"
echo "| --- | ---: | ---: | ---: | ---: |"
read -r s m < <(t $R train "$TR" --model "$W/recsys-als" --no-neighbours --threads 2)
echo "| recsys train --algo als (defaults: 64 f, 15 it, λ 10, α 1) | $s | $((m / 1024)) | $(ndcg "$W/recsys-als" | sed 's/ / | /') |"
read -r s m < <(t $R train "$TR" --algo item2vec --model "$W/recsys-i2v" --threads 2)
echo "| recsys train --algo item2vec (defaults: window 50, 20 epochs) | $s | $((m / 1024)) | $(ndcg "$W/recsys-i2v" | sed 's/ / | /') |"
read -r s m < <(t $R prepare "$TR" --out "$W/prepared")
echo "| recsys prepare | $s | $((m / 1024)) | | |"
read -r s m < <(t "$SP" scale/spark/als.py "$W/prepared" "$W/spark-als" --master "local[2]")
echo "| scale/spark/als.py (same model; Spark regParam 0.1) | $s | (JVM not measured) | | |"
read -r s m < <(t $R import spark-als "$W/spark-als" --vocab "$W/prepared/vocab" --model "$W/imported-als")
echo "| recsys import spark-als, then evaluated | $s | $((m / 1024)) | $(ndcg "$W/imported-als" | sed 's/ / | /') |"
read -r s m < <(t "$SP" scale/spark/item2vec.py "$W/prepared" "$W/spark-w2v" --master "local[2]")
echo "| scale/spark/item2vec.py (window 50, 5 epochs) | $s | (JVM not measured) | | |"
read -r s m < <(t $R import spark-word2vec "$W/spark-w2v" --vocab "$W/prepared/vocab" --model "$W/imported-w2v")
echo "| recsys import spark-word2vec, then evaluated | $s | $((m / 1024)) | $(ndcg "$W/imported-w2v" | sed 's/ / | /') |"
echo
echo "Spark's fit and write, from its own clock: ALS $(python3 -c "import json;print(json.load(open('$W/spark-als/params.json'))['fit_and_write_s'])") s, Word2Vec $(python3 -c "import json;print(json.load(open('$W/spark-w2v/params.json'))['fit_and_write_s'])") s"
if [ "$NAME" = ml-100k ]; then
  for m in recsys-als imported-als imported-w2v; do
    echo "$m: $($R similar --model "$W/$m" --item 50 -k 4 --json | "$BP" -c "import json,sys; print(', '.join(n.get('title') or n['key'] for n in json.load(sys.stdin)['results']))")"
  done
fi

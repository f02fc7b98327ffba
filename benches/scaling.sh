#!/usr/bin/env bash
# Scaling of the MF-family trainers: fit time and peak memory at 1x, 2x, 4x the interactions of
# MovieLens 100K, made by resampling users (each copy of a user gets a new id, same items).
# Usage: benches/scaling.sh [path/to/u.data]   (prints a Markdown table)
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/datasets/movielens-100k/u.data}
cargo build --release -q
bin=target/release/recsys
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for k in 1 2 4; do
  awk -v k="$k" -F'\t' '{ for (c = 0; c < k; c++) printf "%d\t%s\t%s\t%s\n", $1 + 100000 * c, $2, $3, $4 }' "$data" > "$tmp/x$k.tsv"
done
echo "| algo | scale | interactions | fit_s | peak RSS MiB |"
echo "| --- | ---: | ---: | ---: | ---: |"
for algo in als mf bpr; do
  for k in 1 2 4; do
    out=$( { /usr/bin/time -f "%M" "$bin" train "$tmp/x$k.tsv" --algo "$algo" --threads 2 --model "$tmp/m" --json > "$tmp/j"; } 2>&1 )
    fit=$(python3 -c "import json;print(round(json.load(open('$tmp/j'))['fit_s'],3))")
    n=$(python3 -c "import json;print(json.load(open('$tmp/j'))['interactions'])")
    echo "| $algo | ${k}x | $n | $fit | $((out / 1024)) |"
  done
done

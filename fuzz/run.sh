#!/usr/bin/env bash
# Fuzz every parser for a bounded time: `fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]`.
# Needs cargo-fuzz (`cargo install cargo-fuzz`); the stable toolchain is used with
# RUSTC_BOOTSTRAP=1 for the sanitizer flags. A valid model (the shipped synthetic data, ALS,
# with its ANN graph) is trained first for the model_dir and http targets. Seeds come from
# fuzz/seeds/<target> and the shipped data; crashes found are copied to
# fuzz/regressions/<target>/, which tests/fuzz_regressions.rs replays on every `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-120}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(rows schema embeddings tf_checkpoint torch parquet model_dir http)
export RUSTC_BOOTSTRAP=1
cargo build --release --quiet
work=${FUZZ_WORK:-target/fuzz-work}
mkdir -p "$work"
model="$work/model"
target/release/recsys train datasets/synthetic --model "$model" --dim 4 --quiet
target/release/recsys index --model "$model" --quiet >/dev/null
export RECSYS_FUZZ_MODEL="$PWD/$model"
for t in "${targets[@]}"; do
  corpus="$work/corpus/$t"
  mkdir -p "$corpus" "fuzz/regressions/$t"
  cp -n fuzz/seeds/"$t"/* "$corpus"/ 2>/dev/null || true
  cp -n fuzz/regressions/"$t"/* "$corpus"/ 2>/dev/null || true
  case $t in
    rows) head -c 4000 datasets/synthetic/ratings.csv > "$corpus/ratings.csv"
          head -c 4000 datasets/synthetic/movies.csv > "$corpus/movies.csv" ;;
    schema) for s in schemas/*.toml; do cp "$s" "$corpus/"; done ;;
    embeddings) target/release/recsys export --model "$model" --format word2vec --out "$corpus/w2v.txt" --quiet
                target/release/recsys export --model "$model" --format word2vec-bin --out "$corpus/w2v.bin" --quiet
                target/release/recsys export --model "$model" --format glove --out "$corpus/glove.txt" --quiet
                target/release/recsys export --model "$model" --format npy --out "$corpus/t.npy" --quiet ;;
    model_dir) { printf '\x00'; cat "$model/manifest.json"; } > "$corpus/manifest"
               { printf '\x01'; cat "$model/tensors.safetensors"; } > "$corpus/tensors"
               { printf '\x02'; cat "$model/vocab/item.tsv"; } > "$corpus/vocab"
               { printf '\x03'; cat "$model"/item.hnsw* 2>/dev/null || true; } > "$corpus/ann" ;;
  esac
  artifacts="$work/artifacts/$t/"
  rm -rf "$artifacts"
  mkdir -p "$artifacts"
  echo "== $t: ${secs}s"
  set +e
  cargo fuzz run --fuzz-dir fuzz "$t" "$corpus" -- -max_total_time="$secs" -rss_limit_mb=2048 \
    -max_len=65536 -timeout=10 -artifact_prefix="$artifacts" -print_final_stats=1 2>&1 \
    | tee "$work/$t.log" | grep -E "^#[0-9]+.*(DONE|pulse)|stat::|SUMMARY|panicked|ERROR" | tail -8
  set -e
  for f in "$artifacts"*; do
    if [ -f "$f" ]; then cp "$f" "fuzz/regressions/$t/" && echo "found: $f"; fi
  done
done

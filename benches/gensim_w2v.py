#!/usr/bin/env python3
"""gensim Word2Vec on the IMDB corpus in any mode (skip-gram/CBOW, negative sampling or
hierarchical softmax), with exactly the tokenisation, settings and evaluation of
../shared/peers/item2vec_gensim.py's `imdb()` run (which covers skip-gram + NS only).
Prints one JSON line. Used by benches/word2vec.sh.
"""
import argparse
import gzip
import os
import re
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--imdb", required=True)
ap.add_argument("--eval", required=True, help="word-embedding-eval directory")
ap.add_argument("--sg", type=int, default=1)
ap.add_argument("--alpha", type=float, default=0.025, help="initial learning rate (gensim's default)")
ap.add_argument("--hs", type=int, default=0)
ap.add_argument("--negative", type=int, default=5)
ap.add_argument("--epochs", type=int, default=5)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--seed", type=int, default=42)
ap.add_argument("--init-seed", type=int, default=None,
                help="draw the initial vectors with this seed instead of --seed (the training RNG keeps --seed)")
args = ap.parse_args()
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import gensim  # noqa: E402
from gensim.models import Word2Vec  # noqa: E402

tok = re.compile(r"[a-z]+(?:'[a-z]+)?")
corpus = []
for fn in ("imdb-reviews-labeled.txt.gz", "imdb-reviews-unsup.txt.gz"):
    with gzip.open(os.path.join(args.imdb, fn), "rt", encoding="utf-8") as f:
        for line in f:
            corpus.append(tok.findall(line.replace("<br />", " ").lower()))
model = Word2Vec(vector_size=100, window=5, sg=args.sg, hs=args.hs, negative=args.negative,
                 min_count=5, sample=1e-3, epochs=args.epochs, workers=args.threads, seed=args.seed,
                 alpha=args.alpha)
model.build_vocab(corpus)
if args.init_seed is not None:
    from gensim.models.keyedvectors import prep_vectors  # noqa: E402
    model.wv.vectors = prep_vectors(model.wv.vectors.shape, seed=args.init_seed)
t0 = time.perf_counter()
eff, raw = model.train(corpus, total_examples=model.corpus_count, epochs=args.epochs)
fit = time.perf_counter() - t0
acc, secs = model.wv.evaluate_word_analogies(os.path.join(args.eval, "questions-words.txt"))
tot = [s for s in secs if s["section"] == "Total accuracy"][0]
out = {"lib": "gensim", "version": gensim.__version__, "sg": args.sg, "hs": args.hs,
       "negative": args.negative, "alpha": args.alpha, "threads": args.threads, "seed": args.seed,
       "init_seed": args.seed if args.init_seed is None else args.init_seed, "vocab": len(model.wv),
       "fit_s": round(fit, 3), "raw_words_per_s": round(raw / fit), "analogy_acc": round(float(acc), 4),
       "analogy_covered": len(tot["correct"]) + len(tot["incorrect"])}
for key, fn in (("wordsim353", "wordsim353.tsv"), ("simlex999", "simlex999.txt")):
    (_, _), (spear, _), oov = model.wv.evaluate_word_pairs(os.path.join(args.eval, fn))
    out[key + "_spearman"] = round(float(spear), 4)
    out[key + "_oov_pct"] = round(float(oov), 2)
print(__import__("json").dumps(out))
sys.stdout.flush()

#!/usr/bin/env python3
"""Spark MLlib Word2Vec over users' histories (item2vec) on a folder written by `recsys
prepare`; item vectors for `recsys import spark-word2vec`.

    python scale/spark/item2vec.py PREPARED OUT [--master local[2]] [--dim 64] [--epochs 5]
        [--window 50] [--min-count 1] [--lr 0.025] [--seed 7]

Each user's items, ordered by timestamp, are one sentence; an item's token is its row index.
Writes OUT/item_factors/ (Parquet, `id: int`, `features: array<float>`) and OUT/params.json
(when OUT is local). Then: `recsys import spark-word2vec OUT --vocab PREPARED/vocab --model M`.

Differences from `recsys train --algo item2vec`: MLlib trains skip-gram with hierarchical
softmax (recsys: negative sampling, noise exponent 0 by default), splits sentences longer than
--max-sentence-length (1000), and its vocabulary drops items below --min-count.
"""
import argparse
import json
import time

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.ml.feature import Word2Vec
from pyspark.ml.functions import vector_to_array


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("prepared")
    ap.add_argument("out")
    ap.add_argument("--master", default=None)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--window", type=int, default=50)
    ap.add_argument("--min-count", type=int, default=1)
    ap.add_argument("--lr", type=float, default=0.025)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--partitions", type=int, default=1)
    a = ap.parse_args()

    b = SparkSession.builder.appName("recsys-item2vec")
    if a.master:
        b = b.master(a.master)
    spark = b.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")

    x = spark.read.parquet(a.prepared.rstrip("/") + "/interactions.parquet")
    histories = (x.groupBy("user")
                 .agg(F.sort_array(F.collect_list(F.struct("timestamp", "item"))).alias("h"))
                 .select(F.expr("transform(h, e -> cast(e.item as string))").alias("items")))
    w2v = Word2Vec(vectorSize=a.dim, windowSize=a.window, minCount=a.min_count, maxIter=a.epochs,
                   stepSize=a.lr, seed=a.seed, numPartitions=a.partitions,
                   inputCol="items", outputCol="v")
    t = time.time()
    model = w2v.fit(histories)
    out = a.out.rstrip("/")
    (model.getVectors()
     .select(F.col("word").cast("int").alias("id"), vector_to_array("vector", "float32").alias("features"))
     .write.mode("overwrite").parquet(f"{out}/item_factors"))
    params = {"engine": "spark-mllib-word2vec", "spark": spark.version, "dim": a.dim,
              "epochs": a.epochs, "window": a.window, "min_count": a.min_count, "lr": a.lr,
              "seed": a.seed, "fit_and_write_s": round(time.time() - t, 3)}
    if "://" not in out:
        with open(f"{out}/params.json", "w") as f:
            json.dump(params, f, indent=1)
    print(json.dumps(params))
    spark.stop()


if __name__ == "__main__":
    main()

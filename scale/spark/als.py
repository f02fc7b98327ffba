#!/usr/bin/env python3
"""Spark MLlib ALS on a folder written by `recsys prepare`; factors for `recsys import spark-als`.

    python scale/spark/als.py PREPARED OUT [--master local[2]] [--dim 64] [--epochs 15]
        [--reg 0.1] [--alpha 1] [--explicit] [--use-ratings] [--seed 7]
    spark-submit --master spark://HOST:7077 scale/spark/als.py s3a://bucket/prepared s3a://bucket/als

Reads PREPARED/interactions.parquet (user and item as int32 row indices, rating, timestamp)
and writes OUT/item_factors/ and OUT/user_factors/ (Parquet, `id: int`, `features:
array<float>`) and OUT/params.json (when OUT is a local path; copy it beside the factors
otherwise). Then: `recsys import spark-als OUT --vocab PREPARED/vocab --model M`.

The model is recsys's implicit ALS (`recsys train --algo als`): every observed (user, item)
pair has preference 1 and confidence c = 1 + alpha * r, r = 1 (or the rating with
--use-ratings); duplicates of a pair are summed. The names are recsys's (--dim, --epochs,
--reg, --alpha); one meaning differs: Spark multiplies --reg by each row's number of
interactions (ALS-WR), where recsys adds a constant λ. recsys's λ of 10 at ML-100K's mean of
106 ratings per user is about Spark's 0.1, its default. --explicit fits the ratings
themselves (Spark's explicit ALS; recsys's counterpart is `--algo mf`).
"""
import argparse
import json
import os
import shutil
import time

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.ml.recommendation import ALS


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("prepared")
    ap.add_argument("out")
    ap.add_argument("--master", default=None, help="Spark master URL (default: spark-submit's, else local[*])")
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--reg", type=float, default=0.1, help="Spark's regParam (scaled by each row's count)")
    ap.add_argument("--alpha", type=float, default=1.0)
    ap.add_argument("--explicit", action="store_true")
    ap.add_argument("--use-ratings", action="store_true")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--partitions", type=int, default=None, help="user and item blocks (default: Spark's parallelism)")
    ap.add_argument("--checkpoint-dir", default=None,
                    help="where ALS checkpoints its factors every 5 iterations (default OUT/_checkpoint): "
                         "without it the lineage of 15 iterations overflows the JVM's stack")
    a = ap.parse_args()

    b = SparkSession.builder.appName("recsys-als")
    if a.master:
        b = b.master(a.master)
    elif "SPARK_HOME" not in os.environ and "spark.master" not in os.environ.get("PYSPARK_SUBMIT_ARGS", ""):
        b = b.master("local[*]")
    spark = b.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    out = a.out.rstrip("/")
    checkpoints = a.checkpoint_dir or f"{out}/_checkpoint"
    spark.sparkContext.setCheckpointDir(checkpoints)

    x = spark.read.parquet(a.prepared.rstrip("/") + "/interactions.parquet")
    if a.explicit:
        x = x.select("user", "item", F.col("rating").cast("float").alias("r"))
    else:
        r = F.col("rating") if a.use_ratings else F.lit(1.0)
        x = x.groupBy("user", "item").agg(F.sum(r).cast("float").alias("r"))
    als = ALS(
        rank=a.dim, maxIter=a.epochs, regParam=a.reg, alpha=a.alpha,
        implicitPrefs=not a.explicit, userCol="user", itemCol="item", ratingCol="r",
        seed=a.seed, coldStartStrategy="drop", checkpointInterval=5,
    )
    if a.partitions:
        als = als.setNumUserBlocks(a.partitions).setNumItemBlocks(a.partitions)
    t = time.time()
    model = als.fit(x)
    for name, df in [("item_factors", model.itemFactors), ("user_factors", model.userFactors)]:
        df.select(F.col("id").cast("int").alias("id"), F.col("features")).write.mode("overwrite").parquet(f"{out}/{name}")
    fit_s = time.time() - t
    params = {"engine": "spark-mllib-als", "spark": spark.version, "dim": a.dim, "epochs": a.epochs,
              "reg": a.reg, "reg_scaling": "per-row count (ALS-WR)", "alpha": a.alpha,
              "implicit": not a.explicit, "use_ratings": a.use_ratings, "seed": a.seed,
              "fit_and_write_s": round(fit_s, 3)}
    if "://" not in out:
        with open(f"{out}/params.json", "w") as f:
            json.dump(params, f, indent=1)
        if a.checkpoint_dir is None:
            shutil.rmtree(checkpoints, ignore_errors=True)
    print(json.dumps(params))
    spark.stop()


if __name__ == "__main__":
    main()

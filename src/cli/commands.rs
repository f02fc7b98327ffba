//! One function per subcommand: call the library, print text or JSON.

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde_json::json;

use super::args::{
    Algo, BadRow, Cli, ClusterArgs, Command, EvalArgs, ExportArgs, Format, GenerateArgs, HyperArgs,
    IndexArgs, InputKind, RecommendArgs, ServeArgs, SimilarArgs, SimilarityArg, SplitKind,
    TrainArgs, TuneArgs, TuneParam, WeightingArg,
};
use clap::ValueEnum;
use recsys::checkpoint::{self, formats};
use recsys::data::{self, Dataset, ReadOptions};
use recsys::embedding::Dimension;
use recsys::eval::{self, Split};
use recsys::features::Schema;
use recsys::models::als::{Als, AlsParams};
use recsys::models::bpr::{Bpr, BprParams};
use recsys::models::glove::{Glove, GloveParams};
use recsys::models::item2vec::{Item2Vec, Item2VecParams};
use recsys::models::itemknn::{self, ItemKnn, ItemKnnParams, Similarity};
use recsys::models::lsa::{Lsa, LsaParams, Weighting};
use recsys::models::mf::{Mf, MfParams};
use recsys::models::weighting::{self, Weighting as InteractionWeighting};
use recsys::models::word2vec::{Arch, Word2Vec, Word2VecParams};
use recsys::models::{TrainContext, Trainer};
use recsys::similarity::{Hit, Lookup};
use recsys::synth;
use recsys::text::{TextFiles, Tokenizer};
use recsys::transfer::TableInit;
use recsys::Vocab;

pub fn dispatch(cli: &Cli) -> Result<()> {
    match &cli.command {
        Command::Train(a) => train(cli, a),
        Command::Similar(a) => similar(cli, a),
        Command::Recommend(a) => recommend(cli, a),
        Command::Eval(a) => evaluate(cli, a),
        Command::Export(a) => export(cli, a),
        Command::Tune(a) => tune(cli, a),
        Command::Generate(a) => generate(cli, a),
        Command::Serve(a) => serve(cli, a),
        Command::Index(a) => build_index(cli, a),
        Command::Cluster(a) => cluster(cli, a),
        Command::Plot(a) => super::explore::plot(cli, a),
        Command::Debias(a) => super::explore::debias(cli, a),
    }
}

pub(super) fn print_json(v: &serde_json::Value) {
    println!("{v}");
}

/// A trainer from the shared hyper-parameter flags, its width resolved against `n_items`.
fn trainer(h: &HyperArgs, n_items: usize) -> Result<Box<dyn Trainer>> {
    let dim = match &h.dim {
        None => None,
        Some(d) => Some(
            Dimension::parse(d)
                .with_context(|| format!("--dim must be 'auto' or a positive integer, not '{d}'"))?
                .resolve(n_items),
        ),
    };
    Ok(match h.algo {
        Algo::Als => {
            let d = AlsParams::default();
            Box::new(Als::new(AlsParams {
                factors: dim.unwrap_or(d.factors),
                iterations: h.epochs.unwrap_or(d.iterations),
                regularization: h.reg.unwrap_or(d.regularization),
                alpha: h.alpha.unwrap_or(d.alpha),
                cg_steps: h.cg_steps.unwrap_or(d.cg_steps),
                weighting: interaction_weighting(h)?,
                ..d
            })?)
        }
        Algo::Itemknn => Box::new(ItemKnn::new(knn_params(h))?),
        Algo::Mf => {
            let d = if h.svdpp {
                MfParams::svdpp_default()
            } else {
                MfParams::default()
            };
            Box::new(Mf::new(MfParams {
                factors: dim.unwrap_or(d.factors),
                epochs: h.epochs.unwrap_or(d.epochs),
                learning_rate: h.lr.unwrap_or(d.learning_rate),
                lr_decay: h.lr_decay.unwrap_or(d.lr_decay),
                reg_factors: h.reg.unwrap_or(d.reg_factors),
                reg_bias: h.reg_bias.unwrap_or(d.reg_bias),
                init_std: h.init_std.unwrap_or(d.init_std),
                svdpp: h.svdpp,
            })?)
        }
        Algo::Bpr => {
            let d = BprParams::defaults_for(h.warp, h.item_features);
            Box::new(Bpr::new(BprParams {
                factors: dim.unwrap_or(d.factors),
                epochs: h.epochs.unwrap_or(d.epochs),
                learning_rate: h.lr.unwrap_or(d.learning_rate),
                reg: h.reg.unwrap_or(d.reg),
                reg_bias: h.reg_bias.unwrap_or(d.reg_bias),
                init_std: h.init_std.unwrap_or(d.init_std),
                item_features: h.item_features,
                warp: h.warp,
                max_sampled: h.max_sampled.unwrap_or(d.max_sampled),
                neg_exponent: h.ns_exponent.unwrap_or(d.neg_exponent),
            })?)
        }
        Algo::Item2vec => Box::new(Item2Vec::new(item2vec_params(h, dim)?)?),
        Algo::Dnn => bail!(
            "dnn trains on a schema's joined files: `recsys train DATA --algo dnn --schema FILE`"
        ),
        Algo::Word2vec | Algo::Glove | Algo::Lsa => bail!(
            "{} trains on text, not interactions: `recsys train CORPUS.txt[.gz] --algo {}`",
            algo_name(h.algo),
            algo_name(h.algo)
        ),
    })
}

/// Item-KNN parameters from `--similarity`, `--neighbours`, `--bm25-k1`, `--bm25-b`.
fn knn_params(h: &HyperArgs) -> ItemKnnParams {
    let d = ItemKnnParams::default();
    ItemKnnParams {
        similarity: match h.similarity {
            None => d.similarity,
            Some(SimilarityArg::Cosine) => Similarity::Cosine,
            Some(SimilarityArg::Bm25) => Similarity::Bm25,
            Some(SimilarityArg::Tfidf) => Similarity::Tfidf,
        },
        neighbours: h.neighbours.unwrap_or(d.neighbours),
        bm25_k1: h.bm25_k1.unwrap_or(d.bm25_k1),
        bm25_b: h.bm25_b.unwrap_or(d.bm25_b),
    }
}

/// The interaction weighting of `--weighting` (als), BM25's constants from `--bm25-k1/-b`.
fn interaction_weighting(h: &HyperArgs) -> Result<InteractionWeighting> {
    Ok(match h.weighting {
        None | Some(WeightingArg::None) => InteractionWeighting::None,
        Some(WeightingArg::Tfidf) => InteractionWeighting::Tfidf,
        Some(WeightingArg::Bm25) => InteractionWeighting::Bm25 {
            k1: h.bm25_k1.unwrap_or(weighting::BM25_K1),
            b: h.bm25_b.unwrap_or(weighting::BM25_B),
        },
        Some(w @ (WeightingArg::Ppmi | WeightingArg::LogCount)) => bail!(
            "--weighting {} weights co-occurrence counts (lsa); interactions take none, bm25 or tfidf",
            w.to_possible_value().map(|v| v.get_name().to_string()).unwrap_or_default()
        ),
    })
}

/// The `--algo` spelling of `a`.
fn algo_name(a: Algo) -> String {
    format!("{a:?}").to_lowercase()
}

/// Algorithms that train on text files (word vectors, or item2vec sessions).
fn trains_on_text(h: &HyperArgs) -> bool {
    matches!(h.algo, Algo::Word2vec | Algo::Glove | Algo::Lsa)
        || (h.algo == Algo::Item2vec && h.input == InputKind::Sessions)
}

/// GloVe parameters from the flags (`--alpha` is the weighting exponent, `--lr` AdaGrad's rate).
fn glove_params(h: &HyperArgs) -> Result<GloveParams> {
    let d = GloveParams::default();
    Ok(GloveParams {
        dim: word_dim(h)?.unwrap_or(d.dim),
        window: h.window.unwrap_or(d.window),
        min_count: h.min_count.unwrap_or(d.min_count),
        max_vocab: h.max_vocab,
        x_max: h.x_max.unwrap_or(d.x_max),
        alpha: h.alpha.unwrap_or(d.alpha),
        lr: h.lr.unwrap_or(d.lr),
        epochs: h.epochs.unwrap_or(d.epochs),
        memory_mb: h.memory_mb.unwrap_or(d.memory_mb),
    })
}

/// LSA parameters from the flags.
fn lsa_params(h: &HyperArgs) -> Result<LsaParams> {
    let d = LsaParams::default();
    Ok(LsaParams {
        dim: word_dim(h)?.unwrap_or(d.dim),
        window: h.window.unwrap_or(d.window),
        min_count: h.min_count.unwrap_or(d.min_count),
        max_vocab: h.max_vocab,
        weighting: match h.weighting {
            Some(WeightingArg::LogCount) => Weighting::LogCount,
            Some(WeightingArg::Ppmi) | None => Weighting::Ppmi,
            Some(w) => bail!(
                "--weighting {} is for interactions (als); lsa takes ppmi or log-count",
                w.to_possible_value()
                    .map(|v| v.get_name().to_string())
                    .unwrap_or_default()
            ),
        },
        memory_mb: h.memory_mb.unwrap_or(d.memory_mb),
        ..d
    })
}

/// item2vec's parameters from the flags (interactions and sessions alike), `dim` already
/// resolved by the caller.
fn item2vec_params(h: &HyperArgs, dim: Option<usize>) -> Result<Item2VecParams> {
    let d = Item2VecParams::default();
    Ok(Item2VecParams {
        w2v: w2v_params(h, d.w2v, dim)?,
        history: h.history.unwrap_or(d.history),
        history_decay: h.history_decay.unwrap_or(d.history_decay),
    })
}

/// Engine parameters from the flags, over the algorithm's defaults `d`.
fn w2v_params(h: &HyperArgs, d: Word2VecParams, dim: Option<usize>) -> Result<Word2VecParams> {
    let alpha = h.lr.unwrap_or(d.alpha);
    Ok(Word2VecParams {
        dim: dim.unwrap_or(d.dim),
        arch: if h.cbow { Arch::Cbow } else { Arch::SkipGram },
        cbow_mean: !h.cbow_sum,
        negative: h.negative.unwrap_or(d.negative),
        hs: h.hs,
        window: h.window.unwrap_or(d.window),
        shrink_windows: !h.fixed_window,
        sample: h.sample.unwrap_or(d.sample),
        min_count: h.min_count.unwrap_or(d.min_count),
        max_vocab: h.max_vocab.or(d.max_vocab),
        ns_exponent: h.ns_exponent.unwrap_or(d.ns_exponent),
        alpha,
        min_alpha: h.min_lr.unwrap_or(d.min_alpha.min(alpha)),
        epochs: h.epochs.unwrap_or(d.epochs),
        batched: !h.unbatched,
    })
}

/// Width for text models: a number, or `auto` (0: the fourth-root rule, resolved by the
/// trainer once the vocabulary pass has counted the words).
fn word_dim(h: &HyperArgs) -> Result<Option<usize>> {
    match &h.dim {
        None => Ok(None),
        Some(d) => match Dimension::parse(d) {
            Some(Dimension::Fixed(n)) => Ok(Some(n)),
            Some(Dimension::Auto) => Ok(Some(0)),
            None => bail!("--dim must be 'auto' or a positive integer, not '{d}'"),
        },
    }
}

/// Peak resident memory of this process in MiB (Linux `VmHWM`), if known.
fn peak_rss_mb() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some((kb / 1024.0 * 10.0).round() / 10.0)
}

fn one_path(paths: &[std::path::PathBuf], algo: Algo) -> Result<&Path> {
    match paths {
        [p] => Ok(p),
        [] => bail!("give the data file"),
        _ => bail!(
            "--algo {} takes one data file or folder, not {}",
            format!("{algo:?}").to_lowercase(),
            paths.len()
        ),
    }
}

fn text_files(paths: &[std::path::PathBuf], tokenizer: Tokenizer) -> Result<TextFiles> {
    for p in paths {
        if !p.is_file() {
            bail!(
                "{}: not a file (word2vec reads text files, one sentence per line)",
                p.display()
            );
        }
    }
    Ok(TextFiles {
        paths: paths.to_vec(),
        tokenizer,
    })
}

/// Train word2vec (or item2vec on sessions) on text files.
/// `save_to`: where `--checkpoint-every` saves the model so far (word2vec).
fn fit_text(
    cli: &Cli,
    h: &HyperArgs,
    paths: &[std::path::PathBuf],
    save_to: Option<&Path>,
) -> Result<recsys::Model> {
    let ctx = context(cli, h)?;
    let model = if h.algo == Algo::Word2vec {
        let files = text_files(paths, Tokenizer::Words)?;
        let every = h.checkpoint_every.unwrap_or(0);
        let mut save = |m: &recsys::Model| -> recsys::Result<()> {
            match save_to {
                Some(dir) => checkpoint::save(m, dir),
                None => Ok(()),
            }
        };
        let d = if h.cbow {
            Word2VecParams::cbow()
        } else {
            Word2VecParams::default()
        };
        Word2Vec::new(w2v_params(h, d, word_dim(h)?)?)?.fit_with(&files, &ctx, every, &mut save)?
    } else if h.algo == Algo::Glove {
        let files = text_files(paths, Tokenizer::Words)?;
        Glove::new(glove_params(h)?)?.fit(&files, &ctx)?
    } else if h.algo == Algo::Lsa {
        let files = text_files(paths, Tokenizer::Words)?;
        Lsa::new(lsa_params(h)?)?.fit(&files, &ctx)?
    } else {
        let files = text_files(paths, Tokenizer::Whitespace)?;
        Item2Vec::new(item2vec_params(h, word_dim(h)?)?)?.fit_sessions(&files, &ctx)?
    };
    Ok(model)
}

fn info_f64(model: &recsys::Model, key: &str) -> f64 {
    model.info.get(key).and_then(|v| v.as_f64()).unwrap_or(0.0)
}

fn train_text(cli: &Cli, a: &TrainArgs) -> Result<()> {
    let mut model = fit_text(cli, &a.hyper, &a.data, Some(&a.model))?;
    note_inits(cli, &model);
    model.info.insert(
        "text_files".into(),
        a.data
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .into(),
    );
    checkpoint::save(&model, &a.model)?;
    let fit_s = info_f64(&model, "fit_s");
    let g = |k: &str| model.info.get(k).cloned().unwrap_or_default();
    if cli.json {
        print_json(&json!({
            "model": a.model.display().to_string(),
            "algo": model.algo,
            "params": model.params,
            "vocab": g("vocab"),
            "corpus_words": g("corpus_words"),
            "sentences": g("sentences"),
            "effective_words": g("effective_words"),
            "epochs": model.epochs.len(),
            "loss": model.epochs.last().map(|e| e.loss),
            "build_vocab_s": g("build_vocab_s"),
            "fit_s": fit_s,
            "raw_words_per_s": g("raw_words_per_s"),
            "count_s": model.info.get("count_s"),
            "cooc_pairs": model.info.get("cooc_pairs"),
            "threads": a.hyper.threads,
            "peak_rss_mb": peak_rss_mb(),
            "init": model.info.get("init"),
        }));
    } else {
        println!(
            "trained {} on {} tokens ({} lines, {} kept in the vocabulary) in {:.2}s ({} words/s) → {}",
            model.algo,
            g("corpus_words"),
            g("sentences"),
            g("vocab"),
            fit_s,
            info_f64(&model, "raw_words_per_s").round(),
            a.model.display()
        );
    }
    Ok(())
}

pub(super) fn context(cli: &Cli, h: &HyperArgs) -> Result<TrainContext> {
    let mut inits = recsys::transfer::Inits::new();
    if let Some(path) = &h.init_from {
        let init = TableInit::load(path, Some(&h.init_tensor), &h.init_tensor, h.freeze)?;
        inits.insert(h.init_tensor.clone(), init);
    }
    // The schema's `init_from` entries (the dnn applies its own, column by column).
    if let (Some(p), false) = (&h.schema, h.algo == Algo::Dnn) {
        recsys::transfer::schema_inits(p, &algo_name(h.algo), &mut inits)?;
    }
    let resume = match &h.resume {
        Some(dir) => Some(std::sync::Arc::new(checkpoint::load(dir)?)),
        None => None,
    };
    if h.checkpoint_every.is_some() && !matches!(h.algo, Algo::Dnn | Algo::Word2vec) {
        bail!("--checkpoint-every is for --algo dnn and word2vec (other trainers finish in seconds; --resume continues any saved als, mf, bpr or item2vec model)");
    }
    Ok(TrainContext {
        inits,
        threads: h.threads,
        seed: h.seed,
        progress: !cli.quiet && !cli.json,
        resume,
        cache_mb: h
            .corpus_cache_mb
            .unwrap_or(TrainContext::default().cache_mb),
    })
}

/// Print what transfer did (on stderr, unless quiet or JSON).
pub(super) fn note_inits(cli: &Cli, model: &recsys::Model) {
    if cli.quiet || cli.json {
        return;
    }
    for r in model
        .info
        .get("init")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
    {
        let get = |k: &str| r.get(k).cloned().unwrap_or_default();
        eprintln!(
            "note: {} initialised from the prior: {} rows matched{}, {} new (e.g. {})",
            get("table").as_str().unwrap_or(""),
            get("matched"),
            if get("frozen") == true {
                " and frozen"
            } else {
                ""
            },
            get("unmatched"),
            get("unmatched_sample")
        );
    }
}

fn load(data: &Path, schema: Option<&Path>, bad: BadRow) -> Result<Dataset> {
    let skip = bad == BadRow::Skip;
    if skip && schema.is_some() {
        bail!("--on-bad-row skip works on files read without a schema (a schema's rows must all parse)");
    }
    Ok(match schema {
        Some(s) => {
            let schema = Schema::load(s)?;
            data::load_with_schema(data, &schema)?
        }
        None => {
            let ds = data::load_dataset(
                data,
                &ReadOptions {
                    skip_bad_rows: skip,
                    ..ReadOptions::default()
                },
            )?;
            let x = &ds.interactions;
            if x.skipped_rows > 0 {
                eprintln!(
                    "note: skipped {} malformed rows (the first: {})",
                    x.skipped_rows,
                    x.first_skipped.as_deref().unwrap_or("")
                );
            }
            ds
        }
    })
}

fn train(cli: &Cli, a: &TrainArgs) -> Result<()> {
    let h = &a.hyper;
    if h.algo == Algo::Dnn {
        return super::dnn::train(cli, a);
    }
    if trains_on_text(h) {
        return train_text(cli, a);
    }
    let path = one_path(&a.data, h.algo)?;
    let baskets = path.is_file() && h.schema.is_none() && data::reader::looks_like_sessions(path);
    if baskets && h.algo == Algo::Item2vec {
        if !cli.quiet {
            eprintln!(
                "note: {} holds one session/basket per line; reading it as sessions (--input sessions)",
                path.display()
            );
        }
        let mut a2 = TrainArgs {
            data: a.data.clone(),
            model: a.model.clone(),
            hyper: a.hyper.clone(),
        };
        a2.hyper.input = InputKind::Sessions;
        return train_text(cli, &a2);
    }
    if baskets {
        return Err(recsys::Error::data(
            path,
            format!(
                "looks like one session or basket per line (whitespace-separated item tokens, lines of different lengths or words past the second column), not interaction rows: --algo {} needs user and item columns; train item2vec on it (`--algo item2vec --input sessions`)",
                algo_name(h.algo)
            ),
        )
        .into());
    }
    let ds = load(path, h.schema.as_deref(), h.on_bad_row)?;
    let x = &ds.interactions;
    let t = trainer(&a.hyper, x.items.len())?;
    let ctx = context(cli, &a.hyper)?;
    let mut model = t.fit(x, ds.catalog.as_ref(), &ctx)?;
    if let (Algo::Item2vec, false) = (h.algo, cli.quiet) {
        let window = model.params["window"].as_u64().unwrap_or(0) as usize;
        if let Some(median) = recsys::models::item2vec::long_histories(x, window) {
            eprintln!(
                "note: users here have {median} items (median), more than item2vec's window of {window}: its neighbours follow when items were rated together more than what they are; for `similar`, the default model (`recsys train DATA`) or `--algo itemknn` find sequels far more often (BENCHMARKS.md, \"Neighbours people recognise\")"
            );
        }
    }
    if h.algo == Algo::Als && !h.no_neighbours {
        // the default model: ALS factors for `recommend`, an item-item table for `similar`
        itemknn::attach_item_neighbours(&mut model, x, &knn_params(h), &ctx)?;
    }
    note_inits(cli, &model);
    model.info.insert(
        "interactions_file".into(),
        ds.interactions_path.display().to_string().into(),
    );
    if let Some(p) = &ds.items_path {
        model
            .info
            .insert("items_file".into(), p.display().to_string().into());
    }
    model.info.insert("interactions".into(), x.len().into());
    if x.skipped_rows > 0 {
        model
            .info
            .insert("skipped_rows".into(), x.skipped_rows.into());
    }
    checkpoint::save(&model, &a.model)?;
    let fit_s = model
        .info
        .get("fit_s")
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0);
    let loss = model.epochs.last().map(|e| e.loss);
    if cli.json {
        print_json(&json!({
            "model": a.model.display().to_string(),
            "algo": t.name(),
            "interactions": x.len(),
            "users": x.users.len(),
            "items": x.items.len(),
            "titles": ds.catalog.as_ref().map_or(0, |c| c.len()),
            "skipped_rows": x.skipped_rows,
            "epochs": model.epochs.len(),
            "loss": loss,
            "fit_s": fit_s,
            "init": model.info.get("init"),
            "neighbours": model.info.get("neighbours"),
        }));
    } else {
        println!(
            "trained {} on {} interactions ({} users, {} items{}) in {:.2}s → {}",
            t.name(),
            x.len(),
            x.users.len(),
            x.items.len(),
            if ds.catalog.is_some() {
                ", with titles"
            } else {
                ""
            },
            fit_s,
            a.model.display()
        );
        if let (Some(nb), false) = (model.info.get("neighbours"), cli.quiet) {
            eprintln!(
                "note: the model also holds an item-item table ({} similarity, {} neighbours per item): `similar` answers from it, `recommend` from the {} factors (--no-neighbours leaves it out; `similar --by embedding` uses the factors)",
                nb["similarity"].as_str().unwrap_or("?"),
                nb["neighbours"],
                t.name()
            );
        }
    }
    Ok(())
}

fn print_hits(cli: &Cli, query: serde_json::Value, label: &str, hits: &[Hit]) {
    if cli.json {
        print_json(&json!({ "query": query, "results": hits }));
        return;
    }
    println!("{label}");
    for (n, h) in hits.iter().enumerate() {
        match &h.title {
            Some(t) => println!("{:>3}. {:<50} {:>8}  {:.3}", n + 1, t, h.key, h.score),
            None => println!("{:>3}. {:<20} {:.3}", n + 1, h.key, h.score),
        }
    }
}

fn similar(cli: &Cli, a: &SimilarArgs) -> Result<()> {
    let lookup = Lookup::open(&a.model)?;
    let q = &a.query;
    if let Some(title) = &q.movie {
        let (key, m) = lookup.find_title(title)?;
        let chosen = lookup.title(m.index).unwrap_or(&key).to_string();
        if !m.alternatives.is_empty() && !cli.quiet {
            let alts: Vec<&str> = m
                .alternatives
                .iter()
                .take(5)
                .filter_map(|&i| lookup.title(i))
                .collect();
            eprintln!(
                "note: '{title}' → {chosen}{}; other matches: {}",
                if m.exact {
                    ""
                } else {
                    " (most rated title containing it)"
                },
                alts.join("; ")
            );
        }
        let hits = lookup.similar_items_by(&key, a.k, a.by.into())?;
        print_hits(
            cli,
            json!({"movie": title, "key": key, "title": chosen}),
            &format!("similar to {chosen}:"),
            &hits,
        );
    } else if let Some(item) = &q.item {
        let hits = lookup.similar_items_by(item, a.k, a.by.into())?;
        let label = match lookup
            .model()
            .vocab("item")
            .and_then(|v| v.get(item))
            .and_then(|i| lookup.title(i as usize))
        {
            Some(t) => format!("similar to {t} ({item}):"),
            None => format!("similar to item {item}:"),
        };
        print_hits(cli, json!({"item": item}), &label, &hits);
    } else if let Some(user) = &q.user {
        let hits = lookup.similar_users(user, a.k)?;
        print_hits(
            cli,
            json!({"user": user}),
            &format!("users similar to {user}:"),
            &hits,
        );
    } else if let Some(word) = &q.word {
        let hits = lookup.similar_words(word, a.k)?;
        print_hits(
            cli,
            json!({"word": word}),
            &format!("similar to {word}:"),
            &hits,
        );
    } else if let Some(expr) = &q.analogy {
        let (pos, neg) = parse_analogy(expr)?;
        let p: Vec<&str> = pos.iter().map(String::as_str).collect();
        let n: Vec<&str> = neg.iter().map(String::as_str).collect();
        let hits = lookup.analogy(&p, &n, a.k, None)?;
        print_hits(
            cli,
            json!({"analogy": expr, "positive": pos, "negative": neg}),
            &format!("{expr} ≈"),
            &hits,
        );
    }
    Ok(())
}

/// `"king - man + woman"` → (["king", "woman"], ["man"]). Signs may stand alone or prefix a
/// word; the first word is positive unless signed.
fn parse_analogy(expr: &str) -> Result<(Vec<String>, Vec<String>)> {
    let (mut pos, mut neg) = (Vec::new(), Vec::new());
    let mut sign = 1;
    for tok in expr.split_whitespace() {
        let (s, w) = match tok.chars().next() {
            Some('+') => (1, &tok[1..]),
            Some('-') => (-1, &tok[1..]),
            _ => (sign, tok),
        };
        if w.is_empty() {
            sign = s;
            continue;
        }
        if s > 0 {
            pos.push(w.to_string())
        } else {
            neg.push(w.to_string())
        }
        sign = 1;
    }
    if pos.is_empty() {
        bail!("--analogy needs at least one positive word, e.g. \"king - man + woman\"");
    }
    Ok((pos, neg))
}

fn recommend(cli: &Cli, a: &RecommendArgs) -> Result<()> {
    let lookup = Lookup::open(&a.model)?;
    match (&a.user, &a.items) {
        (Some(user), _) => {
            let hits = lookup.recommend(user, a.k, &[])?;
            print_hits(
                cli,
                json!({"user": user}),
                &format!("recommended for user {user}:"),
                &hits,
            );
        }
        (None, Some(items)) => {
            let hits = lookup.recommend_for_items(items, a.k, &[])?;
            print_hits(
                cli,
                json!({"items": items}),
                &format!("recommended after {}:", items.join(", ")),
                &hits,
            );
        }
        (None, None) => bail!("give --user KEY or --items A,B,C"),
    }
    Ok(())
}

fn evaluate_words(cli: &Cli, a: &EvalArgs) -> Result<()> {
    if a.analogies.is_none() && a.word_pairs.is_empty() {
        bail!("give --analogies FILE and/or --word-pairs FILE to evaluate word vectors");
    }
    let (model, trained) = match &a.model {
        Some(dir) => (checkpoint::load(dir)?, false),
        None => (fit_text(cli, &a.hyper, &a.data, None)?, true),
    };
    let (Some(table), Some(vocab)) = (
        model.table(recsys::models::word2vec::WORD_EMBEDDING),
        model.vocab("word"),
    ) else {
        return Err(recsys::Error::NotFound(format!(
            "the model has no word vectors (it was trained with --algo {})",
            model.algo
        ))
        .into());
    };
    let mut out = json!({
        "algo": model.algo,
        "params": model.params,
        "vocab": vocab.len(),
        "restrict": a.restrict,
    });
    if trained {
        for k in [
            "corpus_words",
            "sentences",
            "effective_words",
            "build_vocab_s",
            "fit_s",
            "raw_words_per_s",
            "count_s",
            "train_s",
            "svd_s",
            "cooc_pairs",
        ] {
            if let Some(v) = model.info.get(k) {
                out[k] = v.clone();
            }
        }
        out["epoch_losses"] = model
            .epochs
            .iter()
            .map(|e| e.loss)
            .collect::<Vec<_>>()
            .into();
        out["threads"] = a.hyper.threads.into();
        out["peak_rss_mb"] = peak_rss_mb().into();
    } else if let Some(dir) = &a.model {
        out["model"] = dir.display().to_string().into();
    }
    let mut lines = Vec::new();
    if let Some(q) = &a.analogies {
        let r = eval::words::analogies(table, vocab, q, a.restrict)?;
        out["analogy_acc"] = r.accuracy.into();
        out["analogy_correct"] = r.correct.into();
        out["analogy_covered"] = r.covered.into();
        out["analogy_questions"] = r.questions.into();
        out["analogy_semantic_acc"] = r.semantic_accuracy.into();
        out["analogy_syntactic_acc"] = r.syntactic_accuracy.into();
        out["analogy_sections"] = serde_json::to_value(&r.sections)?;
        lines.push(format!(
            "analogies: {:.4} ({} of {} covered questions; {} in the file; semantic {:.4}, syntactic {:.4})",
            r.accuracy, r.correct, r.covered, r.questions, r.semantic_accuracy, r.syntactic_accuracy
        ));
    }
    for f in &a.word_pairs {
        let r = eval::words::word_pairs(table, vocab, f, a.restrict)?;
        let key: String = f
            .file_stem()
            .map(|s| s.to_string_lossy().to_lowercase())
            .unwrap_or_default()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        out[format!("{key}_spearman")] = r.spearman.into();
        out[format!("{key}_pearson")] = r.pearson.into();
        out[format!("{key}_oov_pct")] = r.oov_pct.into();
        out[format!("{key}_covered")] = r.covered.into();
        lines.push(format!(
            "{key}: spearman {:.4}  pearson {:.4}  ({} of {} pairs, {:.1}% OOV)",
            r.spearman, r.pearson, r.covered, r.pairs, r.oov_pct
        ));
    }
    if cli.json {
        print_json(&out);
    } else {
        if trained {
            println!(
                "{}: fit {:.2}s, {} words/s, vocabulary {}",
                model.algo,
                info_f64(&model, "fit_s"),
                info_f64(&model, "raw_words_per_s").round(),
                vocab.len()
            );
        }
        for l in lines {
            println!("{l}");
        }
    }
    Ok(())
}

/// `recsys eval --model M --neighbours FAMILIES`: neighbour quality of a saved model.
fn evaluate_neighbours(cli: &Cli, model: &Path, families: &Path) -> Result<()> {
    let lookup = Lookup::open(model)?;
    let fams = eval::neighbours::read_families(families)?;
    let r = eval::neighbours::evaluate_neighbours(&lookup, &fams)?;
    if cli.json {
        let mut v = serde_json::to_value(&r)?;
        v["model"] = model.display().to_string().into();
        v["algo"] = lookup.model().algo.clone().into();
        print_json(&v);
        return Ok(());
    }
    println!(
        "neighbours of {} families ({} evaluated, {}): hit@5 {:.3}  MRR@10 {:.3}  mean count of the 10 neighbours {:.1} (all items {:.1})",
        r.families,
        r.evaluated,
        lookup.model().algo,
        r.hit_at_5,
        r.mrr_at_10,
        r.mean_count_at_10,
        r.mean_count
    );
    for f in &r.results {
        println!(
            "  {:>5}  {:<50} first neighbour: {}",
            f.first_rank.map_or("-".to_string(), |x| format!("#{x}")),
            f.title.as_deref().unwrap_or(&f.original),
            f.first_neighbour.as_deref().unwrap_or("")
        );
    }
    Ok(())
}

fn evaluate(cli: &Cli, a: &EvalArgs) -> Result<()> {
    if let (Some(m), Some(f)) = (&a.model, &a.neighbours) {
        return evaluate_neighbours(cli, m, f);
    }
    if a.hyper.algo == Algo::Dnn && a.model.is_none() {
        return super::dnn::evaluate(cli, a);
    }
    if a.model.is_some() || matches!(a.hyper.algo, Algo::Word2vec | Algo::Glove | Algo::Lsa) {
        return evaluate_words(cli, a);
    }
    let (train, test, catalog, source) = match (&a.train, &a.test, a.data.as_slice()) {
        (Some(tr), Some(te), []) => {
            let (train, test) = read_pair(tr, te)?;
            (
                train,
                test,
                None,
                json!({"train": tr.display().to_string(), "test": te.display().to_string()}),
            )
        }
        (None, None, [d]) => {
            let ds = load(d, a.hyper.schema.as_deref(), a.hyper.on_bad_row)?;
            let split = split_kind(a.split.unwrap_or(SplitKind::Time), a.hyper.seed);
            let (tr, te) = eval::split_rows(&ds.interactions, split);
            let x = &ds.interactions;
            (
                x.select(&tr),
                x.select(&te),
                ds.catalog.clone(),
                json!({"data": d.display().to_string(), "split": format!("{split:?}")}),
            )
        }
        _ => bail!("give one DATA (with --split) or both --train and --test"),
    };
    // --items names (or replaces) the catalogue: genres for --item-features, titles
    let catalog = match &a.items {
        Some(p) => Some(recsys::data::Catalog::read(p)?),
        None => catalog,
    };
    let t = trainer(&a.hyper, train.items.len())?;
    let model = t.fit(&train, catalog.as_ref(), &context(cli, &a.hyper)?)?;
    let fit_s = model
        .info
        .get("fit_s")
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0);
    let lookup = Lookup::new(model);
    let m = eval::evaluate_topk(&lookup, &test, a.k)?;
    let k = a.k;
    let mut out = json!({
        "algo": t.name(),
        "source": source,
        "params": lookup.model().params,
        "train_interactions": train.len(),
        "test_interactions": test.len(),
        format!("precision@{k}"): m.precision,
        format!("recall@{k}"): m.recall,
        format!("hr@{k}"): m.hr,
        format!("ndcg@{k}"): m.ndcg,
        format!("hr@{k}_se"): m.hr_se,
        format!("ndcg@{k}_se"): m.ndcg_se,
        "eval_users": m.users,
        "fit_s": fit_s,
    });
    if a.hyper.algo == Algo::Item2vec {
        // DESIGN: item2vec is always reported beside the popularity baseline
        let p = eval::evaluate_popularity(&train, &test, k);
        out[format!("hr@{k}_popularity")] = p.hr.into();
        out[format!("ndcg@{k}_popularity")] = p.ndcg.into();
    }
    let rating = eval::evaluate_ratings(lookup.model(), &test);
    if let Some(r) = rating {
        out["rmse"] = r.rmse.into();
        out["mae"] = r.mae.into();
    }
    if cli.json {
        print_json(&out);
    } else {
        let rating = rating.map_or(String::new(), |r| {
            format!("rmse {:.4}  mae {:.4}  ", r.rmse, r.mae)
        });
        println!(
            "{}: {rating}precision@{k} {:.4}  recall@{k} {:.4}  hr@{k} {:.4} ± {:.4}  ndcg@{k} {:.4} ± {:.4}  ({} users; ± one standard error over users)  fit {:.3}s",
            t.name(),
            m.precision,
            m.recall,
            m.hr,
            m.hr_se,
            m.ndcg,
            m.ndcg_se,
            m.users,
            fit_s
        );
    }
    Ok(())
}

/// The table a command works on: `--table`, else `item/embedding`, else the word table of a
/// word model; an unknown name lists the model's tables.
pub(super) fn chosen_table<'m>(
    model: &'m recsys::Model,
    table: Option<&str>,
    dir: &Path,
) -> Result<(String, ndarray::ArrayView2<'m, f32>)> {
    let name = table.map_or_else(
        || {
            let word = recsys::models::word2vec::WORD_EMBEDDING;
            if model.table(recsys::model::ITEM_EMBEDDING).is_none() && model.table(word).is_some() {
                word.to_string()
            } else {
                recsys::model::ITEM_EMBEDDING.to_string()
            }
        },
        str::to_string,
    );
    let view = model.table(&name).with_context(|| {
        format!(
            "model {} has no table '{}' (tables: {})",
            dir.display(),
            name,
            checkpoint::table_names(model).join(", ")
        )
    })?;
    Ok((name, view))
}

fn export(cli: &Cli, a: &ExportArgs) -> Result<()> {
    let model = checkpoint::load(&a.model)?;
    let (name, table) = chosen_table(&model, a.table.as_deref(), &a.model)?;
    let column = recsys::Model::column_of(&name);
    let keys: Vec<String> = match model.vocab(column) {
        Some(v) => v.keys().to_vec(),
        None => (0..table.nrows()).map(|i| i.to_string()).collect(),
    };
    match a.format {
        Format::Word2vec => formats::word2vec::write(&a.out, &keys, table, false)?,
        Format::Word2vecBin => formats::word2vec::write(&a.out, &keys, table, true)?,
        Format::Glove => formats::glove::write(&a.out, &keys, table)?,
        Format::Npy => formats::npy::write(&a.out, &keys, table)?,
        Format::Projector => {
            let info = if column == "item" {
                model.item_info.clone()
            } else {
                Vec::new()
            };
            formats::projector::write(&a.out, &keys, table, &info)?;
        }
    }
    if cli.json {
        print_json(
            &json!({"out": a.out.display().to_string(), "format": format!("{:?}", a.format).to_lowercase(), "rows": table.nrows(), "dim": table.ncols()}),
        );
    } else {
        println!(
            "wrote {} rows × {} of {} to {}",
            table.nrows(),
            table.ncols(),
            name,
            a.out.display()
        );
    }
    Ok(())
}

fn generate(cli: &Cli, a: &GenerateArgs) -> Result<()> {
    let d = synth::generate(&synth::SynthConfig {
        seed: a.seed,
        n_users: a.users,
        ..Default::default()
    });
    d.write(&a.out)?;
    if cli.json {
        print_json(
            &json!({"out": a.out.display().to_string(), "films": d.films.len(), "ratings": d.ratings.len()}),
        );
    } else {
        println!(
            "wrote {} films and {} ratings to {}",
            d.films.len(),
            d.ratings.len(),
            a.out.display()
        );
    }
    Ok(())
}

/// Read a train/test pair in one index space (train ∪ test), as the peers build it.
fn read_pair(
    tr: &Path,
    te: &Path,
) -> Result<(recsys::data::Interactions, recsys::data::Interactions)> {
    let opts = ReadOptions::default();
    let mut train = data::read_interactions(tr, &opts, Vocab::new(), Vocab::new())?;
    let test = data::read_interactions(te, &opts, train.users.clone(), train.items.clone())?;
    train.users = test.users.clone();
    train.items = test.items.clone();
    Ok((train, test))
}

pub(super) fn split_kind(s: SplitKind, seed: u64) -> Split {
    match s {
        SplitKind::Random => Split::Random { frac: 0.8, seed },
        SplitKind::LeaveLastOut => Split::LeaveLastOut,
        SplitKind::Time => Split::Time { frac: 0.8 },
    }
}

fn tune(cli: &Cli, a: &TuneArgs) -> Result<()> {
    use recsys::tune::{Fold, Objective};
    let (lo, hi) = a
        .range
        .split_once(':')
        .and_then(|(l, h)| Some((l.trim().parse::<f64>().ok()?, h.trim().parse::<f64>().ok()?)))
        .with_context(|| format!("--range must be LO:HI, not '{}'", a.range))?;
    let mut folds = Vec::new();
    for f in &a.folds {
        let (tr, te) = f
            .split_once(':')
            .with_context(|| format!("--fold must be TRAIN:TEST, not '{f}'"))?;
        let (train, test) = read_pair(Path::new(tr), Path::new(te))?;
        folds.push(Fold { train, test });
    }
    if let Some(d) = &a.data {
        if matches!(a.hyper.algo, Algo::Word2vec | Algo::Glove | Algo::Lsa) {
            bail!(
                "tune works on interaction data; {} is not supported",
                algo_name(a.hyper.algo)
            );
        }
        let ds = load(d, a.hyper.schema.as_deref(), a.hyper.on_bad_row)?;
        let split = split_kind(a.split.unwrap_or(SplitKind::Time), a.hyper.seed);
        let (tr, te) = eval::split_rows(&ds.interactions, split);
        folds.push(Fold {
            train: ds.interactions.select(&tr),
            test: ds.interactions.select(&te),
        });
    }
    if folds.is_empty() {
        bail!("give DATA (with --split) or one or more --fold TRAIN:TEST");
    }
    let objective = match a.hyper.algo {
        Algo::Mf => Objective::Rmse,
        _ => Objective::NegNdcg(a.k),
    };
    let ctx = context(cli, &a.hyper)?;
    let n_items = folds[0].train.items.len();
    let make = |v: f64| -> recsys::Result<Box<dyn Trainer>> {
        let mut h = a.hyper.clone();
        let v = Some(v as f32);
        match a.param {
            TuneParam::Reg => h.reg = v,
            TuneParam::RegBias => h.reg_bias = v,
            TuneParam::Lr => h.lr = v,
            TuneParam::Alpha => h.alpha = v,
        }
        trainer(&h, n_items).map_err(|e| recsys::Error::Param(format!("{e:#}")))
    };
    let r = recsys::tune::tune(&folds, lo, hi, a.iters, objective, &ctx, make)?;
    let metric = match objective {
        Objective::Rmse => "rmse".to_string(),
        Objective::NegNdcg(k) => format!("ndcg@{k}"),
    };
    let shown = |s: f64| {
        if matches!(objective, Objective::Rmse) {
            s
        } else {
            -s
        }
    };
    if cli.json {
        print_json(&json!({
            "algo": format!("{:?}", a.hyper.algo).to_lowercase(),
            "param": format!("{:?}", a.param).to_lowercase(),
            "metric": metric,
            "folds": folds.len(),
            "best_value": r.best_value,
            "best": shown(r.best_score),
            "trials": r.trials.iter().map(|t| json!({"value": t.value, metric.clone(): shown(t.score), "per_fold": t.folds.iter().map(|&x| shown(x)).collect::<Vec<_>>()})).collect::<Vec<_>>(),
        }));
    } else {
        for t in &r.trials {
            println!(
                "{:?} = {:<12.6} {metric} {:.4}",
                a.param,
                t.value,
                shown(t.score)
            );
        }
        println!(
            "best {:?} = {:.6}: mean {metric} {:.4} over {} fold(s)",
            a.param,
            r.best_value,
            shown(r.best_score),
            folds.len()
        );
    }
    Ok(())
}

fn serve(cli: &Cli, a: &ServeArgs) -> Result<()> {
    if !(a.reload_secs.is_finite() && a.reload_secs >= 0.0) {
        bail!("--reload-secs must be a number of seconds >= 0");
    }
    if !(a.idle_secs.is_finite() && a.idle_secs > 0.0 && a.idle_secs < 1e9) {
        bail!("--idle-secs must be a positive number of seconds");
    }
    let cfg = recsys::serve::ServeConfig {
        max_k: a.max_k.max(1),
        max_batch: a.max_batch.max(1),
        timeout: std::time::Duration::from_millis(a.timeout_ms.max(1)),
        reload_every: (a.reload_secs > 0.0)
            .then(|| std::time::Duration::from_secs_f64(a.reload_secs)),
        max_connections: a.max_connections.max(1),
        header_timeout: std::time::Duration::from_millis(a.header_timeout_ms.max(1)),
        idle_timeout: std::time::Duration::from_secs_f64(a.idle_secs),
        ..Default::default()
    };
    let json = cli.json;
    let quiet = cli.quiet;
    let model = a.model.display().to_string();
    recsys::serve::run(&a.model, a.addr, cfg, move |bound| {
        if json {
            print_json(&json!({ "listening": format!("http://{bound}"), "model": model }));
        } else if !quiet {
            eprintln!("serving {model} on http://{bound} (Ctrl-C or SIGTERM to stop)");
        }
        use std::io::Write;
        let _ = std::io::stdout().flush();
    })?;
    Ok(())
}

fn build_index(cli: &Cli, a: &IndexArgs) -> Result<()> {
    use recsys::ann::{Hnsw, HnswParams, Visited};
    let lookup = Lookup::open(&a.model)?;
    let idx = lookup
        .items()
        .with_context(|| format!("model {} has no item table to index", a.model.display()))?;
    let table = idx.table();
    let flat = table
        .as_slice()
        .context("the item table is not contiguous")?;
    let params = HnswParams {
        m: a.m,
        ef_construction: a.ef_construction,
        ..Default::default()
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(a.threads)
        .build()
        .context("thread pool")?;
    let t0 = std::time::Instant::now();
    let g = pool.install(|| Hnsw::build(flat, table.ncols(), params))?;
    let build_s = t0.elapsed().as_secs_f64();
    // recall@10 on up to 200 rows spread over the table, against exact search
    let n = table.nrows();
    let step = (n / 200).max(1);
    let mut vis = Visited::new(n);
    let (mut hits, mut total) = (0usize, 0usize);
    for r in (0..n).step_by(step).take(200) {
        let q = table.row(r).to_vec();
        let exact = idx.search(&q, 10, |_| false)?;
        let got = g.search(flat, &q, 10, a.ef, &mut vis)?;
        hits += got
            .iter()
            .filter(|x| exact.iter().any(|e| e.0 == x.0))
            .count();
        total += exact.len();
    }
    let recall = hits as f64 / total.max(1) as f64;
    let path = recsys::similarity::ann_path(&a.model, "item");
    g.write(&path)?;
    if cli.json {
        print_json(&json!({
            "index": path.display().to_string(),
            "rows": n,
            "m": a.m,
            "ef_construction": a.ef_construction,
            "build_s": build_s,
            "relinked": g.relinked(),
            "ef": a.ef,
            "recall@10": recall,
        }));
    } else {
        println!(
            "indexed {n} items (HNSW m={}, ef_construction={}) in {build_s:.2}s; recall@10 at ef={} on a sample: {recall:.3} → {}",
            a.m,
            a.ef_construction,
            a.ef,
            path.display()
        );
    }
    Ok(())
}

fn cluster(cli: &Cli, a: &ClusterArgs) -> Result<()> {
    let model = checkpoint::load(&a.model)?;
    let (name, table) = chosen_table(&model, a.table.as_deref(), &a.model)?;
    let t = table.as_standard_layout();
    let flat = t.as_slice().context("table not contiguous")?;
    let c = recsys::cluster::kmeans(flat, table.ncols(), a.k, a.restarts, a.seed)?;
    let column = recsys::Model::column_of(&name);
    let vocab = model.vocab(column);
    let label = |i: usize| -> (String, Option<String>) {
        let key = vocab
            .and_then(|v| v.key(i))
            .map_or_else(|| i.to_string(), str::to_string);
        let title = (column == "item")
            .then(|| model.title(i))
            .flatten()
            .map(String::from);
        (key, title)
    };
    let mut clusters = Vec::new();
    for j in 0..a.k {
        let size = c.labels.iter().filter(|&&l| l == j).count();
        let central: Vec<serde_json::Value> =
            recsys::cluster::central(flat, table.ncols(), &c, j, a.top)
                .into_iter()
                .map(|i| {
                    let (key, title) = label(i);
                    json!({ "key": key, "title": title })
                })
                .collect();
        clusters.push(json!({ "cluster": j, "size": size, "central": central }));
    }
    if cli.json {
        print_json(&json!({ "table": name, "k": a.k, "inertia": c.inertia, "clusters": clusters }));
    } else {
        println!(
            "{} rows of {name} in {} clusters (inertia {:.3}):",
            table.nrows(),
            a.k,
            c.inertia
        );
        for cl in &clusters {
            let names: Vec<String> = cl["central"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|h| {
                    h["title"]
                        .as_str()
                        .or_else(|| h["key"].as_str())
                        .unwrap_or_default()
                        .to_string()
                })
                .collect();
            println!(
                "{:>3} ({:>4}): {}",
                cl["cluster"],
                cl["size"],
                names.join("; ")
            );
        }
    }
    Ok(())
}

//! One function per subcommand: call the library, print text or JSON.

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde_json::json;

use super::args::{
    Algo, Cli, ClusterArgs, Command, ExportArgs, Format, GenerateArgs, IndexArgs, ServeArgs,
    SplitKind, TuneArgs, TuneParam,
};
use super::common::{algo_name, chosen_table, context, load, print_json, read_pair, split_kind};
use super::evaluate::evaluate;
use super::params::trainer;
use super::query::{recommend, similar};
use super::train::train;
use recsys::checkpoint::{self, formats};
use recsys::eval::{self};
use recsys::models::Trainer;
use recsys::synth;

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
        Command::Inspect(a) => inspect(cli, &a.path),
        Command::Prepare(a) => super::handoff::prepare(cli, a),
        Command::Import(a) => super::handoff::import(cli, a),
    }
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
        Format::Safetensors => formats::sources::write_safetensors(&a.out, &keys, table)?,
        Format::TfCheckpoint => {
            formats::tf::write(&a.out, &[(name.as_str(), table)])?;
            formats::sources::write_keys(&formats::npy::keys_path(&a.out), &keys)?;
        }
        #[cfg(feature = "parquet")]
        Format::Parquet => {
            let info = if column == "item" {
                model.item_info.as_slice()
            } else {
                &[]
            };
            formats::parquet::write(&a.out, &keys, table, info)?;
        }
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
            &json!({"out": a.out.display().to_string(), "format": clap::ValueEnum::to_possible_value(&a.format).map(|v| v.get_name().to_string()), "rows": table.nrows(), "dim": table.ncols()}),
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

fn inspect(cli: &Cli, path: &Path) -> Result<()> {
    let i = checkpoint::inspect(path)?;
    if cli.json {
        print_json(&serde_json::to_value(&i)?);
        return Ok(());
    }
    println!("{} ({})", path.display(), i.format);
    if let Some(a) = &i.algo {
        println!("algo: {a}");
    }
    for (c, n) in &i.vocabularies {
        println!("vocabulary {c}: {n} keys");
    }
    for t in &i.tensors {
        println!("{}\t{}\t{:?}", t.name, t.dtype, t.shape);
    }
    Ok(())
}

fn generate(cli: &Cli, a: &GenerateArgs) -> Result<()> {
    if let Some(items) = a.items {
        let mut cfg = synth::large::LargeConfig {
            seed: a.seed,
            items,
            parquet: a.format == "parquet",
            ..Default::default()
        };
        if let Some(u) = a.users {
            cfg.users = u;
        }
        if let Some(z) = a.zipf {
            cfg.zipf = z;
        }
        if let Some(d) = &a.interactions_per_user {
            let parts: Vec<&str> = d.split(':').collect();
            match parts.as_slice() {
                ["lognormal", m, s] => {
                    cfg.median_per_user =
                        m.parse().context("the median of --interactions-per-user")?;
                    cfg.sigma_per_user =
                        s.parse().context("the sigma of --interactions-per-user")?;
                }
                _ => bail!("--interactions-per-user takes lognormal:MEDIAN:SIGMA, not '{d}'"),
            }
        }
        let r = synth::large::generate(&cfg, &a.out)?;
        if cli.json {
            print_json(&serde_json::to_value(&r)?);
        } else {
            println!(
                "wrote {} ratings of {} users on {} items to {} (top 1 % of items: {:.1} % of ratings; items per user: median {}, 99th percentile {})",
                r.interactions,
                r.users,
                r.items,
                a.out.display(),
                100.0 * r.top1_share,
                r.median_per_user,
                r.p99_per_user
            );
        }
        return Ok(());
    }
    let d = synth::generate(&synth::SynthConfig {
        seed: a.seed,
        n_users: a.users.unwrap_or(600),
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
            TuneParam::RegBias => h.factors.reg_bias = v,
            TuneParam::Lr => h.lr = v,
            TuneParam::Alpha => h.factors.alpha = v,
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
    let cfg = recsys::serve::ServeConfig::from_flags(&recsys::serve::ServeFlags {
        max_k: a.max_k,
        max_batch: a.max_batch,
        timeout_ms: a.timeout_ms,
        reload_secs: a.reload_secs,
        max_connections: a.max_connections,
        header_timeout_ms: a.header_timeout_ms,
        idle_secs: a.idle_secs,
    })?;
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
    let params = recsys::ann::HnswParams {
        m: a.m,
        ef_construction: a.ef_construction,
        ..Default::default()
    };
    let r = recsys::similarity::build_item_index(&a.model, params, a.ef, a.threads)?;
    if cli.json {
        print_json(&serde_json::to_value(&r)?);
    } else {
        println!(
            "indexed {} items (HNSW m={}, ef_construction={}) in {:.2}s; recall@10 at ef={} on a sample: {:.3} → {}",
            r.rows,
            r.m,
            r.ef_construction,
            r.build_s,
            r.ef,
            r.recall_at_10,
            r.index.display()
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

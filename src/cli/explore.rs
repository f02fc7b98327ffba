//! `recsys plot` and `recsys debias`: flags → `recsys::explore` → files and a report.

use std::collections::HashSet;

use anyhow::{bail, Context, Result};
use serde_json::json;

use super::args::{Cli, ColorArg, DebiasArgs, MethodArg, PlotArgs};
use super::common::{chosen_table, print_json};
use recsys::checkpoint;
use recsys::explore::{self, debias, plot, ColorBy, Labels, MapOptions, Method};

fn size(s: &str) -> Result<(u32, u32)> {
    let (w, h) = s
        .split_once('x')
        .with_context(|| format!("--size must look like 1400x1100, not '{s}'"))?;
    let (w, h): (u32, u32) = (
        w.trim()
            .parse()
            .with_context(|| format!("--size width '{w}'"))?,
        h.trim()
            .parse()
            .with_context(|| format!("--size height '{h}'"))?,
    );
    if !(200..=8000).contains(&w) || !(200..=8000).contains(&h) {
        bail!("--size: width and height must be within 200..8000 pixels, not {w}x{h}");
    }
    Ok((w, h))
}

fn labels(s: &str) -> Result<Labels> {
    if let Ok(n) = s.trim().parse::<usize>() {
        return Ok(Labels::Top(n));
    }
    let text = std::fs::read_to_string(s).with_context(|| {
        format!("--labels: '{s}' is neither a number nor a readable file of keys")
    })?;
    Ok(Labels::Keys(
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect(),
    ))
}

pub fn plot(cli: &Cli, a: &PlotArgs) -> Result<()> {
    let model = checkpoint::load(&a.model)?;
    let px = size(&a.size)?;
    if a.curves {
        let curves = explore::curves(&model);
        let title = format!("{} — {}", model.algo, a.model.display());
        plot::render_curves(&title, &curves, &a.out, px)?;
        if cli.json {
            print_json(&json!({"out": a.out.display().to_string(), "epochs": model.epochs.len()}));
        } else if !cli.quiet {
            println!(
                "{} epochs of {} → {}",
                model.epochs.len(),
                model.algo,
                a.out.display()
            );
        }
        return Ok(());
    }
    let (table, _) = chosen_table(&model, a.table.as_deref(), &a.model)?;
    let has_genres = model.item_info.iter().any(|i| !i.genres.is_empty());
    let color_by = match a.color_by {
        Some(ColorArg::Genre) => ColorBy::Genre,
        Some(ColorArg::Cluster) => ColorBy::Cluster(a.clusters),
        Some(ColorArg::None) => ColorBy::None,
        None if table.starts_with("item/") && has_genres => ColorBy::Genre,
        None => ColorBy::Cluster(a.clusters),
    };
    let opts = MapOptions {
        table,
        method: match a.method {
            MethodArg::Tsne => Method::Tsne,
            MethodArg::Pca => Method::Pca,
        },
        color_by,
        labels: labels(&a.labels)?,
        max_points: a.max_points,
        tsne: explore::tsne::TsneParams {
            perplexity: a.perplexity,
            iterations: a.iterations,
            ..Default::default()
        },
        seed: a.seed,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(a.threads)
        .build()
        .context("cannot start the worker threads")?;
    let (map, info) = pool.install(|| explore::map(&model, &opts))?;
    let placed = plot::render_map(&map, &a.out, px)?;
    if cli.json {
        print_json(&json!({
            "out": a.out.display().to_string(),
            "table": opts.table,
            "points": info.points,
            "method": info.method,
            "seconds": info.seconds,
            "kl": info.kl,
            "kl_final": info.kl.last().map(|x| x.1),
            "explained": info.explained,
            "labels_placed": placed,
            "groups": map.groups,
        }));
    } else if !cli.quiet {
        println!(
            "{} {} rows of {} in {:.2}s{}; {placed} labels → {}",
            info.method,
            info.points,
            opts.table,
            info.seconds,
            info.kl
                .last()
                .map_or(String::new(), |x| format!(" (KL {:.3})", x.1)),
            a.out.display()
        );
    }
    Ok(())
}

pub fn debias(cli: &Cli, a: &DebiasArgs) -> Result<()> {
    let mut model = checkpoint::load(&a.model)?;
    let word = recsys::models::word2vec::WORD_EMBEDDING;
    let vocab = model.vocab("word").cloned().with_context(|| {
        format!(
            "{}: not a word model (no word vocabulary)",
            a.model.display()
        )
    })?;
    let mut table = model
        .tables
        .get(word)
        .cloned()
        .with_context(|| format!("{}: the model has no {word}", a.model.display()))?;
    let pairs = match &a.pairs {
        Some(s) => debias::parse_pairs(s)?,
        None => debias::owned(debias::DEFINITIONAL),
    };
    let equalize = match &a.equalize {
        Some(s) => debias::parse_pairs(s)?,
        None => debias::owned(debias::EQUALIZE),
    };
    let specific: HashSet<String> = match &a.specific {
        Some(p) => std::fs::read_to_string(p)
            .with_context(|| format!("--specific {}", p.display()))?
            .lines()
            .map(|l| l.trim().to_lowercase())
            .filter(|l| !l.is_empty())
            .collect(),
        None => HashSet::new(),
    };
    let before = match &a.analogies {
        Some(q) => {
            let mut unit = table.clone();
            recsys::similarity::normalize_rows(&mut unit);
            Some(recsys::eval::words::analogies(
                unit.view(),
                &vocab,
                q,
                a.restrict,
            )?)
        }
        None => None,
    };
    let (report, _g) = debias::debias(&mut table, &vocab, &pairs, &equalize, &specific)?;
    let after = match &a.analogies {
        Some(q) => Some(recsys::eval::words::analogies(
            table.view(),
            &vocab,
            q,
            a.restrict,
        )?),
        None => None,
    };
    model.tables.insert(word.into(), table);
    model.info.debiased_from = Some(a.model.display().to_string());
    model.info.debias = Some(serde_json::to_value(&report)?);
    checkpoint::save(&model, &a.out)?;
    let acc = |r: &Option<recsys::eval::words::Analogies>| r.as_ref().map(|r| r.accuracy);
    if cli.json {
        print_json(&json!({
            "out": a.out.display().to_string(),
            "report": report,
            "analogy_acc_before": acc(&before),
            "analogy_acc_after": acc(&after),
        }));
    } else if !cli.quiet {
        println!(
            "bias direction from {} pairs ({:.0}% of their variance); {} words neutralised, {} pairs equalised",
            report.pairs_used,
            100.0 * report.direction_explained,
            report.neutralised,
            report.equalised
        );
        println!(
            "mean |projection| of neutralised words: {:.4} → {:.2e}",
            report.mean_abs_projection_before, report.mean_abs_projection_after
        );
        let top: Vec<String> = report
            .most_biased_before
            .iter()
            .take(10)
            .map(|(w, p)| format!("{w} {p:+.3}"))
            .collect();
        println!("most projected before: {}", top.join(", "));
        if let (Some(b), Some(f)) = (acc(&before), acc(&after)) {
            println!("analogy accuracy {b:.4} → {f:.4}");
        }
        println!("→ {}", a.out.display());
    }
    Ok(())
}

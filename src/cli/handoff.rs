//! `recsys prepare` and `recsys import`: flags → one call into [`recsys::handoff`] → report.

use anyhow::Result;
use serde_json::json;

use super::args::{BadRow, Cli, EngineArg, ImportArgs, PrepareArgs};
use super::common::{load, print_json};
use recsys::checkpoint;
use recsys::features::Schema;
use recsys::handoff::{self, Engine};

pub(super) fn prepare(cli: &Cli, a: &PrepareArgs) -> Result<()> {
    let ds = load(&a.data, a.schema.as_deref(), BadRow::Error)?;
    let schema = a.schema.as_deref().map(Schema::load).transpose()?;
    let p = handoff::prepare(&ds, schema.as_ref(), &a.out)?;
    if cli.json {
        print_json(&serde_json::to_value(&p)?);
    } else {
        println!(
            "prepared {} interactions ({} users, {} items) → {} ({} file{}), {}",
            p.interactions,
            p.users,
            p.items,
            p.interactions_path.display(),
            p.parts,
            if p.parts == 1 { "" } else { "s" },
            a.out.join("vocab").display()
        );
    }
    Ok(())
}

pub(super) fn import(cli: &Cli, a: &ImportArgs) -> Result<()> {
    let engine = match a.engine {
        EngineArg::SparkAls => Engine::SparkAls,
        EngineArg::SparkWord2vec => Engine::SparkWord2vec,
    };
    let im = handoff::import(engine, &a.factors, &a.vocab)?;
    checkpoint::save(&im.model, &a.model)?;
    if cli.json {
        print_json(&json!({
            "model": a.model.display().to_string(),
            "algo": im.model.algo,
            "engine": engine.name(),
            "items": im.items,
            "users": im.users,
            "interactions": im.interactions,
        }));
    } else {
        println!(
            "imported {} factors as an {} model: {} of {} items{} → {}",
            engine.name(),
            im.model.algo,
            im.items.found,
            im.items.rows,
            im.users
                .map(|u| format!(", {} of {} users", u.found, u.rows))
                .unwrap_or_default(),
            a.model.display()
        );
        if im.items.missing > 0 && !cli.quiet {
            eprintln!(
                "note: {} items have no vector from the job (too few interactions for it, or not in its input); their rows are zero, and `similar` finds nothing like them",
                im.items.missing
            );
        }
    }
    Ok(())
}

//! The CLI is one library call: `recsys train DATA` and `recsys::train::train` with
//! `Job::default_model()` give the same model, table for table and neighbour for neighbour.

mod common;
use common::*;

use recsys::models::TrainContext;
use recsys::train::{self, Algorithm, Input, Job};

#[test]
fn the_cli_default_model_is_the_library_default_model() {
    let dir = tempdir("library-default");
    let cli_model = dir.join("cli");
    ok(&[
        "train",
        synthetic().to_str().unwrap(),
        "--quiet",
        "--model",
        cli_model.to_str().unwrap(),
    ]);
    let ds = recsys::data::load_dataset(&synthetic(), &Default::default()).unwrap();
    let input = Input::Interactions {
        data: &ds.interactions,
        catalog: ds.catalog.as_ref(),
    };
    let lib = train::train(
        &Job::default_model(),
        input,
        &TrainContext::default(),
        &mut |_| Ok(()),
    )
    .unwrap();
    let cli = recsys::checkpoint::load(&cli_model).unwrap();
    assert_eq!(cli.algo, lib.algo);
    assert_eq!(cli.params, lib.params);
    assert_eq!(cli.tables, lib.tables);
    assert_eq!(cli.neighbours, lib.neighbours);
    assert_eq!(cli.vocabs, lib.vocabs);
    assert!(
        !lib.neighbours.is_empty(),
        "the default model holds an item-item table"
    );
    // and every registered algorithm is reachable by name
    for name in train::ALGORITHMS {
        assert_eq!(Algorithm::default_for(name).unwrap().name(), name);
    }
}

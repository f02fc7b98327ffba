//! Flags (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "recsys",
    version,
    about = "Embeddings for recommender IDs: train, look up, evaluate, export"
)]
pub struct Cli {
    /// Print one JSON object on stdout and nothing else.
    #[arg(long, global = true)]
    pub json: bool,
    /// No progress bars or notes on stderr.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a model on an interactions file or a MovieLens-style folder.
    Train(TrainArgs),
    /// Nearest neighbours of an item, a user, or a movie by title.
    Similar(SimilarArgs),
    /// Top-k items for a user, seen items excluded.
    Recommend(RecommendArgs),
    /// Train on a split and report metrics and fit time.
    Eval(EvalArgs),
    /// Export a table in a common embedding format.
    Export(ExportArgs),
    /// Search one hyper-parameter (log scale, Brent's method) by the mean validation metric
    /// over folds: RMSE for mf, NDCG@k for als and bpr.
    Tune(TuneArgs),
    /// Write the synthetic MovieLens-format data set (planted film families).
    Generate(GenerateArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TuneParam {
    /// --reg
    Reg,
    /// --reg-bias
    RegBias,
    /// --lr
    Lr,
    /// --alpha
    Alpha,
}

#[derive(Debug, Args)]
pub struct TuneArgs {
    /// Data to split (with --split), instead of --fold pairs.
    pub data: Option<PathBuf>,
    /// A train/test pair `TRAIN:TEST` (repeat for several folds).
    #[arg(long = "fold", value_name = "TRAIN:TEST")]
    pub folds: Vec<String>,
    /// How to split DATA into one fold.
    #[arg(long, value_enum)]
    pub split: Option<SplitKind>,
    /// The hyper-parameter to search.
    #[arg(long, value_enum)]
    pub param: TuneParam,
    /// Search range `LO:HI` (both > 0; searched on a log scale).
    #[arg(long)]
    pub range: String,
    /// Brent iterations (each trains once per fold).
    #[arg(long, default_value_t = 12)]
    pub iters: u64,
    /// Cut-off of NDCG for ranking models.
    #[arg(short, long, default_value_t = 10)]
    pub k: usize,
    #[command(flatten)]
    pub hyper: HyperArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Algo {
    /// Implicit ALS (conjugate gradient).
    Als,
    /// Explicit biased MF by SGD (Funk SVD).
    Mf,
    /// Bayesian personalised ranking.
    Bpr,
}

#[derive(Debug, Clone, Args)]
pub struct HyperArgs {
    /// Algorithm.
    #[arg(long, value_enum, default_value = "als")]
    pub algo: Algo,
    /// Embedding width: a number, or `auto` for the fourth-root rule over the item count
    /// (default: the algorithm's own, 64 for als/bpr, 100 for mf).
    #[arg(long)]
    pub dim: Option<String>,
    /// Training epochs (ALS: alternations).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// L2 regularisation.
    #[arg(long)]
    pub reg: Option<f32>,
    /// ALS confidence slope: c = 1 + alpha·r.
    #[arg(long)]
    pub alpha: Option<f32>,
    /// SGD learning rate (mf, bpr).
    #[arg(long)]
    pub lr: Option<f32>,
    /// Learning-rate multiplier per epoch (mf).
    #[arg(long)]
    pub lr_decay: Option<f32>,
    /// L2 regularisation of biases (mf, bpr).
    #[arg(long)]
    pub reg_bias: Option<f32>,
    /// mf: train SVD++ (adds the implicit feedback of which items a user rated).
    #[arg(long)]
    pub svdpp: bool,
    /// bpr: add genre embeddings (from the items file) to item vectors — LightFM-style hybrid,
    /// so items without interactions still get vectors.
    #[arg(long)]
    pub item_features: bool,
    /// ALS: CG steps per row solve.
    #[arg(long)]
    pub cg_steps: Option<usize>,
    /// Worker threads (0 = all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Random seed (with --threads 1, runs are bit-reproducible).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Start a table from prior vectors: a model directory, a word2vec text/binary (.bin) or a
    /// GloVe text file; rows are matched by key.
    #[arg(long)]
    pub init_from: Option<PathBuf>,
    /// The table to initialise, and its tensor name in a prior model directory.
    #[arg(long, default_value = "item/embedding", requires = "init_from")]
    pub init_tensor: String,
    /// Keep the rows taken from the prior fixed during training.
    #[arg(long, requires = "init_from")]
    pub freeze: bool,
    /// Schema describing the files and columns (see schemas/).
    #[arg(long)]
    pub schema: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Interactions file, items file (movies.csv, u.item: the ratings beside it are used) or folder.
    pub data: PathBuf,
    /// Model directory to write.
    #[arg(long, default_value = "recsys-model")]
    pub model: PathBuf,
    #[command(flatten)]
    pub hyper: HyperArgs,
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false, id = "query")]
pub struct Query {
    /// A movie by title (case-insensitive; article and year optional).
    #[arg(long, group = "query")]
    pub movie: Option<String>,
    /// An item by key.
    #[arg(long, group = "query")]
    pub item: Option<String>,
    /// A user by key.
    #[arg(long, group = "query")]
    pub user: Option<String>,
    /// A word (word-vector models).
    #[arg(long, group = "query")]
    pub word: Option<String>,
}

#[derive(Debug, Args)]
pub struct SimilarArgs {
    #[command(flatten)]
    pub query: Query,
    /// Number of results.
    #[arg(short, long, default_value_t = 10)]
    pub k: usize,
    /// Model directory.
    #[arg(long, default_value = "recsys-model")]
    pub model: PathBuf,
}

#[derive(Debug, Args)]
pub struct RecommendArgs {
    /// User key.
    #[arg(long)]
    pub user: String,
    /// Number of results.
    #[arg(short, long, default_value_t = 10)]
    pub k: usize,
    /// Model directory.
    #[arg(long, default_value = "recsys-model")]
    pub model: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SplitKind {
    Random,
    LeaveLastOut,
    Time,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Data to split (not needed with --train/--test).
    pub data: Option<PathBuf>,
    /// Training file (TSV user item rating timestamp, as the peers write).
    #[arg(long, requires = "test", conflicts_with = "split")]
    pub train: Option<PathBuf>,
    /// Test file.
    #[arg(long, requires = "train")]
    pub test: Option<PathBuf>,
    /// How to split DATA.
    #[arg(long, value_enum)]
    pub split: Option<SplitKind>,
    /// Items file (titles, genres) for --train/--test, e.g. for `--item-features`.
    #[arg(long)]
    pub items: Option<PathBuf>,
    /// Cut-off of the top-k metrics.
    #[arg(short, long, default_value_t = 10)]
    pub k: usize,
    #[command(flatten)]
    pub hyper: HyperArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Word2vec,
    Word2vecBin,
    Glove,
    Npy,
    Projector,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Output format.
    #[arg(long, value_enum)]
    pub format: Format,
    /// Model directory.
    #[arg(long, default_value = "recsys-model")]
    pub model: PathBuf,
    /// Table to export.
    #[arg(long, default_value = "item/embedding")]
    pub table: String,
    /// Output file (word2vec, glove, npy — keys go to PATH.keys.txt) or directory (projector).
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Output directory (movies.csv + ratings.csv).
    #[arg(long)]
    pub out: PathBuf,
    /// RNG seed.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Number of users.
    #[arg(long, default_value_t = 600)]
    pub users: usize,
}

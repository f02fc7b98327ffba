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
    /// Serve look-ups over HTTP/JSON (reloads the model directory when it changes).
    Serve(ServeArgs),
    /// Build the approximate (HNSW) index of the item table, saved beside the model.
    Index(IndexArgs),
    /// k-means over a table's normalised rows; prints each cluster's most central keys.
    Cluster(ClusterArgs),
    /// Draw a 2-D map of a table (PCA or t-SNE) or the training curves, to PNG or SVG.
    Plot(PlotArgs),
    /// Remove a bias direction (e.g. gender) from word vectors into a new model directory.
    Debias(DebiasArgs),
    /// List the tensors (name, dtype, shape) of a model directory or of any file --init-from
    /// reads: safetensors, .npy, a TensorFlow checkpoint or SavedModel, a torch.save file.
    Inspect(InspectArgs),
    /// Write what a cluster job reads: the interactions by row index as Parquet, and the
    /// vocabularies (docs/SCALE.md).
    Prepare(PrepareArgs),
    /// Build a model directory from factors a Spark job wrote (`scale/spark/`), keyed by a
    /// prepared folder's vocabularies.
    Import(ImportArgs),
}

#[derive(Debug, Args)]
pub struct PrepareArgs {
    /// The data: an interactions file or a MovieLens-style folder, as `train` reads it.
    pub data: PathBuf,
    /// Read the data as this schema says (its interactions source and roles).
    #[arg(long)]
    pub schema: Option<PathBuf>,
    /// The folder to write: `interactions.parquet` and `vocab/`.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EngineArg {
    /// Spark MLlib ALS (`scale/spark/als.py`): item and user factors, an `als` model.
    SparkAls,
    /// Spark MLlib Word2Vec over histories (`scale/spark/item2vec.py`): an `item2vec` model.
    SparkWord2vec,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Which job wrote the factors.
    pub engine: EngineArg,
    /// The folder the job wrote (`item_factors/`, and `user_factors/` for ALS).
    pub factors: PathBuf,
    /// The prepared folder's `vocab/` (its `interactions.parquet` beside it restores seen
    /// items and popularity).
    #[arg(long)]
    pub vocab: PathBuf,
    /// The model directory to write.
    #[arg(long)]
    pub model: PathBuf,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The file or directory (a TensorFlow checkpoint by its prefix, its .index file, or the
    /// directory holding it).
    pub path: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    /// Barnes–Hut t-SNE.
    Tsne,
    /// The first two principal components.
    Pca,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    /// The item's first genre (default for item tables with genres).
    Genre,
    /// k-means clusters (--clusters; default for other tables).
    Cluster,
    /// One colour.
    None,
}

#[derive(Debug, Args)]
pub struct PlotArgs {
    /// Model directory.
    #[arg(long, default_value = "recsys-model")]
    pub model: PathBuf,
    /// Output file: .png or .svg.
    #[arg(long)]
    pub out: PathBuf,
    /// Plot the per-epoch training curves of the manifest instead of a map.
    #[arg(long)]
    pub curves: bool,
    /// Table to map (default: item/embedding, or word/embedding for word models).
    #[arg(long)]
    pub table: Option<String>,
    /// Projection.
    #[arg(long, value_enum, default_value = "tsne")]
    pub method: MethodArg,
    /// Labels: a number (the N most frequent keys) or a file of keys, one per line.
    #[arg(long, default_value = "40")]
    pub labels: String,
    /// Colour points by.
    #[arg(long, value_enum)]
    pub color_by: Option<ColorArg>,
    /// Number of k-means clusters for --color-by cluster.
    #[arg(long, default_value_t = 10)]
    pub clusters: usize,
    /// Draw at most this many rows (the most frequent).
    #[arg(long, default_value_t = 10_000)]
    pub max_points: usize,
    /// t-SNE perplexity.
    #[arg(long, default_value_t = 30.0)]
    pub perplexity: f64,
    /// t-SNE iterations.
    #[arg(long, default_value_t = 1000)]
    pub iterations: usize,
    /// Image width and height in pixels.
    #[arg(long, default_value = "1400x1100")]
    pub size: String,
    /// Worker threads (0 = all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Random seed (k-means colours).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct DebiasArgs {
    /// Word model directory.
    #[arg(long, default_value = "recsys-model")]
    pub model: PathBuf,
    /// The new model directory.
    #[arg(long)]
    pub out: PathBuf,
    /// Definitional pairs, e.g. "she:he,woman:man" (default: the ten gender pairs of
    /// Bolukbasi et al. 2016).
    #[arg(long)]
    pub pairs: Option<String>,
    /// Pairs to equalise (default: 24 gender pairs such as actress:actor, queen:king).
    #[arg(long)]
    pub equalize: Option<String>,
    /// File of words (one per line) that keep the direction, beside the pairs' words.
    #[arg(long)]
    pub specific: Option<PathBuf>,
    /// Report analogy accuracy on this file before and after (questions-words.txt).
    #[arg(long)]
    pub analogies: Option<PathBuf>,
    /// Analogies: candidates among the N most frequent words.
    #[arg(long, default_value_t = 300_000)]
    pub restrict: usize,
}

#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// Model directory.
    #[arg(long, default_value = "recsys-model")]
    pub model: PathBuf,
    /// Number of clusters.
    #[arg(short, long)]
    pub k: usize,
    /// Table to cluster (default: item/embedding, or word/embedding for word models).
    #[arg(long)]
    pub table: Option<String>,
    /// Seeded restarts (the lowest inertia is kept).
    #[arg(long, default_value_t = 5)]
    pub restarts: usize,
    /// Central members shown per cluster.
    #[arg(long, default_value_t = 5)]
    pub top: usize,
    /// Random seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct IndexArgs {
    /// Model directory.
    #[arg(long, default_value = "recsys-model")]
    pub model: PathBuf,
    /// Links per node (twice as many on the bottom layer).
    #[arg(long, default_value_t = 16)]
    pub m: usize,
    /// Candidate list while building.
    #[arg(long, default_value_t = 100)]
    pub ef_construction: usize,
    /// Candidate list for the recall check printed after building.
    #[arg(long, default_value_t = 64)]
    pub ef: usize,
    /// Worker threads (0 = all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Model directory.
    #[arg(long, default_value = "recsys-model")]
    pub model: PathBuf,
    /// Address to listen on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: std::net::SocketAddr,
    /// Largest k accepted.
    #[arg(long, default_value_t = 1000)]
    pub max_k: usize,
    /// Most keys per /vectors or /score request.
    #[arg(long, default_value_t = 1000)]
    pub max_batch: usize,
    /// Deadline of one request, in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    pub timeout_ms: u64,
    /// Check the model directory for a new model every S seconds (0: never).
    #[arg(long, default_value_t = 2.0)]
    pub reload_secs: f64,
    /// Most connections open at once (more are closed on arrival and counted in /metrics).
    #[arg(long, default_value_t = 1024)]
    pub max_connections: usize,
    /// Time a client has to send a request's headers, in milliseconds (slow-loris guard).
    #[arg(long, default_value_t = 5_000)]
    pub header_timeout_ms: u64,
    /// Close a connection idle for this many seconds (at least the request deadline).
    #[arg(long, default_value_t = 60.0)]
    pub idle_secs: f64,
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
    /// word2vec over text (one sentence or document per line, plain or .gz).
    Word2vec,
    /// item2vec over users' histories (or sessions, with --input sessions).
    Item2vec,
    /// A small network over a schema's embedding columns (needs --schema).
    Dnn,
    /// GloVe over text: weighted least squares on windowed co-occurrence counts.
    Glove,
    /// Item-item nearest neighbours: sparse co-occurrence similarities, top K per item.
    Itemknn,
    /// LSA over text: PPMI (or log-count) co-occurrences, truncated SVD.
    Lsa,
}

/// How cells are weighted: the interaction matrix (als) or co-occurrence counts (lsa).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WeightingArg {
    /// als: the cells as they are.
    None,
    /// als: BM25, items as documents and their users as terms (--bm25-k1, --bm25-b), as
    /// implicit's `bm25_weight`.
    Bm25,
    /// als: TF-IDF, √x · idf(user), as implicit's `tfidf_weight`.
    Tfidf,
    /// lsa: positive PMI with context-distribution smoothing (α = 0.75).
    Ppmi,
    /// lsa: ln(1 + count).
    LogCount,
}

/// How item-KNN compares items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SimilarityArg {
    /// Cosine of the binary co-occurrence columns.
    Cosine,
    /// BM25-weighted co-occurrence (popular items weigh less).
    Bm25,
    /// Cosine of TF-IDF-weighted columns.
    Tfidf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BadRow {
    /// Stop at the first malformed row with its file, line and field.
    Error,
    /// Skip malformed rows and report how many were skipped.
    Skip,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputKind {
    /// Interaction data: each user's items in time order form one sentence.
    Interactions,
    /// One session/basket per line, item tokens separated by whitespace.
    Sessions,
}

/// The flags of training (`train`, `eval`, `tune`): the ones every algorithm reads, then one
/// group per family of algorithms (each its own section of `--help`).
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
    /// Learning rate (mf, bpr: SGD; word2vec: initial, default 0.025, with --cbow 0.05 as in word2vec.c; glove: AdaGrad, default 0.05).
    #[arg(long)]
    pub lr: Option<f32>,
    /// Worker threads (0 = all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Random seed (with --threads 1, runs are bit-reproducible).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Schema describing the files and columns (see schemas/).
    #[arg(long)]
    pub schema: Option<PathBuf>,
    /// What a malformed interactions row does (files read without a schema).
    #[arg(long, value_enum, default_value = "error")]
    pub on_bad_row: BadRow,
    /// Flags of the factor and neighbour models.
    #[command(flatten)]
    pub factors: FactorFlags,
    /// Flags of the sequence and text models.
    #[command(flatten)]
    pub words: SequenceFlags,
    /// Flags of the DNN.
    #[command(flatten)]
    pub net: NetworkFlags,
    /// Prior vectors and resumed runs.
    #[command(flatten)]
    pub start: StartFlags,
}

/// Factor and neighbour models: als, mf, bpr, itemknn.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Factor and neighbour models: als, mf, bpr, itemknn")]
pub struct FactorFlags {
    /// ALS confidence slope: c = 1 + alpha·r.
    #[arg(long)]
    pub alpha: Option<f32>,
    /// Learning-rate multiplier per epoch (mf).
    #[arg(long)]
    pub lr_decay: Option<f32>,
    /// L2 regularisation of biases (mf, bpr).
    #[arg(long)]
    pub reg_bias: Option<f32>,
    /// Standard deviation of the initial factors (mf, bpr; default 0.1, truncated normal).
    #[arg(long)]
    pub init_std: Option<f32>,
    /// mf: train SVD++ (adds the implicit feedback of which items a user rated).
    #[arg(long)]
    pub svdpp: bool,
    /// bpr: add genre embeddings (from the items file) to item vectors — LightFM-style hybrid,
    /// so items without interactions still get vectors.
    #[arg(long)]
    pub item_features: bool,
    /// bpr: the WARP loss (LightFM's `warp`) instead of BPR's log-loss.
    #[arg(long)]
    pub warp: bool,
    /// bpr --warp: most negatives drawn per positive.
    #[arg(long)]
    pub max_sampled: Option<usize>,
    /// Cell weighting: als the interaction matrix (none | bm25 | tfidf; default none), lsa
    /// the co-occurrence counts (ppmi | log-count; default ppmi).
    #[arg(long, value_enum)]
    pub weighting: Option<WeightingArg>,
    /// BM25's term-frequency saturation K1 (--weighting bm25: default 100; itemknn
    /// --similarity bm25: default 1.2, as implicit's `BM25Recommender`).
    #[arg(long)]
    pub bm25_k1: Option<f32>,
    /// BM25's length normalisation B in [0, 1] (--weighting bm25: default 0.8; itemknn: 0.75).
    #[arg(long)]
    pub bm25_b: Option<f32>,
    /// itemknn (and the item-item table of als): how items are compared (default bm25).
    #[arg(long, value_enum)]
    pub similarity: Option<SimilarityArg>,
    /// itemknn (and the item-item table of als): neighbours kept per item (default 50).
    #[arg(long)]
    pub neighbours: Option<usize>,
    /// als: do not keep the item-item table beside the factors (`similar` then ranks by the
    /// cosine of the item factors).
    #[arg(long)]
    pub no_neighbours: bool,
    /// ALS: CG steps per row solve.
    #[arg(long)]
    pub cg_steps: Option<usize>,
}

/// Sequences and text: word2vec, item2vec, glove, lsa.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Sequences and text: word2vec, item2vec, glove, lsa")]
pub struct SequenceFlags {
    /// glove: exponent α of the weighting function (x / x_max)^α (default 0.75).
    #[arg(long)]
    pub weight_exponent: Option<f32>,
    /// word2vec/item2vec: context window, maximum distance (default 5 for words, 50 for items).
    #[arg(long)]
    pub window: Option<usize>,
    /// word2vec/item2vec: negative samples per prediction (0 = none; needs --hs).
    #[arg(long)]
    pub negative: Option<usize>,
    /// word2vec/item2vec: hierarchical softmax over a Huffman tree.
    #[arg(long)]
    pub hs: bool,
    /// word2vec/item2vec: CBOW instead of skip-gram.
    #[arg(long)]
    pub cbow: bool,
    /// CBOW: sum the context vectors instead of averaging them.
    #[arg(long, requires = "cbow")]
    pub cbow_sum: bool,
    /// word2vec/item2vec: subsampling threshold of frequent tokens (0 = off; default 1e-3).
    #[arg(long)]
    pub sample: Option<f64>,
    /// word2vec/item2vec: drop tokens seen fewer times (default 5 for words, 1 for items).
    #[arg(long)]
    pub min_count: Option<u64>,
    /// word2vec/item2vec/glove/lsa: keep at most N words (the most frequent); the counting
    /// pass then holds at most 2N distinct words, so memory is bounded on any corpus.
    #[arg(long, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_vocab: Option<usize>,
    /// word2vec/item2vec: keep the encoded corpus (4 bytes per token) in memory after the
    /// first epoch when it fits in N MiB, so later epochs skip reading and tokenising it
    /// (default 1024; 0 = read the corpus every epoch). Results are the same either way.
    #[arg(long, value_name = "MIB")]
    pub corpus_cache_mb: Option<usize>,
    /// word2vec/item2vec/bpr: exponent of the unigram^α noise distribution (default 0.75 for
    /// words, 0 for items; bpr: negatives ∝ item count^α).
    #[arg(long, allow_hyphen_values = true)]
    pub ns_exponent: Option<f64>,
    /// word2vec/item2vec: final learning rate (default 0.0001; --lr is the initial one).
    #[arg(long)]
    pub min_lr: Option<f32>,
    /// word2vec/item2vec: fixed window instead of a reach drawn from 1..=window per word.
    #[arg(long)]
    pub fixed_window: bool,
    /// Skip-gram: update pair by pair like word2vec.c instead of batching each window
    /// against shared output rows.
    #[arg(long)]
    pub unbatched: bool,
    /// item2vec: a user's query vector is made of their last N items (default 20).
    #[arg(long)]
    pub history: Option<usize>,
    /// item2vec: each older item of the query weighs this much of the next newer one
    /// (default 0.7; 1 = the plain mean of the last N).
    #[arg(long)]
    pub history_decay: Option<f32>,
    /// item2vec: what DATA holds.
    #[arg(long, value_enum, default_value = "interactions")]
    pub input: InputKind,
    /// glove: counts at or above this get full weight (default 100).
    #[arg(long)]
    pub x_max: Option<f32>,
    /// glove/lsa: memory budget of co-occurrence counting in MiB; beyond it, sorted runs are
    /// spilled to temporary files and merged (default 2048).
    #[arg(long)]
    pub memory_mb: Option<usize>,
}

/// Network over feature columns: dnn.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Network over feature columns: dnn")]
pub struct NetworkFlags {
    /// dnn: hidden layer widths, comma-separated (default 64,32).
    #[arg(long)]
    pub hidden: Option<String>,
    /// dnn: update rule, sgd | adagrad | adam (default adagrad).
    #[arg(long)]
    pub optimizer: Option<String>,
    /// dnn: examples per mini-batch (default 512).
    #[arg(long)]
    pub batch: Option<usize>,
    /// dnn: fraction of the training examples held out for early stopping (default 0: off).
    #[arg(long)]
    pub validation: Option<f64>,
    /// dnn: epochs without a better validation loss before stopping (default 2).
    #[arg(long)]
    pub patience: Option<usize>,
}

/// Starting points: prior vectors, resumed runs.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Starting points: prior vectors, resumed runs")]
pub struct StartFlags {
    /// Start a table from prior vectors, rows matched by key: a model directory, a word2vec
    /// text/binary (.bin) or GloVe text file, or a tensor file of another framework
    /// (.safetensors, .npy, a TensorFlow checkpoint or SavedModel, a torch.save file; with
    /// --init-vocab).
    #[arg(long)]
    pub init_from: Option<PathBuf>,
    /// The tensor to take from the prior (`recsys inspect` lists them). A table name of ours
    /// (user/embedding, item/embedding, word/embedding) also picks the table to initialise;
    /// by default the model's main table (word/embedding for text, else item/embedding) from
    /// the prior's table of that name, or a tensor file's only 2-D float tensor.
    #[arg(long, requires = "init_from")]
    pub init_tensor: Option<String>,
    /// Keys for the rows of a tensor file: one key per line (line i = row i, like
    /// TensorFlow's vocabulary_file), or a TSV with a header and keys in the first column.
    #[arg(long, requires = "init_from")]
    pub init_vocab: Option<PathBuf>,
    /// Keep the rows taken from the prior fixed during training.
    #[arg(long, requires = "init_from")]
    pub freeze: bool,
    /// Continue the run saved in this model directory (same data and settings; --epochs is
    /// the new total): tables, biases, optimiser state and epoch log (als, mf, bpr, dnn,
    /// word2vec, item2vec).
    #[arg(long, conflicts_with = "init_from")]
    pub resume: Option<PathBuf>,
    /// dnn, word2vec: save the model directory after every N epochs, so that a killed run
    /// can be continued with --resume.
    #[arg(long)]
    pub checkpoint_every: Option<usize>,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Interactions file, items file (movies.csv, u.item: the ratings beside it are used) or
    /// folder; for word2vec (and item2vec --input sessions) one or more text files.
    #[arg(required = true, num_args = 1..)]
    pub data: Vec<PathBuf>,
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
    /// An analogy by vector offset, e.g. "king - man + woman" (word-vector models).
    #[arg(long, group = "query", allow_hyphen_values = true)]
    pub analogy: Option<String>,
}

/// Where item neighbours come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ByArg {
    /// The model's item-item table when it has one, else the embedding.
    Auto,
    /// The item-item table (an error when the model has none).
    Table,
    /// The cosine of the item embedding.
    Embedding,
}

impl From<ByArg> for recsys::similarity::NeighbourSource {
    fn from(b: ByArg) -> Self {
        match b {
            ByArg::Auto => Self::Auto,
            ByArg::Table => Self::Table,
            ByArg::Embedding => Self::Embedding,
        }
    }
}

#[derive(Debug, Args)]
pub struct SimilarArgs {
    #[command(flatten)]
    pub query: Query,
    /// Items (--movie, --item): rank by the model's item-item table or by its embedding.
    #[arg(long, value_enum, default_value = "auto")]
    pub by: ByArg,
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
    #[arg(long, conflicts_with = "items", required_unless_present = "items")]
    pub user: Option<String>,
    /// A user the model has not seen, by the items they interacted with (comma-separated
    /// keys, oldest first): folded in without retraining (als, item2vec, itemknn).
    #[arg(long, value_delimiter = ',')]
    pub items: Option<Vec<String>>,
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
    /// Data to split (not needed with --train/--test); for word2vec, the text file(s).
    pub data: Vec<PathBuf>,
    /// Evaluate an existing model directory instead of training: its word vectors, its
    /// neighbours (--neighbours), or with --test its recommendations (a model trained here or
    /// brought in by `recsys import`).
    #[arg(long, conflicts_with_all = ["train", "split"])]
    pub model: Option<PathBuf>,
    /// Word vectors: an analogy file in questions-words.txt format.
    #[arg(long)]
    pub analogies: Option<PathBuf>,
    /// Word vectors: a `word1<TAB>word2<TAB>score` similarity file (repeatable), e.g.
    /// WordSim-353 or SimLex-999.
    #[arg(long = "word-pairs")]
    pub word_pairs: Vec<PathBuf>,
    /// Neighbour quality of the model's items: a families file (`original<TAB>member,…` per
    /// line, e.g. a film and its sequels; see benches/franchises.py); prints hit@5, MRR@10 and
    /// how popular the neighbours are. Needs --model.
    #[arg(long, requires = "model")]
    pub neighbours: Option<PathBuf>,
    /// Word vectors: only the N most frequent words take part (gensim's restrict_vocab).
    #[arg(long, default_value_t = recsys::eval::words::DEFAULT_RESTRICT)]
    pub restrict: usize,
    /// Training file (TSV user item rating timestamp, as the peers write).
    #[arg(long, requires = "test", conflicts_with = "split")]
    pub train: Option<PathBuf>,
    /// Test file.
    #[arg(long, requires = "train")]
    pub test: Option<PathBuf>,
    /// How to split DATA.
    #[arg(long, value_enum)]
    pub split: Option<SplitKind>,
    /// Items file (titles, genres), e.g. for `--item-features`; with DATA it replaces the
    /// catalogue found beside the data.
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
    /// One tensor named `weight` (an nn.Embedding's state dict), keys in PATH.keys.txt.
    Safetensors,
    /// A TensorFlow checkpoint at the prefix PATH (PATH.index + PATH.data-00000-of-00001),
    /// the tensor named after the table; keys in PATH.keys.txt.
    TfCheckpoint,
    /// A Parquet table (key, vector as fixed_size_list<float>[dim], and title/genres for items with a
    /// catalogue), the file LanceDB, Qdrant, Milvus, Spark and pandas ingest.
    #[cfg(feature = "parquet")]
    Parquet,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Output format.
    #[arg(long, value_enum)]
    pub format: Format,
    /// Model directory.
    #[arg(long, default_value = "recsys-model")]
    pub model: PathBuf,
    /// Table to export (default: item/embedding, or word/embedding for word models).
    #[arg(long)]
    pub table: Option<String>,
    /// Output file (word2vec, glove, npy, safetensors — keys go to PATH.keys.txt), checkpoint
    /// prefix (tf-checkpoint) or directory (projector).
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
    /// Number of users (default 600; with --items, 65000).
    #[arg(long)]
    pub users: Option<usize>,
    /// Write large MovieLens-shaped data instead (Zipf-like item popularity, long-tailed
    /// users, timestamps, titles), streamed: `--users 65000 --items 25000` is about 10M rows.
    #[arg(long)]
    pub items: Option<usize>,
    /// With --items: items per user, `lognormal:MEDIAN:SIGMA` (floor 20; default
    /// lognormal:70:1.23, about 150 a user on average, like MovieLens 25M).
    #[arg(long, requires = "items")]
    pub interactions_per_user: Option<String>,
    /// With --items: Zipf exponent of item popularity.
    #[arg(long, requires = "items")]
    pub zipf: Option<f64>,
    /// With --items: the file format, `csv` or `parquet` (`movies.parquet` + `ratings.parquet`,
    /// row groups of 1M rows, zstd).
    #[arg(long, requires = "items", default_value = "csv", value_parser = ["csv", "parquet"])]
    pub format: String,
}

//! Flags → typed hyper-parameters: one [`Algorithm`] from the shared `HyperArgs`.

use anyhow::{bail, Context, Result};

use super::args::{Algo, HyperArgs, SimilarityArg, WeightingArg};
use clap::ValueEnum;
use recsys::embedding::Dimension;
use recsys::models::als::AlsParams;
use recsys::models::bpr::BprParams;
use recsys::models::glove::GloveParams;
use recsys::models::item2vec::Item2VecParams;
use recsys::models::itemknn::{ItemKnnParams, Similarity};
use recsys::models::lsa::{LsaParams, Weighting};
use recsys::models::mf::MfParams;
use recsys::models::weighting::{self, Weighting as InteractionWeighting};
use recsys::models::word2vec::{Arch, Word2VecParams};
use recsys::models::Trainer;
use recsys::train::Algorithm;

/// The algorithm of `--algo` with its parameters from the flags. `n_items`: the item count
/// `--dim auto` resolves against (interactions); `None` for text, where `auto` is resolved
/// by the trainer once the vocabulary is counted.
pub(super) fn algorithm(h: &HyperArgs, n_items: Option<usize>) -> Result<Algorithm> {
    let dim = match n_items {
        None => word_dim(h)?,
        Some(n) => match &h.dim {
            None => None,
            Some(d) => Some(
                Dimension::parse(d)
                    .with_context(|| {
                        format!("--dim must be 'auto' or a positive integer, not '{d}'")
                    })?
                    .resolve(n),
            ),
        },
    };
    Ok(match h.algo {
        Algo::Als => {
            let d = AlsParams::default();
            Algorithm::Als(AlsParams {
                dim: dim.unwrap_or(d.dim),
                epochs: h.epochs.unwrap_or(d.epochs),
                reg: h.reg.unwrap_or(d.reg),
                alpha: h.factors.alpha.unwrap_or(d.alpha),
                cg_steps: h.factors.cg_steps.unwrap_or(d.cg_steps),
                weighting: interaction_weighting(h)?,
                ..d
            })
        }
        Algo::Itemknn => Algorithm::Itemknn(knn_params(h)),
        Algo::Mf => {
            let d = if h.factors.svdpp {
                MfParams::svdpp_default()
            } else {
                MfParams::default()
            };
            Algorithm::Mf(MfParams {
                dim: dim.unwrap_or(d.dim),
                epochs: h.epochs.unwrap_or(d.epochs),
                lr: h.lr.unwrap_or(d.lr),
                lr_decay: h.factors.lr_decay.unwrap_or(d.lr_decay),
                reg: h.reg.unwrap_or(d.reg),
                reg_bias: h.factors.reg_bias.unwrap_or(d.reg_bias),
                init_std: h.factors.init_std.unwrap_or(d.init_std),
                svdpp: h.factors.svdpp,
            })
        }
        Algo::Bpr => {
            let d = BprParams::defaults_for(h.factors.warp, h.factors.item_features);
            Algorithm::Bpr(BprParams {
                dim: dim.unwrap_or(d.dim),
                epochs: h.epochs.unwrap_or(d.epochs),
                lr: h.lr.unwrap_or(d.lr),
                reg: h.reg.unwrap_or(d.reg),
                reg_bias: h.factors.reg_bias.unwrap_or(d.reg_bias),
                init_std: h.factors.init_std.unwrap_or(d.init_std),
                item_features: h.factors.item_features,
                warp: h.factors.warp,
                max_sampled: h.factors.max_sampled.unwrap_or(d.max_sampled),
                ns_exponent: h.words.ns_exponent.unwrap_or(d.ns_exponent),
            })
        }
        Algo::Item2vec => Algorithm::Item2vec(item2vec_params(h, dim)?),
        Algo::Word2vec => {
            let d = if h.words.cbow {
                Word2VecParams::cbow()
            } else {
                Word2VecParams::default()
            };
            Algorithm::Word2vec(w2v_params(h, d, dim)?)
        }
        Algo::Glove => Algorithm::Glove(glove_params(h)?),
        Algo::Lsa => Algorithm::Lsa(lsa_params(h)?),
        Algo::Dnn => Algorithm::Dnn(super::dnn::params(h)?),
    })
}

/// A trainer over interactions from the flags, its width resolved against `n_items`
/// (parameters checked).
pub(super) fn trainer(h: &HyperArgs, n_items: usize) -> Result<Box<dyn Trainer>> {
    let alg = algorithm(h, Some(n_items))?;
    match alg.trainer()? {
        Some(t) => Ok(t),
        None => bail!(
            "{} trains on text, not interactions: `recsys train CORPUS.txt[.gz] --algo {}`",
            alg.name(),
            alg.name()
        ),
    }
}

/// Item-KNN parameters from `--similarity`, `--neighbours`, `--bm25-k1`, `--bm25-b`.
pub(super) fn knn_params(h: &HyperArgs) -> ItemKnnParams {
    let d = ItemKnnParams::default();
    ItemKnnParams {
        similarity: match h.factors.similarity {
            None => d.similarity,
            Some(SimilarityArg::Cosine) => Similarity::Cosine,
            Some(SimilarityArg::Bm25) => Similarity::Bm25,
            Some(SimilarityArg::Tfidf) => Similarity::Tfidf,
        },
        neighbours: h.factors.neighbours.unwrap_or(d.neighbours),
        bm25_k1: h.factors.bm25_k1.unwrap_or(d.bm25_k1),
        bm25_b: h.factors.bm25_b.unwrap_or(d.bm25_b),
    }
}

/// The interaction weighting of `--weighting` (als), BM25's constants from `--bm25-k1/-b`.
pub(super) fn interaction_weighting(h: &HyperArgs) -> Result<InteractionWeighting> {
    Ok(match h.factors.weighting {
        None | Some(WeightingArg::None) => InteractionWeighting::None,
        Some(WeightingArg::Tfidf) => InteractionWeighting::Tfidf,
        Some(WeightingArg::Bm25) => InteractionWeighting::Bm25 {
            k1: h.factors.bm25_k1.unwrap_or(weighting::BM25_K1),
            b: h.factors.bm25_b.unwrap_or(weighting::BM25_B),
        },
        Some(w @ (WeightingArg::Ppmi | WeightingArg::LogCount)) => bail!(
            "--weighting {} weights co-occurrence counts (lsa); interactions take none, bm25 or tfidf",
            w.to_possible_value().map(|v| v.get_name().to_string()).unwrap_or_default()
        ),
    })
}

/// GloVe parameters from the flags (`--weight-exponent`, `--lr` AdaGrad's rate).
pub(super) fn glove_params(h: &HyperArgs) -> Result<GloveParams> {
    if h.factors.alpha.is_some() {
        bail!("--alpha is ALS's confidence slope; GloVe's weighting exponent is --weight-exponent");
    }
    let d = GloveParams::default();
    Ok(GloveParams {
        dim: word_dim(h)?.unwrap_or(d.dim),
        window: h.words.window.unwrap_or(d.window),
        min_count: h.words.min_count.unwrap_or(d.min_count),
        max_vocab: h.words.max_vocab,
        x_max: h.words.x_max.unwrap_or(d.x_max),
        weight_exponent: h.words.weight_exponent.unwrap_or(d.weight_exponent),
        lr: h.lr.unwrap_or(d.lr),
        epochs: h.epochs.unwrap_or(d.epochs),
        memory_mb: h.words.memory_mb.unwrap_or(d.memory_mb),
    })
}

/// LSA parameters from the flags.
pub(super) fn lsa_params(h: &HyperArgs) -> Result<LsaParams> {
    let d = LsaParams::default();
    Ok(LsaParams {
        dim: word_dim(h)?.unwrap_or(d.dim),
        window: h.words.window.unwrap_or(d.window),
        min_count: h.words.min_count.unwrap_or(d.min_count),
        max_vocab: h.words.max_vocab,
        weighting: match h.factors.weighting {
            Some(WeightingArg::LogCount) => Weighting::LogCount,
            Some(WeightingArg::Ppmi) | None => Weighting::Ppmi,
            Some(w) => bail!(
                "--weighting {} is for interactions (als); lsa takes ppmi or log-count",
                w.to_possible_value()
                    .map(|v| v.get_name().to_string())
                    .unwrap_or_default()
            ),
        },
        memory_mb: h.words.memory_mb.unwrap_or(d.memory_mb),
        ..d
    })
}

/// item2vec's parameters from the flags (interactions and sessions alike), `dim` already
/// resolved by the caller.
pub(super) fn item2vec_params(h: &HyperArgs, dim: Option<usize>) -> Result<Item2VecParams> {
    let d = Item2VecParams::default();
    Ok(Item2VecParams {
        w2v: w2v_params(h, d.w2v, dim)?,
        history: h.words.history.unwrap_or(d.history),
        history_decay: h.words.history_decay.unwrap_or(d.history_decay),
    })
}

/// Engine parameters from the flags, over the algorithm's defaults `d`.
pub(super) fn w2v_params(
    h: &HyperArgs,
    d: Word2VecParams,
    dim: Option<usize>,
) -> Result<Word2VecParams> {
    let lr = h.lr.unwrap_or(d.lr);
    Ok(Word2VecParams {
        dim: dim.unwrap_or(d.dim),
        arch: if h.words.cbow {
            Arch::Cbow
        } else {
            Arch::SkipGram
        },
        cbow_mean: !h.words.cbow_sum,
        negative: h.words.negative.unwrap_or(d.negative),
        hs: h.words.hs,
        window: h.words.window.unwrap_or(d.window),
        shrink_windows: !h.words.fixed_window,
        sample: h.words.sample.unwrap_or(d.sample),
        min_count: h.words.min_count.unwrap_or(d.min_count),
        max_vocab: h.words.max_vocab.or(d.max_vocab),
        ns_exponent: h.words.ns_exponent.unwrap_or(d.ns_exponent),
        lr,
        min_lr: h.words.min_lr.unwrap_or(d.min_lr.min(lr)),
        epochs: h.epochs.unwrap_or(d.epochs),
        batched: !h.words.unbatched,
    })
}

/// Width for text models: a number, or `auto` (0: the fourth-root rule, resolved by the
/// trainer once the vocabulary pass has counted the words).
pub(super) fn word_dim(h: &HyperArgs) -> Result<Option<usize>> {
    match &h.dim {
        None => Ok(None),
        Some(d) => match Dimension::parse(d) {
            Some(Dimension::Fixed(n)) => Ok(Some(n)),
            Some(Dimension::Auto) => Ok(Some(0)),
            None => bail!("--dim must be 'auto' or a positive integer, not '{d}'"),
        },
    }
}

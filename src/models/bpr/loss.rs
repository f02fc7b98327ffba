//! The losses BPR, WARP and the hybrid share.

/// `−ln σ(x) = ln(1 + e^(−x))`, computed stably: BPR's loss of a pair with margin `x`.
#[inline(always)]
pub(crate) fn neg_log_sigmoid(x: f32) -> f32 {
    if x > 0.0 {
        (-x).exp().ln_1p()
    } else {
        -x + x.exp().ln_1p()
    }
}

/// The WARP step weight: [`warp_weight`] scaled by the worst rank's, so it is at most 1.
#[inline(always)]
pub(crate) fn warp_scale(items: usize, trials: usize) -> f32 {
    warp_weight(items, trials) / warp_weight(items, 1).max(1.0)
}

/// The WARP rank weight after `trials` draws found the first violating negative:
/// `ln ⌊(items − 1) / trials⌋` (0 once the estimated rank is 1).
#[inline(always)]
pub(crate) fn warp_weight(items: usize, trials: usize) -> f32 {
    (((items.saturating_sub(1)) / trials.max(1)).max(1) as f32).ln()
}

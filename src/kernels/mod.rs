//! The numeric floor every trainer and look-up stands on: portable dense kernels
//! (`linalg`: dot, axpy written so the compiler vectorises them) and their run-time
//! selected SIMD paths (`simd`: AVX2/FMA and assembly where the CPU has them).
//! Nothing here knows a model, a file or a vocabulary.

pub(crate) mod linalg;
pub(crate) mod simd;

/// `simd::grad_rows`, reachable from `benches/kernels.rs`; not part of the stable API:
/// for each row `j` of `rows` (row length `x.len()`), `dx += g[j]·row_j`, then
/// `row_j += g[j]·x` (the fastest path this CPU has).
#[doc(hidden)]
pub fn grad_rows(g: &[f32], x: &[f32], dx: &mut [f32], rows: &mut [f32]) {
    simd::grad_rows(g, x, dx, rows);
}

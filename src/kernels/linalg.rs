//! Small dense kernels of the trainers' inner loops, written so the compiler vectorises them
//! (and, inside [`crate::kernels::simd::dispatch!`] callers, with AVX2/FMA).

/// Dot product with eight independent accumulators, so the compiler can keep them in SIMD
/// registers (a plain `.sum()` is a serial dependency chain in IEEE order).
#[inline(always)]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f32; 8];
    let ca = a.chunks_exact(8);
    let cb = b.chunks_exact(8);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    // a remainder of 4..7 takes one 4-lane step (k = 20, 50, 100 … are common widths)
    let (mut ra, mut rb) = (ra, rb);
    if ra.len() >= 4 {
        for l in 0..4 {
            acc[l] += ra[l] * rb[l];
        }
        ra = &ra[4..];
        rb = &rb[4..];
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

#[inline(always)]
pub(crate) fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_matches_the_plain_sum_at_every_length() {
        for n in 0..70 {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
            let want: f64 = a
                .iter()
                .zip(&b)
                .map(|(x, y)| f64::from(*x) * f64::from(*y))
                .sum();
            let got = f64::from(dot(&a, &b));
            assert!((got - want).abs() < 1e-5, "n = {n}: {got} vs {want}");
        }
        // unequal lengths: the common prefix
        assert_eq!(dot(&[1.0, 2.0, 3.0], &[4.0, 5.0]), 14.0);
    }
}

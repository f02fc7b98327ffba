//! The word2vec output-row update (`simd::grad_rows`) beside the one-accumulator loop it
//! replaced, on L1-resident rows of 96 floats: nanoseconds per call for k = 6 (a negative
//! sampling position), 12 and 20 (Huffman paths). Best of 7 timings of 200,000 calls each,
//! the two kernels alternating. Prints markdown.
//!
//! ```text
//! cargo bench --bench kernels
//! ```

use std::hint::black_box;
use std::time::Instant;

#[cfg(target_arch = "x86_64")]
/// The loop before 2026-12-03 (AVX2+FMA, as it was in `simd.rs`): per 8 lanes, one FMA
/// chain into `dx` over all rows, whose 4-cycle latency per row bounds it.
fn one_chain(g: &[f32], x: &[f32], dx: &mut [f32], rows: &mut [f32]) {
    assert!(std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma"));
    assert!(x.len().is_multiple_of(8) && dx.len() == x.len() && rows.len() >= g.len() * x.len());
    // SAFETY: the CPU features were checked above, and so were the lengths `one_chain_avx2`
    // relies on.
    unsafe { one_chain_avx2(g, x, dx, rows) }
}

#[cfg(target_arch = "x86_64")]
/// # Safety
/// AVX2 and FMA must be available; `x.len()` a multiple of 8, `dx.len() == x.len()`,
/// `rows.len() >= g.len() · x.len()`.
#[target_feature(enable = "avx2,fma")]
unsafe fn one_chain_avx2(g: &[f32], x: &[f32], dx: &mut [f32], rows: &mut [f32]) {
    use std::arch::x86_64::*;
    let d = x.len();
    let (px, pdx, pr) = (x.as_ptr(), dx.as_mut_ptr(), rows.as_mut_ptr());
    let mut i = 0;
    while i < d {
        // SAFETY: i + 8 <= d (d a multiple of 8) bounds x and dx; row j < g.len() spans
        // rows[j·d..(j+1)·d] inside `rows` (the caller's length guarantee).
        unsafe {
            let xv = _mm256_loadu_ps(px.add(i));
            let mut acc = _mm256_loadu_ps(pdx.add(i));
            for (j, &gj) in g.iter().enumerate() {
                let gv = _mm256_set1_ps(gj);
                let p = pr.add(j * d + i);
                let r = _mm256_loadu_ps(p);
                acc = _mm256_fmadd_ps(gv, r, acc);
                _mm256_storeu_ps(p, _mm256_fmadd_ps(gv, xv, r));
            }
            _mm256_storeu_ps(pdx.add(i), acc);
        }
        i += 8;
    }
}

#[cfg(target_arch = "x86_64")]
type Kernel = fn(&[f32], &[f32], &mut [f32], &mut [f32]);

#[cfg(target_arch = "x86_64")]
fn time(f: Kernel, g: &[f32], x: &[f32], dx: &mut [f32], rows: &mut [f32]) -> f64 {
    const CALLS: u32 = 200_000;
    let t = Instant::now();
    for _ in 0..CALLS {
        f(black_box(g), x, dx, rows);
        black_box(&mut *rows);
    }
    t.elapsed().as_secs_f64() / f64::from(CALLS) * 1e9
}

#[cfg(not(target_arch = "x86_64"))]
fn main() {
    println!("benches/kernels.rs compares AVX2 kernels: x86-64 only");
}

#[cfg(target_arch = "x86_64")]
fn main() {
    // a multiple of 8, so both kernels run their vector body only
    let d = 96;
    println!("| rows k | one chain (ns) | `grad_rows` (ns) | ratio |");
    println!("| ---: | ---: | ---: | ---: |");
    for k in [6usize, 12, 20] {
        let x: Vec<f32> = (0..d)
            .map(|i| ((i * 13 % 17) as f32 - 8.0) * 1e-2)
            .collect();
        // tiny steps of alternating sign, so the rows stay bounded over millions of calls
        let g: Vec<f32> = (0..k).map(|j| ((j * 7 % 11) as f32 - 5.0) * 1e-7).collect();
        let mut rows: Vec<f32> = (0..k * d)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) * 1e-3)
            .collect();
        let mut dx = vec![0.0f32; d];
        // the same update (up to the order of the sum into dx) before any timing
        let (mut r1, mut d1, mut r2, mut d2) = (rows.clone(), dx.clone(), rows.clone(), dx.clone());
        let g1: Vec<f32> = g.iter().map(|v| v * 1e5).collect();
        one_chain(&g1, &x, &mut d1, &mut r1);
        recsys::kernels::grad_rows(&g1, &x, &mut d2, &mut r2);
        for (p, q) in d1.iter().zip(&d2).chain(r1.iter().zip(&r2)) {
            assert!((p - q).abs() <= 1e-6 * (1.0 + p.abs()), "k {k}: {p} vs {q}");
        }
        let (mut a, mut b) = (f64::MAX, f64::MAX);
        for _ in 0..7 {
            a = a.min(time(one_chain, &g, &x, &mut dx, &mut rows));
            b = b.min(time(recsys::kernels::grad_rows, &g, &x, &mut dx, &mut rows));
        }
        println!("| {k} | {a:.1} | {b:.1} | {:.2}× |", a / b);
    }
}

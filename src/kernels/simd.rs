//! Run-time selection of SIMD code paths, and AVX2/FMA dot/axpy kernels. This is the crate's
//! only `unsafe`; every block states why it is sound.
//!
//! [`dispatch!`] wraps a portable `#[inline(always)]` function: on x86-64 CPUs with AVX2 and
//! FMA, the call goes to a copy of it compiled with `#[target_feature(enable = "avx2,fma")]`
//! (so the compiler vectorises its loops 8 floats wide); elsewhere to the portable build.
//! Both copies run the same source, so results differ at most by FMA rounding.

use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

/// Define `$name` calling `$body` through the fastest code path this CPU supports.
macro_rules! dispatch {
    ($(#[$m:meta])* fn $name:ident($($arg:ident : $ty:ty),* $(,)?) => $body:ident) => {
        $(#[$m])*
        #[inline]
        fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                fn with_avx2($($arg: $ty),*) {
                    $body($($arg),*)
                }
                if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                    // SAFETY: `with_avx2` only requires the `avx2` and `fma` target features,
                    // and the line above has just checked that this CPU has both. It takes
                    // only safe references, so no other invariant is involved.
                    unsafe { with_avx2($($arg),*) };
                    return;
                }
            }
            $body($($arg),*)
        }
    };
}
pub(crate) use dispatch;

/// Ask the CPU to bring the cache lines of `row` into L1 ahead of use (x86-64; elsewhere a
/// no-op). A prefetch is a hint: it never faults and has no architectural effect.
#[inline(always)]
pub(crate) fn prefetch<T>(row: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let bytes = std::mem::size_of_val(row);
        let p = row.as_ptr().cast::<i8>();
        let mut off = 0;
        while off < bytes {
            // SAFETY: `_mm_prefetch` needs SSE, which every x86-64 CPU has; the address is
            // inside `row` (off < its size), and a prefetch never dereferences it
            // architecturally anyway.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(off)) };
            off += 64;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = row;
}

/// `a · b`, with AVX2+FMA when the CPU has them (two 8-lane fused multiply-add chains);
/// otherwise the portable eight-accumulator loop. Results of the two paths differ at most by
/// rounding.
#[inline(always)]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: `x86::dot` requires the `avx2` and `fma` target features, which this CPU
            // has (checked on the line above); its memory accesses are bounds-checked inside.
            return unsafe { x86::dot(a, b) };
        }
    }
    crate::kernels::linalg::dot(a, b)
}

/// `out[i] = row_i · q` for the rows of the row-major block `rows` (row length `q.len()`),
/// in one dispatched call (the AVX2 row kernel is inlined into the loop, so a short row does
/// not pay a call per row).
pub(crate) fn dots(rows: &[f32], q: &[f32], out: &mut [f32]) {
    let d = q.len();
    if d == 0 {
        out.iter_mut().for_each(|o| *o = 0.0);
        return;
    }
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: `x86::dots` requires the `avx2` and `fma` target features, which this
            // CPU has (checked on the line above); it only reads rows through
            // bounds-checked slices and `x86::dot`.
            return unsafe { x86::dots(rows, q, out) };
        }
    }
    for (row, o) in rows.chunks_exact(d).zip(out.iter_mut()) {
        *o = crate::kernels::linalg::dot(row, q);
    }
}

/// `y += g · x` over the common length, with AVX2+FMA when available.
#[inline(always)]
pub(crate) fn axpy(g: f32, x: &[f32], y: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: as in `dot`: the features were just detected; accesses are in bounds.
            unsafe { x86::axpy(g, x, y) };
            return;
        }
    }
    crate::kernels::linalg::axpy(g, x, y);
}

/// One biased-MF SGD step on the rows `p` and `q` (the common length): `e = offset − p·q`,
/// then `p ← a·p + g·q` and `q ← a·q + g·p` from the old values, with `g = lr·e` and
/// `a = 1 − lr·rf` (Funk's update `p += lr (e q − rf p)` rearranged). Returns `e`. One pass
/// of AVX2/FMA loads for the dot product and one for the update when the CPU has them;
/// otherwise the portable loops. The two paths differ at most by rounding.
#[inline(always)]
pub(crate) fn mf_step(p: &mut [f32], q: &mut [f32], offset: f32, lr: f32, rf: f32) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: `x86::mf_step` requires the `avx2` and `fma` target features, which this
            // CPU has (checked on the line above); its accesses stay inside both slices.
            return unsafe { x86::mf_step(p, q, offset, lr, rf) };
        }
    }
    let e = offset - crate::kernels::linalg::dot(p, q);
    let (g, a) = (lr * e, 1.0 - lr * rf);
    for (x, y) in p.iter_mut().zip(q.iter_mut()) {
        let (p0, q0) = (*x, *y);
        *x = a * p0 + g * q0;
        *y = a * q0 + g * p0;
    }
    e
}

/// `out += Σ wᵢ yᵢ` over the rows `yᵢ = ys[i·k .. (i+1)·k]` of `items`, with
/// `wᵢ = a·cᵢ + b·(cᵢ − 1)(yᵢ · v)` (`cᵢ` from `conf`): the confidence-weighted sums of an ALS
/// conjugate-gradient row solve (`a = 0, b = 1` for `A·p`, `a = 1, b = −1` for the residual).
/// An item with `cᵢ = 1` needs no dot product (`wᵢ = a`), and a zero weight adds nothing, so
/// it is skipped. With AVX2/FMA and `k` a multiple of 8 up to 64, the sum stays in registers
/// over all items and each row is read twice from L1 (dot, then update); otherwise the
/// portable loop. The two differ at most by rounding.
///
/// # Panics
/// If an item's row is outside `ys`, or `v` or `out` is shorter than `k`.
pub(crate) fn weighted_rows(
    ys: &[f32],
    k: usize,
    items: &[usize],
    conf: &[f32],
    v: &[f32],
    (a, b): (f32, f32),
    out: &mut [f32],
) {
    let (v, out) = (&v[..k], &mut out[..k]);
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2")
            && std::is_x86_feature_detected!("fma")
            && k.is_multiple_of(8)
            && (8..=64).contains(&k)
        {
            // SAFETY: the `x86::weighted_rows` instances require `avx2` and `fma`, which this
            // CPU has (checked above); each is given N = k / 8 with v and out of length k, as
            // it requires, and it takes every row through a bounds-checked slice.
            unsafe {
                match k / 8 {
                    1 => x86::weighted_rows::<1>(ys, items, conf, v, a, b, out),
                    2 => x86::weighted_rows::<2>(ys, items, conf, v, a, b, out),
                    3 => x86::weighted_rows::<3>(ys, items, conf, v, a, b, out),
                    4 => x86::weighted_rows::<4>(ys, items, conf, v, a, b, out),
                    5 => x86::weighted_rows::<5>(ys, items, conf, v, a, b, out),
                    6 => x86::weighted_rows::<6>(ys, items, conf, v, a, b, out),
                    7 => x86::weighted_rows::<7>(ys, items, conf, v, a, b, out),
                    _ => x86::weighted_rows::<8>(ys, items, conf, v, a, b, out),
                }
            }
            return;
        }
    }
    for (&i, &c) in items.iter().zip(conf) {
        let y = &ys[i * k..(i + 1) * k];
        let w = if c == 1.0 {
            a
        } else {
            a * c + b * (c - 1.0) * crate::kernels::linalg::dot(y, v)
        };
        if w != 0.0 {
            crate::kernels::linalg::axpy(w, y, out);
        }
    }
}

/// `out = scale · Σ buf[s·d..(s+1)·d]` over the slots `s` in order (`d = out.len()`): CBOW's
/// context vector from the ring of local context rows, summed in registers (AVX2) rather than
/// by one axpy per row through memory. The sum runs in `slots` order from zero, so the result
/// is the same as that of the axpys, bit for bit.
///
/// # Panics
/// If a slot's row is outside `buf`.
pub(crate) fn sum_slots(buf: &[f32], slots: &[u32], scale: f32, out: &mut [f32]) {
    let d = out.len();
    assert!(
        slots.iter().all(|&s| (s as usize + 1) * d <= buf.len()),
        "slot outside the buffer"
    );
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the features were just detected, and every slot's row was checked to be
            // inside `buf` on the line above, as `x86::sum_slots` requires.
            unsafe { x86::sum_slots(buf, slots, scale, out) };
            return;
        }
    }
    out.fill(0.0);
    for &s in slots {
        let s = s as usize;
        crate::kernels::linalg::axpy(1.0, &buf[s * d..(s + 1) * d], out);
    }
    out.iter_mut().for_each(|o| *o *= scale);
}

/// `buf[s·d..(s+1)·d] += x` for every slot `s` (`d = x.len()`; slots distinct): CBOW's error
/// handed back to each context row, with `x` loaded once per 8 lanes.
///
/// # Panics
/// If a slot's row is outside `buf`.
pub(crate) fn add_to_slots(buf: &mut [f32], slots: &[u32], x: &[f32]) {
    let d = x.len();
    assert!(
        slots.iter().all(|&s| (s as usize + 1) * d <= buf.len()),
        "slot outside the buffer"
    );
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the features were just detected, and every slot's row was checked to be
            // inside `buf` on the line above, as `x86::add_to_slots` requires.
            unsafe { x86::add_to_slots(buf, slots, x) };
            return;
        }
    }
    for &s in slots {
        let s = s as usize;
        crate::kernels::linalg::axpy(1.0, x, &mut buf[s * d..(s + 1) * d]);
    }
}

/// `dst[i] = src[i]` read as `f32` bits with relaxed atomic loads; eight at a time with one
/// AVX vector move when the CPU has AVX2 (see `x86::load_row` for why that is sound).
#[inline(always)]
pub(crate) fn load_row(src: &[AtomicU32], dst: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the features were just detected; see `x86::load_row`.
            unsafe { x86::load_row(src, dst) };
            return;
        }
    }
    for (d, s) in dst.iter_mut().zip(src) {
        *d = f32::from_bits(s.load(Relaxed));
    }
}

/// `dst[i] = cur[i] + g·x[i]`, stored with relaxed atomic stores (vector moves with AVX2).
/// `store_row` is the case `g = 0`.
#[inline(always)]
pub(crate) fn store_axpy_row(dst: &[AtomicU32], cur: &[f32], g: f32, x: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the features were just detected; see `x86::store_axpy_row`.
            unsafe { x86::store_axpy_row(dst, cur, g, x) };
            return;
        }
    }
    for ((d, c), x) in dst.iter().zip(cur).zip(x) {
        d.store((c + g * x).to_bits(), Relaxed);
    }
}

/// `dst[i] = src[i]` with relaxed atomic stores (vector moves with AVX2).
#[inline(always)]
pub(crate) fn store_row(dst: &[AtomicU32], src: &[f32]) {
    store_axpy_row(dst, src, 0.0, src);
}

/// `dst[i] += new[i] − old[i]`, re-reading `dst`: a local copy's change since it was loaded
/// (`old`) handed back to the shared row without overwriting what other workers added
/// meanwhile (relaxed loads, then relaxed stores, as [`add_row`]).
#[inline(always)]
pub(crate) fn add_diff_row(dst: &[AtomicU32], new: &[f32], old: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the features were just detected; see `x86::add_diff_row`.
            unsafe { x86::add_diff_row(dst, new, old) };
            return;
        }
    }
    for ((d, n), o) in dst.iter().zip(new).zip(old) {
        d.store(
            (f32::from_bits(d.load(Relaxed)) + (n - o)).to_bits(),
            Relaxed,
        );
    }
}

/// `dst[i] += x[i]`, re-reading `dst` (relaxed loads, then relaxed stores; a concurrent store
/// between the two may be overwritten — Hogwild's lost update, never a torn value).
#[inline(always)]
pub(crate) fn add_row(dst: &[AtomicU32], x: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the features were just detected; see `x86::add_row`.
            unsafe { x86::add_row(dst, x) };
            return;
        }
    }
    for (d, x) in dst.iter().zip(x) {
        d.store((f32::from_bits(d.load(Relaxed)) + x).to_bits(), Relaxed);
    }
}

/// For each row `j` of the row-major block `rows` (row length `x.len()`): `dx += g[j]·row_j`
/// (the row as it was), then `row_j += g[j]·x` — the two axpys of a word2vec prediction for
/// every output row at once, with `dx` held in registers across the rows (AVX2+FMA when
/// available).
#[inline(always)]
pub(crate) fn grad_rows(g: &[f32], x: &[f32], dx: &mut [f32], rows: &mut [f32]) {
    let d = x.len();
    if d == 0 {
        return;
    }
    let k = g.len().min(rows.len() / d);
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the features were just detected; the kernel slices its inputs itself.
            unsafe { x86::grad_rows(&g[..k], x, dx, &mut rows[..k * d]) };
            return;
        }
    }
    for (&gj, row) in g[..k].iter().zip(rows.chunks_exact_mut(d)) {
        crate::kernels::linalg::axpy(gj, row, dx);
        crate::kernels::linalg::axpy(gj, x, row);
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;
    use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

    // Rows shared by Hogwild workers are `AtomicU32`s holding `f32` bits. Rust's atomics are
    // never vectorised, so a row of 100 floats costs 100 scalar moves each way; the functions
    // below move 8 at a time with `vmovups` written as inline assembly.
    //
    // Why that is sound: an `asm!` block may do anything the Rust program itself could do to
    // the memory it is given. Each block below reads (or writes) eight consecutive
    // `AtomicU32`s, and its effect is exactly that of eight relaxed atomic loads (stores) of
    // them, in unspecified order: every element is naturally 4-byte aligned (`AtomicU32`'s
    // alignment), and x86-64 carries out an aligned doubleword access atomically (Intel SDM
    // vol. 3A, §9.1.1), also when it is part of a wider vector access, which may be split
    // into several accesses but never inside an aligned element. So no value is ever torn,
    // which is all that relaxed ordering promises; no ordering between the eight is implied
    // or needed. The memory lives inside `AtomicU32` (an `UnsafeCell`), so storing through a
    // shared reference is allowed, and every pointer below is in bounds (`i + 8 <= n`).

    /// Eight relaxed loads of `AtomicU32`s at `p`, as one vector.
    ///
    /// # Safety
    /// AVX must be available and `p..p+8` must be inside one slice of `AtomicU32`.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn aload8(p: *const AtomicU32) -> __m256 {
        let v: __m256;
        // SAFETY: see the comment above; the caller keeps p..p+8 in bounds.
        unsafe {
            std::arch::asm!(
                "vmovups {v}, ymmword ptr [{p}]",
                p = in(reg) p,
                v = lateout(ymm_reg) v,
                options(nostack, preserves_flags, readonly),
            );
        }
        v
    }

    /// Eight relaxed stores of the lanes of `v` to the `AtomicU32`s at `p`.
    ///
    /// # Safety
    /// AVX must be available and `p..p+8` must be inside one slice of `AtomicU32`.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn astore8(p: *const AtomicU32, v: __m256) {
        // SAFETY: see the comment above; the caller keeps p..p+8 in bounds.
        unsafe {
            std::arch::asm!(
                "vmovups ymmword ptr [{p}], {v}",
                p = in(reg) p,
                v = in(ymm_reg) v,
                options(nostack, preserves_flags),
            );
        }
    }

    /// Four relaxed loads of `AtomicU32`s at `p`, as one 128-bit vector (the row remainders).
    ///
    /// # Safety
    /// AVX must be available and `p..p+4` must be inside one slice of `AtomicU32`.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn aload4(p: *const AtomicU32) -> __m128 {
        let v: __m128;
        // SAFETY: as for `aload8`, with four elements; the caller keeps p..p+4 in bounds.
        unsafe {
            std::arch::asm!(
                "vmovups {v}, xmmword ptr [{p}]",
                p = in(reg) p,
                v = lateout(xmm_reg) v,
                options(nostack, preserves_flags, readonly),
            );
        }
        v
    }

    /// Four relaxed stores of the lanes of `v` to the `AtomicU32`s at `p`.
    ///
    /// # Safety
    /// AVX must be available and `p..p+4` must be inside one slice of `AtomicU32`.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn astore4(p: *const AtomicU32, v: __m128) {
        // SAFETY: as for `astore8`, with four elements; the caller keeps p..p+4 in bounds.
        unsafe {
            std::arch::asm!(
                "vmovups xmmword ptr [{p}], {v}",
                p = in(reg) p,
                v = in(xmm_reg) v,
                options(nostack, preserves_flags),
            );
        }
    }

    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn load_row(src: &[AtomicU32], dst: &mut [f32]) {
        let n = src.len().min(dst.len());
        let (ps, pd) = (src.as_ptr(), dst.as_mut_ptr());
        let mut i = 0;
        while i + 8 <= n {
            // SAFETY: i + 8 <= n: the eight atomics and the eight floats are in bounds.
            unsafe { _mm256_storeu_ps(pd.add(i), aload8(ps.add(i))) };
            i += 8;
        }
        if i + 4 <= n {
            // SAFETY: i + 4 <= n: the four atomics and the four floats are in bounds.
            unsafe { _mm_storeu_ps(pd.add(i), aload4(ps.add(i))) };
            i += 4;
        }
        for (d, s) in dst[i..n].iter_mut().zip(&src[i..n]) {
            *d = f32::from_bits(s.load(Relaxed));
        }
    }

    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn store_axpy_row(dst: &[AtomicU32], cur: &[f32], g: f32, x: &[f32]) {
        let n = dst.len().min(cur.len()).min(x.len());
        let (pd, pc, px) = (dst.as_ptr(), cur.as_ptr(), x.as_ptr());
        let gv = _mm256_set1_ps(g);
        let mut i = 0;
        while i + 8 <= n {
            // SAFETY: i + 8 <= n bounds all three slices.
            unsafe {
                let v = _mm256_fmadd_ps(gv, _mm256_loadu_ps(px.add(i)), _mm256_loadu_ps(pc.add(i)));
                astore8(pd.add(i), v);
            }
            i += 8;
        }
        if i + 4 <= n {
            // SAFETY: i + 4 <= n bounds all three slices.
            unsafe {
                let g4 = _mm256_castps256_ps128(gv);
                let v = _mm_fmadd_ps(g4, _mm_loadu_ps(px.add(i)), _mm_loadu_ps(pc.add(i)));
                astore4(pd.add(i), v);
            }
            i += 4;
        }
        for ((d, c), x) in dst[i..n].iter().zip(&cur[i..n]).zip(&x[i..n]) {
            d.store((c + g * x).to_bits(), Relaxed);
        }
    }

    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn add_diff_row(dst: &[AtomicU32], new: &[f32], old: &[f32]) {
        let n = dst.len().min(new.len()).min(old.len());
        let (pd, pn, po) = (dst.as_ptr(), new.as_ptr(), old.as_ptr());
        let mut i = 0;
        while i + 8 <= n {
            // SAFETY: i + 8 <= n bounds all three slices.
            unsafe {
                let diff = _mm256_sub_ps(_mm256_loadu_ps(pn.add(i)), _mm256_loadu_ps(po.add(i)));
                astore8(pd.add(i), _mm256_add_ps(aload8(pd.add(i)), diff));
            }
            i += 8;
        }
        if i + 4 <= n {
            // SAFETY: i + 4 <= n bounds all three slices.
            unsafe {
                let diff = _mm_sub_ps(_mm_loadu_ps(pn.add(i)), _mm_loadu_ps(po.add(i)));
                astore4(pd.add(i), _mm_add_ps(aload4(pd.add(i)), diff));
            }
            i += 4;
        }
        for ((d, a), b) in dst[i..n].iter().zip(&new[i..n]).zip(&old[i..n]) {
            d.store(
                (f32::from_bits(d.load(Relaxed)) + (a - b)).to_bits(),
                Relaxed,
            );
        }
    }

    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn add_row(dst: &[AtomicU32], x: &[f32]) {
        let n = dst.len().min(x.len());
        let (pd, px) = (dst.as_ptr(), x.as_ptr());
        let mut i = 0;
        while i + 8 <= n {
            // SAFETY: i + 8 <= n bounds both slices.
            unsafe {
                let v = _mm256_add_ps(aload8(pd.add(i)), _mm256_loadu_ps(px.add(i)));
                astore8(pd.add(i), v);
            }
            i += 8;
        }
        if i + 4 <= n {
            // SAFETY: i + 4 <= n bounds both slices.
            unsafe {
                let v = _mm_add_ps(aload4(pd.add(i)), _mm_loadu_ps(px.add(i)));
                astore4(pd.add(i), v);
            }
            i += 4;
        }
        for (d, x) in dst[i..n].iter().zip(&x[i..n]) {
            d.store((f32::from_bits(d.load(Relaxed)) + x).to_bits(), Relaxed);
        }
    }

    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn dot(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc0 = _mm256_setzero_ps();
        let mut acc1 = _mm256_setzero_ps();
        let mut i = 0;
        while i + 16 <= n {
            // SAFETY: i + 16 <= n <= len(a), len(b): the four 8-float unaligned loads at i and
            // i + 8 stay inside both slices.
            unsafe {
                acc0 =
                    _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)), acc0);
                acc1 = _mm256_fmadd_ps(
                    _mm256_loadu_ps(pa.add(i + 8)),
                    _mm256_loadu_ps(pb.add(i + 8)),
                    acc1,
                );
            }
            i += 16;
        }
        if i + 8 <= n {
            // SAFETY: i + 8 <= n: one 8-float load from each slice stays in bounds.
            unsafe {
                acc0 =
                    _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)), acc0);
            }
            i += 8;
        }
        finish_dot(_mm256_add_ps(acc0, acc1), a, b, i)
    }

    /// The end of every dot product here: the lanes of `acc` summed, plus `a[i..]·b[i..]` over
    /// the common length (one 4-lane step for a remainder of 4..7 — k = 20, 50, 100 are
    /// common — then scalars). `i` past the common length adds nothing.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn finish_dot(acc: __m256, a: &[f32], b: &[f32], mut i: usize) -> f32 {
        let n = a.len().min(b.len());
        let mut s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
        if i + 4 <= n {
            // SAFETY: i + 4 <= n <= len(a), len(b): one 4-float load from each slice stays
            // in bounds
            unsafe {
                s = _mm_fmadd_ps(
                    _mm_loadu_ps(a.as_ptr().add(i)),
                    _mm_loadu_ps(b.as_ptr().add(i)),
                    s,
                );
            }
            i += 4;
        }
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        let s = _mm_add_ss(s, _mm_movehdup_ps(s));
        let mut r = _mm_cvtss_f32(s);
        while i < n {
            r += a[i] * b[i];
            i += 1;
        }
        r
    }

    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn dots(rows: &[f32], q: &[f32], out: &mut [f32]) {
        let d = q.len();
        let n = (rows.len() / d).min(out.len());
        let body = d - d % 8;
        let pq = q.as_ptr();
        let mut r = 0;
        // Four rows at a time: four 8-lane accumulators, one combined horizontal reduction.
        while r + 4 <= n {
            let base = rows[r * d..(r + 4) * d].as_ptr();
            let mut a0 = _mm256_setzero_ps();
            let mut a1 = _mm256_setzero_ps();
            let mut a2 = _mm256_setzero_ps();
            let mut a3 = _mm256_setzero_ps();
            let mut i = 0;
            while i < body {
                // SAFETY: i + 8 <= body <= d; row j of the four starts at base + j·d and has
                // d floats inside `rows[r·d..(r+4)·d]` (sliced above, so bounds-checked), and
                // q has d floats: every 8-float load stays in bounds.
                unsafe {
                    let qv = _mm256_loadu_ps(pq.add(i));
                    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(base.add(i)), qv, a0);
                    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(base.add(d + i)), qv, a1);
                    a2 = _mm256_fmadd_ps(_mm256_loadu_ps(base.add(2 * d + i)), qv, a2);
                    a3 = _mm256_fmadd_ps(_mm256_loadu_ps(base.add(3 * d + i)), qv, a3);
                }
                i += 8;
            }
            // lanes of hadd(hadd(a0, a1), hadd(a2, a3)): [r0 r1 r2 r3 | r0 r1 r2 r3] partials
            let h = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
            let mut sums = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
            let mut tail = body;
            if tail + 4 <= d {
                // a remainder of 4..7 (d = 20, 50, 100): one 4-lane step per row, reduced the
                // same way, instead of four scalar steps per row
                // SAFETY: tail + 4 <= d: each 4-float load stays inside its row of the block
                // and inside q.
                unsafe {
                    let qv = _mm_loadu_ps(pq.add(tail));
                    let t0 = _mm_mul_ps(_mm_loadu_ps(base.add(tail)), qv);
                    let t1 = _mm_mul_ps(_mm_loadu_ps(base.add(d + tail)), qv);
                    let t2 = _mm_mul_ps(_mm_loadu_ps(base.add(2 * d + tail)), qv);
                    let t3 = _mm_mul_ps(_mm_loadu_ps(base.add(3 * d + tail)), qv);
                    let t = _mm_hadd_ps(_mm_hadd_ps(t0, t1), _mm_hadd_ps(t2, t3));
                    sums = _mm_add_ps(sums, t);
                }
                tail += 4;
            }
            let mut v = [0.0f32; 4];
            // SAFETY: `v` holds exactly four floats.
            unsafe { _mm_storeu_ps(v.as_mut_ptr(), sums) };
            for (j, vj) in v.iter_mut().enumerate() {
                let row = &rows[(r + j) * d..(r + j + 1) * d];
                for k in tail..d {
                    *vj += row[k] * q[k];
                }
                out[r + j] = *vj;
            }
            r += 4;
        }
        while r < n {
            // SAFETY: this function has the same target features as `dot`, so the caller's
            // guarantee covers the call.
            out[r] = unsafe { dot(&rows[r * d..(r + 1) * d], q) };
            r += 1;
        }
    }

    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn grad_rows(g: &[f32], x: &[f32], dx: &mut [f32], rows: &mut [f32]) {
        let d = x.len().min(dx.len());
        if d == 0 {
            return;
        }
        let stride = x.len();
        let k = g.len().min(rows.len() / stride);
        let body = d - d % 8;
        let (px, pdx, pr) = (x.as_ptr(), dx.as_mut_ptr(), rows.as_mut_ptr());
        let mut i = 0;
        // Sixteen lanes and two rows per step: four independent FMA chains into `dx` (even
        // rows into `a*`, odd rows into `b*`, summed at the end) instead of one chain whose
        // 4-cycle latency per row bound the loop.
        while i + 16 <= body {
            // SAFETY: i + 16 <= body <= d <= len(x), len(dx), stride; rows j and j + 1 are
            // below k <= len(rows)/stride, so every 8-float access at offset i or i + 8 of a
            // row stays inside it; x, dx and rows are distinct borrows.
            unsafe {
                let (x0, x1) = (_mm256_loadu_ps(px.add(i)), _mm256_loadu_ps(px.add(i + 8)));
                let mut a0 = _mm256_loadu_ps(pdx.add(i));
                let mut a1 = _mm256_loadu_ps(pdx.add(i + 8));
                let mut b0 = _mm256_setzero_ps();
                let mut b1 = _mm256_setzero_ps();
                let mut j = 0;
                while j + 2 <= k {
                    let (g0, g1) = (_mm256_set1_ps(g[j]), _mm256_set1_ps(g[j + 1]));
                    let p0 = pr.add(j * stride + i);
                    let p1 = pr.add((j + 1) * stride + i);
                    let (r00, r01) = (_mm256_loadu_ps(p0), _mm256_loadu_ps(p0.add(8)));
                    let (r10, r11) = (_mm256_loadu_ps(p1), _mm256_loadu_ps(p1.add(8)));
                    a0 = _mm256_fmadd_ps(g0, r00, a0);
                    a1 = _mm256_fmadd_ps(g0, r01, a1);
                    b0 = _mm256_fmadd_ps(g1, r10, b0);
                    b1 = _mm256_fmadd_ps(g1, r11, b1);
                    _mm256_storeu_ps(p0, _mm256_fmadd_ps(g0, x0, r00));
                    _mm256_storeu_ps(p0.add(8), _mm256_fmadd_ps(g0, x1, r01));
                    _mm256_storeu_ps(p1, _mm256_fmadd_ps(g1, x0, r10));
                    _mm256_storeu_ps(p1.add(8), _mm256_fmadd_ps(g1, x1, r11));
                    j += 2;
                }
                if j < k {
                    let g0 = _mm256_set1_ps(g[j]);
                    let p0 = pr.add(j * stride + i);
                    let (r00, r01) = (_mm256_loadu_ps(p0), _mm256_loadu_ps(p0.add(8)));
                    a0 = _mm256_fmadd_ps(g0, r00, a0);
                    a1 = _mm256_fmadd_ps(g0, r01, a1);
                    _mm256_storeu_ps(p0, _mm256_fmadd_ps(g0, x0, r00));
                    _mm256_storeu_ps(p0.add(8), _mm256_fmadd_ps(g0, x1, r01));
                }
                _mm256_storeu_ps(pdx.add(i), _mm256_add_ps(a0, b0));
                _mm256_storeu_ps(pdx.add(i + 8), _mm256_add_ps(a1, b1));
            }
            i += 16;
        }
        while i < body {
            // SAFETY: i + 8 <= body <= d <= len(x), len(dx); row j spans
            // rows[j·stride..(j+1)·stride] with j < k <= len(rows)/stride and i + 8 <= stride,
            // so every 8-float access is in bounds; x, dx and rows are distinct borrows.
            unsafe {
                let xv = _mm256_loadu_ps(px.add(i));
                let mut acc = _mm256_loadu_ps(pdx.add(i));
                for (j, &gj) in g[..k].iter().enumerate() {
                    let gv = _mm256_set1_ps(gj);
                    let p = pr.add(j * stride + i);
                    let r = _mm256_loadu_ps(p);
                    acc = _mm256_fmadd_ps(gv, r, acc);
                    _mm256_storeu_ps(p, _mm256_fmadd_ps(gv, xv, r));
                }
                _mm256_storeu_ps(pdx.add(i), acc);
            }
            i += 8;
        }
        let mut tail = body;
        if tail + 4 <= d {
            // a remainder of 4..7 (d = 20, 50, 100): one 4-lane pass over the rows
            // SAFETY: tail + 4 <= d <= len(x), len(dx), stride: every 4-float access stays
            // inside x, dx and row j (j < k, as above).
            unsafe {
                let xv = _mm_loadu_ps(px.add(tail));
                let mut acc = _mm_loadu_ps(pdx.add(tail));
                for (j, &gj) in g[..k].iter().enumerate() {
                    let gv = _mm_set1_ps(gj);
                    let p = pr.add(j * stride + tail);
                    let r = _mm_loadu_ps(p);
                    acc = _mm_fmadd_ps(gv, r, acc);
                    _mm_storeu_ps(p, _mm_fmadd_ps(gv, xv, r));
                }
                _mm_storeu_ps(pdx.add(tail), acc);
            }
            tail += 4;
        }
        for i in tail..d {
            let mut a = dx[i];
            for (j, &gj) in g[..k].iter().enumerate() {
                let r = rows[j * stride + i];
                a += gj * r;
                rows[j * stride + i] = r + gj * x[i];
            }
            dx[i] = a;
        }
    }

    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    pub(super) unsafe fn mf_step(
        p: &mut [f32],
        q: &mut [f32],
        offset: f32,
        lr: f32,
        rf: f32,
    ) -> f32 {
        let n = p.len().min(q.len());
        let mut acc = _mm256_setzero_ps();
        let mut i = 0;
        while i + 8 <= n {
            // SAFETY: i + 8 <= n <= len(p), len(q): both 8-float loads are in bounds.
            unsafe {
                acc = _mm256_fmadd_ps(
                    _mm256_loadu_ps(p.as_ptr().add(i)),
                    _mm256_loadu_ps(q.as_ptr().add(i)),
                    acc,
                );
            }
            i += 8;
        }
        let e = offset - finish_dot(acc, p, q, i);
        // the write pointers are taken after the last read through the slices
        let (pp, pq) = (p.as_mut_ptr(), q.as_mut_ptr());
        let (g, a) = (lr * e, 1.0 - lr * rf);
        let (gv, av) = (_mm256_set1_ps(g), _mm256_set1_ps(a));
        let mut i = 0;
        while i + 8 <= n {
            // SAFETY: i + 8 <= n: the loads and stores of both rows are in bounds; p and q
            // are distinct `&mut` borrows, so they do not overlap.
            unsafe {
                let (x, y) = (_mm256_loadu_ps(pp.add(i)), _mm256_loadu_ps(pq.add(i)));
                _mm256_storeu_ps(pp.add(i), _mm256_fmadd_ps(gv, y, _mm256_mul_ps(av, x)));
                _mm256_storeu_ps(pq.add(i), _mm256_fmadd_ps(gv, x, _mm256_mul_ps(av, y)));
            }
            i += 8;
        }
        if i + 4 <= n {
            let (g4, a4) = (_mm256_castps256_ps128(gv), _mm256_castps256_ps128(av));
            // SAFETY: i + 4 <= n: the 4-float loads and stores are in bounds, as above.
            unsafe {
                let (x, y) = (_mm_loadu_ps(pp.add(i)), _mm_loadu_ps(pq.add(i)));
                _mm_storeu_ps(pp.add(i), _mm_fmadd_ps(g4, y, _mm_mul_ps(a4, x)));
                _mm_storeu_ps(pq.add(i), _mm_fmadd_ps(g4, x, _mm_mul_ps(a4, y)));
            }
            i += 4;
        }
        while i < n {
            let (x, y) = (p[i], q[i]);
            p[i] = a * x + g * y;
            q[i] = a * y + g * x;
            i += 1;
        }
        e
    }

    /// [`super::weighted_rows`] for `k = 8·N`: the sum is held in `N` registers.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA; `v` and `out` must have length `8·N`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn weighted_rows<const N: usize>(
        ys: &[f32],
        items: &[usize],
        conf: &[f32],
        v: &[f32],
        a: f32,
        b: f32,
        out: &mut [f32],
    ) {
        let k = 8 * N;
        let pv = v.as_ptr();
        let mut acc = [_mm256_setzero_ps(); N];
        for (&i, &c) in items.iter().zip(conf) {
            let y = &ys[i * k..(i + 1) * k];
            let py = y.as_ptr();
            let w = if c == 1.0 {
                a
            } else {
                let (mut d0, mut d1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
                for j in 0..N {
                    // SAFETY: j < N, so 8j + 8 <= k = len(y) = len(v) (the caller's contract)
                    unsafe {
                        let t = _mm256_mul_ps(
                            _mm256_loadu_ps(py.add(8 * j)),
                            _mm256_loadu_ps(pv.add(8 * j)),
                        );
                        if j % 2 == 0 {
                            d0 = _mm256_add_ps(d0, t);
                        } else {
                            d1 = _mm256_add_ps(d1, t);
                        }
                    }
                }
                // the lanes only: k = 8N leaves no remainder
                a * c + b * (c - 1.0) * finish_dot(_mm256_add_ps(d0, d1), y, v, k)
            };
            if w == 0.0 {
                continue;
            }
            let wv = _mm256_set1_ps(w);
            for (j, acc) in acc.iter_mut().enumerate() {
                // SAFETY: j < N: the 8-float load at 8j stays inside y (length 8N)
                unsafe {
                    *acc = _mm256_fmadd_ps(wv, _mm256_loadu_ps(py.add(8 * j)), *acc);
                }
            }
        }
        let po = out.as_mut_ptr();
        for (j, acc) in acc.iter().enumerate() {
            // SAFETY: j < N and len(out) = 8N: the load and store at 8j are in bounds
            unsafe {
                _mm256_storeu_ps(
                    po.add(8 * j),
                    _mm256_add_ps(_mm256_loadu_ps(po.add(8 * j)), *acc),
                );
            }
        }
    }

    /// # Safety
    /// The CPU must support AVX2 and FMA, and `(s + 1)·out.len() <= buf.len()` for every
    /// slot `s`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn sum_slots(buf: &[f32], slots: &[u32], scale: f32, out: &mut [f32]) {
        let d = out.len();
        let (pb, po) = (buf.as_ptr(), out.as_mut_ptr());
        let sv = _mm256_set1_ps(scale);
        let mut i = 0;
        while i + 8 <= d {
            let mut acc = _mm256_setzero_ps();
            for &s in slots {
                // SAFETY: row s spans buf[s·d..(s+1)·d] (the caller's guarantee) and
                // i + 8 <= d, so the 8-float load is inside it.
                acc = _mm256_add_ps(acc, unsafe { _mm256_loadu_ps(pb.add(s as usize * d + i)) });
            }
            // SAFETY: i + 8 <= d = len(out).
            unsafe { _mm256_storeu_ps(po.add(i), _mm256_mul_ps(acc, sv)) };
            i += 8;
        }
        if i + 4 <= d {
            let mut acc = _mm_setzero_ps();
            for &s in slots {
                // SAFETY: as above, with i + 4 <= d.
                acc = _mm_add_ps(acc, unsafe { _mm_loadu_ps(pb.add(s as usize * d + i)) });
            }
            // SAFETY: i + 4 <= d = len(out).
            unsafe { _mm_storeu_ps(po.add(i), _mm_mul_ps(acc, _mm256_castps256_ps128(sv))) };
            i += 4;
        }
        while i < d {
            let mut a = 0.0f32;
            for &s in slots {
                a += buf[s as usize * d + i];
            }
            out[i] = a * scale;
            i += 1;
        }
    }

    /// # Safety
    /// The CPU must support AVX2 and FMA, and `(s + 1)·x.len() <= buf.len()` for every
    /// slot `s`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn add_to_slots(buf: &mut [f32], slots: &[u32], x: &[f32]) {
        let d = x.len();
        let (pb, px) = (buf.as_mut_ptr(), x.as_ptr());
        let mut i = 0;
        while i + 8 <= d {
            // SAFETY: i + 8 <= d = len(x); row s spans buf[s·d..(s+1)·d] (the caller's
            // guarantee), so each 8-float load and store is inside it; x and buf are
            // distinct borrows.
            unsafe {
                let xv = _mm256_loadu_ps(px.add(i));
                for &s in slots {
                    let p = pb.add(s as usize * d + i);
                    _mm256_storeu_ps(p, _mm256_add_ps(_mm256_loadu_ps(p), xv));
                }
            }
            i += 8;
        }
        if i + 4 <= d {
            // SAFETY: as above, with i + 4 <= d.
            unsafe {
                let xv = _mm_loadu_ps(px.add(i));
                for &s in slots {
                    let p = pb.add(s as usize * d + i);
                    _mm_storeu_ps(p, _mm_add_ps(_mm_loadu_ps(p), xv));
                }
            }
            i += 4;
        }
        while i < d {
            for &s in slots {
                buf[s as usize * d + i] += x[i];
            }
            i += 1;
        }
    }

    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn axpy(g: f32, x: &[f32], y: &mut [f32]) {
        let n = x.len().min(y.len());
        let (px, py) = (x.as_ptr(), y.as_mut_ptr());
        let gv = _mm256_set1_ps(g);
        let mut i = 0;
        while i + 8 <= n {
            // SAFETY: i + 8 <= n <= len(x), len(y): the 8-float load from x and the load and
            // store on y stay in bounds; x and y are distinct borrows (&, &mut), so they
            // cannot overlap.
            unsafe {
                let v = _mm256_fmadd_ps(gv, _mm256_loadu_ps(px.add(i)), _mm256_loadu_ps(py.add(i)));
                _mm256_storeu_ps(py.add(i), v);
            }
            i += 8;
        }
        if i + 4 <= n {
            // SAFETY: i + 4 <= n: the 4-float accesses stay in bounds, as above.
            unsafe {
                let g4 = _mm256_castps256_ps128(gv);
                let v = _mm_fmadd_ps(g4, _mm_loadu_ps(px.add(i)), _mm_loadu_ps(py.add(i)));
                _mm_storeu_ps(py.add(i), v);
            }
            i += 4;
        }
        while i < n {
            y[i] += g * x[i];
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

    fn atomics(v: &[f32]) -> Vec<AtomicU32> {
        v.iter().map(|x| AtomicU32::new(x.to_bits())).collect()
    }

    fn values(a: &[AtomicU32]) -> Vec<f32> {
        a.iter().map(|x| f32::from_bits(x.load(Relaxed))).collect()
    }

    /// The fused update equals the two axpys per row it replaces (`dx` sees each row before
    /// its own update), at every length.
    #[test]
    fn grad_rows_is_two_axpys_per_row() {
        for d in [1usize, 7, 8, 9, 16, 24, 100, 131] {
            for k in [0usize, 1, 2, 3, 6, 21] {
                let x: Vec<f32> = (0..d).map(|i| (i as f32 * 0.37).sin()).collect();
                let g: Vec<f32> = (0..k).map(|j| 0.1 * j as f32 - 0.2).collect();
                let rows: Vec<f32> = (0..k * d).map(|i| (i as f32 * 0.05).cos()).collect();
                let dx0: Vec<f32> = (0..d).map(|i| i as f32 * 0.01).collect();
                let (mut rows1, mut dx1) = (rows.clone(), dx0.clone());
                super::grad_rows(&g, &x, &mut dx1, &mut rows1);
                let (mut rows2, mut dx2) = (rows, dx0);
                for (j, row) in rows2.chunks_exact_mut(d).enumerate() {
                    crate::kernels::linalg::axpy(g[j], row, &mut dx2);
                    crate::kernels::linalg::axpy(g[j], &x, row);
                }
                for (a, b) in dx1.iter().zip(&dx2).chain(rows1.iter().zip(&rows2)) {
                    assert!((a - b).abs() < 1e-5, "d {d} k {k}: {a} vs {b}");
                }
            }
        }
    }

    /// The vector row moves give exactly the scalar results at every length (body and tail),
    /// and touch nothing past the row.
    #[test]
    fn atomic_row_moves_match_scalar_code() {
        for n in [0usize, 1, 7, 8, 9, 15, 16, 17, 100, 131] {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            let x: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
            // a row of n inside a longer table: the guard cells must not change
            let mut backing = a.clone();
            backing.push(99.0);
            let table = atomics(&backing);
            let row = &table[..n];
            let mut got = vec![0.0f32; n];
            super::load_row(row, &mut got);
            assert_eq!(got, a, "load n {n}");
            super::store_axpy_row(row, &a, 0.5, &x);
            let want: Vec<f32> = a.iter().zip(&x).map(|(c, x)| c + 0.5 * x).collect();
            for (g, w) in values(row).iter().zip(&want) {
                assert!((g - w).abs() <= 1e-6 * w.abs().max(1.0), "axpy n {n}");
            }
            super::store_row(row, &x);
            assert_eq!(values(row), x, "store n {n}");
            super::add_row(row, &a);
            let want: Vec<f32> = x.iter().zip(&a).map(|(x, a)| x + a).collect();
            assert_eq!(values(row), want, "add n {n}");
            super::add_diff_row(row, &x, &a);
            let want: Vec<f32> = want
                .iter()
                .zip(&x)
                .zip(&a)
                .map(|((w, x), a)| w + (x - a))
                .collect();
            assert_eq!(values(row), want, "add diff n {n}");
            assert_eq!(f32::from_bits(table[n].load(Relaxed)), 99.0, "guard n {n}");
        }
    }
    /// The slot kernels equal one axpy per slot, bit for bit, at every length (body, 4-lane
    /// step and scalar tail), and leave the other slots alone.
    #[test]
    fn slot_kernels_are_axpys_per_slot() {
        for d in [1usize, 4, 7, 8, 12, 100, 131] {
            let buf: Vec<f32> = (0..5 * d).map(|i| (i as f32 * 0.31).sin()).collect();
            let slots = [3u32, 0, 4];
            let mut got = vec![7.0f32; d];
            super::sum_slots(&buf, &slots, 0.25, &mut got);
            let mut want = vec![0.0f32; d];
            for &s in &slots {
                let s = s as usize;
                crate::kernels::linalg::axpy(1.0, &buf[s * d..(s + 1) * d], &mut want);
            }
            want.iter_mut().for_each(|w| *w *= 0.25);
            assert_eq!(got, want, "sum d {d}");
            let x: Vec<f32> = (0..d).map(|i| (i as f32 * 0.7).cos()).collect();
            let mut b1 = buf.clone();
            super::add_to_slots(&mut b1, &slots, &x);
            let mut b2 = buf.clone();
            for &s in &slots {
                let s = s as usize;
                crate::kernels::linalg::axpy(1.0, &x, &mut b2[s * d..(s + 1) * d]);
            }
            assert_eq!(b1, b2, "add d {d}");
            assert_eq!(b1[d..2 * d], buf[d..2 * d], "slot 1 untouched, d {d}");
        }
    }

    #[test]
    fn weighted_rows_is_the_confidence_weighted_sum() {
        for k in [3usize, 8, 16, 20, 24, 64, 72] {
            let n_items = 7;
            let ys: Vec<f32> = (0..n_items * k).map(|i| (i as f32 * 0.29).sin()).collect();
            let v: Vec<f32> = (0..k).map(|i| (i as f32 * 0.13).cos()).collect();
            let items = [0usize, 3, 6, 2, 5];
            let conf = [1.0f32, 41.0, 2.5, 1.0, 7.0];
            for (a, b) in [(0.0f32, 1.0f32), (1.0, -1.0)] {
                let mut out: Vec<f32> = (0..k).map(|i| i as f32 * 0.01).collect();
                let mut want: Vec<f64> = out.iter().map(|&x| f64::from(x)).collect();
                super::weighted_rows(&ys, k, &items, &conf, &v, (a, b), &mut out);
                for (&i, &c) in items.iter().zip(&conf) {
                    let y = &ys[i * k..(i + 1) * k];
                    let d: f64 = y
                        .iter()
                        .zip(&v)
                        .map(|(p, q)| f64::from(*p) * f64::from(*q))
                        .sum();
                    let w = f64::from(a) * f64::from(c) + f64::from(b) * f64::from(c - 1.0) * d;
                    for (o, yv) in want.iter_mut().zip(y) {
                        *o += w * f64::from(*yv);
                    }
                }
                for (g, w) in out.iter().zip(&want) {
                    assert!(
                        (f64::from(*g) - w).abs() < 1e-3 * w.abs().max(1.0),
                        "k {k} a {a}: {g} vs {w}"
                    );
                }
            }
        }
    }

    #[test]
    fn mf_step_is_funks_update() {
        for n in [0usize, 1, 3, 4, 5, 8, 12, 20, 21, 64, 100] {
            let p0: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin() * 0.3).collect();
            let q0: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos() * 0.3).collect();
            let (mut p, mut q) = (p0.clone(), q0.clone());
            let (offset, lr, rf) = (0.7f32, 0.03f32, 0.1f32);
            let e = super::mf_step(&mut p, &mut q, offset, lr, rf);
            let d: f64 = p0
                .iter()
                .zip(&q0)
                .map(|(a, b)| f64::from(*a) * f64::from(*b))
                .sum();
            let want_e = f64::from(offset) - d;
            assert!(
                (f64::from(e) - want_e).abs() < 1e-5,
                "n {n}: e {e} vs {want_e}"
            );
            for i in 0..n {
                let wp = p0[i] + lr * (e * q0[i] - rf * p0[i]);
                let wq = q0[i] + lr * (e * p0[i] - rf * q0[i]);
                assert!(
                    (p[i] - wp).abs() < 1e-6 && (q[i] - wq).abs() < 1e-6,
                    "n {n} i {i}"
                );
            }
        }
    }

    #[test]
    fn simd_kernels_match_the_portable_ones() {
        for n in [0usize, 1, 7, 8, 9, 16, 17, 100, 131] {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
            let exact: f64 = a
                .iter()
                .zip(&b)
                .map(|(x, y)| f64::from(*x) * f64::from(*y))
                .sum();
            assert!(
                (f64::from(super::dot(&a, &b)) - exact).abs() < 1e-4,
                "n {n}"
            );
            if n > 0 {
                // 6 rows: one group of four and two single rows
                let rows: Vec<f32> = (0..6)
                    .flat_map(|j| a.iter().map(move |x| x * (j as f32 + 1.0)))
                    .collect();
                let mut out = [0.0f32; 6];
                super::dots(&rows, &b, &mut out);
                for (j, o) in out.iter().enumerate() {
                    let want = super::dot(&a, &b) * (j as f32 + 1.0);
                    assert!(
                        (o - want).abs() < 1e-3 * want.abs().max(1.0),
                        "n {n} row {j}"
                    );
                }
            }
            let mut y1 = b.clone();
            let mut y2 = b.clone();
            super::axpy(0.5, &a, &mut y1);
            crate::kernels::linalg::axpy(0.5, &a, &mut y2);
            for (p, q) in y1.iter().zip(&y2) {
                assert!((p - q).abs() < 1e-6, "n {n}");
            }
        }
    }
}

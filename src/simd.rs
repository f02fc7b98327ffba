//! Run-time selection of SIMD code paths. This is the crate's only `unsafe`.
//!
//! [`dispatch!`] wraps a portable `#[inline(always)]` function: on x86-64 CPUs with AVX2 and
//! FMA, the call goes to a copy of it compiled with `#[target_feature(enable = "avx2,fma")]`
//! (so the compiler vectorises its loops 8 floats wide); elsewhere to the portable build.
//! Both copies run the same source, so results differ at most by FMA rounding.

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

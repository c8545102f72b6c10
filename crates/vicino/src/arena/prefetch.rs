//! Software prefetch: start loading a cache line we will read soon.

/// Asks the CPU to bring the line at `p` into L1. Never faults, even on a bad address.
#[inline(always)]
pub(crate) fn prefetch(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: SSE is part of the x86_64 baseline, and a prefetch is only a hint: it never
        // faults or changes memory, whatever the address.
        #[allow(unused_unsafe)]
        unsafe {
            _mm_prefetch(p.cast::<i8>(), _MM_HINT_T0)
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

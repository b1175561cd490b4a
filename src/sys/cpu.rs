//! The processor: indivisible 16-byte loads and stores (x86-64 with AVX, aarch64 with LSE2),
//! a two-word peek that works everywhere, and a prefetch hint. The one file that names CPUs.

/// Loads 16 bytes at `ptr` as one indivisible read: another process storing 16 bytes there
/// with [`store16`] is seen either wholly before or wholly after its store, never half.
///
/// x86-64 processors with AVX guarantee that aligned 16-byte `MOVDQA` loads and stores are
/// atomic (Intel SDM vol. 3A §9.1.1, AMD APM vol. 2 §7.3.2); [`has_atomic16`] checks for AVX.
///
/// The load is **one `movdqa` instruction by construction**: it is written in inline
/// assembly, which the compiler may neither split, repeat, nor merge with another load (the
/// block is not `pure`), so the caller's copy of the 16 bytes — the futex word included — is
/// the one the instruction read. `tests/trust.rs` disassembles this function in the test
/// binary (`objdump -d -C`) and checks for exactly one 16-byte load; by hand:
/// `objdump -d -C target/debug/deps/trust-* | grep -A8 'recmap::sys::cpu::load16>:'`.
///
/// # Safety
///
/// `ptr` is 16-byte aligned and points at 16 readable bytes of a live mapping, and
/// [`has_atomic16`] returned `true`.
#[cfg(target_arch = "x86_64")]
#[inline(never)]
pub(crate) unsafe fn load16(ptr: *const u8) -> [u8; 16] {
    use std::arch::x86_64::__m128i;
    let v: __m128i;
    // SAFETY: the caller promises alignment (which `movdqa` needs, or it faults) and 16
    // readable bytes; the instruction writes only the output register. `readonly`: it stores
    // to no memory; not `pure`, so it is executed exactly once, where it is written.
    unsafe {
        std::arch::asm!(
            "movdqa {v}, xmmword ptr [{p}]",
            p = in(reg) ptr,
            v = out(xmm_reg) v,
            options(nostack, preserves_flags, readonly),
        );
    }
    std::sync::atomic::fence(std::sync::atomic::Ordering::Acquire);
    // SAFETY: `__m128i` and `[u8; 16]` are both 16 plain bytes with no invalid values.
    unsafe { std::mem::transmute::<__m128i, [u8; 16]>(v) }
}

/// Stores 16 bytes at `ptr` as one indivisible write (one `movdqa` instruction, in inline
/// assembly as [`load16`] is), after every store this thread made before it (release order).
///
/// # Safety
///
/// `ptr` is 16-byte aligned and points at 16 writable bytes of a live mapping that no
/// reference in this process covers, and [`has_atomic16`] returned `true`.
#[cfg(target_arch = "x86_64")]
#[inline(never)]
pub(crate) unsafe fn store16(ptr: *mut u8, bytes: [u8; 16]) {
    use std::arch::x86_64::__m128i;
    std::sync::atomic::fence(std::sync::atomic::Ordering::Release);
    // SAFETY: `[u8; 16]` and `__m128i` are both 16 plain bytes with no invalid values.
    let v = unsafe { std::mem::transmute::<[u8; 16], __m128i>(bytes) };
    // SAFETY: the caller promises alignment, 16 writable bytes and no aliasing reference. The
    // block may write memory (no `nomem`/`readonly`), so the compiler keeps every earlier
    // store before it, as the release fence asks.
    unsafe {
        std::arch::asm!(
            "movdqa xmmword ptr [{p}], {v}",
            p = in(reg) ptr,
            v = in(xmm_reg) v,
            options(nostack, preserves_flags),
        );
    }
}

/// Loads 16 bytes at `ptr` as one indivisible read (aarch64): one `LDP` of two 64-bit
/// registers, which processors with FEAT_LSE2 (ARMv8.4: Apple M-series, Graviton3/4, Neoverse
/// V1/N2) perform as one single-copy-atomic access when the address is 16-byte aligned (Arm ARM
/// B2.2.1.1); [`has_atomic16`] checks for LSE2. In inline assembly, so it is one instruction
/// by construction, as on x86-64.
///
/// # Safety
///
/// As the x86-64 `load16`.
#[cfg(target_arch = "aarch64")]
#[inline(never)]
pub(crate) unsafe fn load16(ptr: *const u8) -> [u8; 16] {
    let (lo, hi): (u64, u64);
    // SAFETY: the caller promises alignment and 16 readable bytes; `ldp` writes only the two
    // output registers. Not `pure`: executed exactly once, where it is written.
    unsafe {
        std::arch::asm!(
            "ldp {lo}, {hi}, [{p}]",
            p = in(reg) ptr,
            lo = out(reg) lo,
            hi = out(reg) hi,
            options(nostack, preserves_flags, readonly),
        );
    }
    std::sync::atomic::fence(std::sync::atomic::Ordering::Acquire);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&lo.to_le_bytes());
    bytes[8..].copy_from_slice(&hi.to_le_bytes());
    bytes
}

/// Stores 16 bytes at `ptr` as one indivisible write (aarch64 with LSE2: one `STP`), after
/// every store this thread made before it (release order); see the aarch64 [`load16`].
///
/// # Safety
///
/// As the x86-64 `store16`.
#[cfg(target_arch = "aarch64")]
#[inline(never)]
pub(crate) unsafe fn store16(ptr: *mut u8, bytes: [u8; 16]) {
    let mut lo = [0u8; 8];
    let mut hi = [0u8; 8];
    lo.copy_from_slice(&bytes[..8]);
    hi.copy_from_slice(&bytes[8..]);
    let (lo, hi) = (u64::from_le_bytes(lo), u64::from_le_bytes(hi));
    std::sync::atomic::fence(std::sync::atomic::Ordering::Release);
    // SAFETY: the caller promises alignment, 16 writable bytes and no aliasing reference; the
    // block may write memory, so the compiler keeps earlier stores before it.
    unsafe {
        std::arch::asm!(
            "stp {lo}, {hi}, [{p}]",
            p = in(reg) ptr,
            lo = in(reg) lo,
            hi = in(reg) hi,
            options(nostack, preserves_flags),
        );
    }
}

/// The 16 bytes at `ptr` read as two 8-byte atomic loads: **not** indivisible as a whole, so
/// only a hint that the block may have changed (the locked commit protocol then reads it
/// under its lock). Works on every processor.
///
/// # Safety
///
/// `ptr` is 8-byte aligned and points at 16 readable bytes of a live mapping.
pub(crate) unsafe fn peek16(ptr: *const u8) -> [u8; 16] {
    use std::sync::atomic::{AtomicU64, Ordering};
    // SAFETY: the caller promises 8-byte alignment and 16 readable bytes; the bytes are only
    // ever accessed through atomics or system calls in this process (other processes are
    // outside the memory model), so atomic loads of them are sound.
    let (lo, hi) = unsafe {
        (
            AtomicU64::from_ptr(ptr.cast_mut().cast::<u64>()).load(Ordering::Acquire),
            AtomicU64::from_ptr(ptr.cast_mut().add(8).cast::<u64>()).load(Ordering::Acquire),
        )
    };
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&lo.to_ne_bytes());
    bytes[8..].copy_from_slice(&hi.to_ne_bytes());
    bytes
}

/// Whether [`load16`] and [`store16`] are indivisible on this processor: x86-64 with AVX, or
/// aarch64 with LSE2.
pub(crate) fn has_atomic16() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx")
    }
    #[cfg(target_arch = "aarch64")]
    {
        std::arch::is_aarch64_feature_detected!("lse2")
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        false
    }
}

/// Asks the processor to bring the cache line holding `ptr` closer (a hint: nothing is read,
/// nothing can fault, any address is fine).
#[inline(always)]
pub(crate) fn prefetch(ptr: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `prefetcht0` is a hint that never faults and reads no memory, whatever the
    // address; SSE is part of every x86-64 processor.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(ptr.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = ptr;
}

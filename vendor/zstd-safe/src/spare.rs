//! Spare contexts: a dropped context is reset to its defaults and kept for the next `create`.
//!
//! aad-ingest patch. Creating a context runs `cpuid` (to pick the BMI2 code paths), which in a
//! virtual machine traps to the hypervisor: about 10 µs a context on the VMs measured. Parquet
//! makes a compressor and a decompressor for every column chunk it writes, so a lake of hourly
//! files spent 6 % of its CPU time there. With `std`, up to `MAX_SPARE` contexts of each kind
//! are kept process-wide (a row group makes all its columns' codecs on one thread and drops
//! them on others, so per-thread lists would miss); without `std`, nothing is kept.

#[cfg(feature = "std")]
mod imp {
    use core::ptr::NonNull;
    use std::sync::Mutex;
    use std::vec::Vec;

    /// Contexts kept at most, of each kind: a Parquet row group makes one per column at once.
    const MAX_SPARE: usize = 32;

    struct Spare<T>(Vec<NonNull<T>>);
    // Safety: contexts carry no thread affinity (zstd-safe's own CCtx/DCtx are Send).
    unsafe impl<T> Send for Spare<T> {}

    static CCTX: Mutex<Spare<zstd_sys::ZSTD_CCtx>> = Mutex::new(Spare(Vec::new()));
    static DCTX: Mutex<Spare<zstd_sys::ZSTD_DCtx>> = Mutex::new(Spare(Vec::new()));

    fn take<T>(spare: &Mutex<Spare<T>>) -> Option<NonNull<T>> {
        spare.lock().ok()?.0.pop()
    }

    fn give<T>(spare: &Mutex<Spare<T>>, ctx: NonNull<T>) -> bool {
        match spare.lock() {
            Ok(mut s) if s.0.len() < MAX_SPARE => {
                s.0.push(ctx);
                true
            }
            _ => false,
        }
    }

    pub fn take_cctx() -> Option<NonNull<zstd_sys::ZSTD_CCtx>> {
        take(&CCTX)
    }
    pub fn give_cctx(ctx: NonNull<zstd_sys::ZSTD_CCtx>) -> bool {
        give(&CCTX, ctx)
    }
    pub fn take_dctx() -> Option<NonNull<zstd_sys::ZSTD_DCtx>> {
        take(&DCTX)
    }
    pub fn give_dctx(ctx: NonNull<zstd_sys::ZSTD_DCtx>) -> bool {
        give(&DCTX, ctx)
    }
}

#[cfg(not(feature = "std"))]
mod imp {
    use core::ptr::NonNull;
    pub fn take_cctx() -> Option<NonNull<zstd_sys::ZSTD_CCtx>> {
        None
    }
    pub fn give_cctx(_: NonNull<zstd_sys::ZSTD_CCtx>) -> bool {
        false
    }
    pub fn take_dctx() -> Option<NonNull<zstd_sys::ZSTD_DCtx>> {
        None
    }
    pub fn give_dctx(_: NonNull<zstd_sys::ZSTD_DCtx>) -> bool {
        false
    }
}

#[allow(unused_imports)]
pub(crate) use imp::{give_cctx, give_dctx, take_cctx, take_dctx};

//! Every fuzz target's allocator: the system's, refusing any single allocation over
//! [`MAX_ALLOCATION`] by aborting, which libFuzzer reports as a crash with the input that
//! caused it. No input of a few kilobytes should make the node reserve that much at once (a
//! length prefix trusted before the bytes behind it arrive is the usual cause).

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write as _;

/// The largest single allocation a target may make.
pub const MAX_ALLOCATION: usize = 64 * 1024 * 1024;

/// The system allocator with the bound above.
pub struct Bounded;

fn refuse() -> ! {
    // Writing a static message to stderr allocates nothing.
    let _ = std::io::stderr().write_all(b"==cairn-fuzz== a single allocation over 64 MiB\n");
    std::process::abort()
}

// SAFETY: every call is forwarded unchanged to `System`, or never returns.
unsafe impl GlobalAlloc for Bounded {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > MAX_ALLOCATION {
            refuse();
        }
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which `System` shares.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() > MAX_ALLOCATION {
            refuse();
        }
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` through this allocator with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > MAX_ALLOCATION {
            refuse();
        }
        // SAFETY: as for `dealloc`; `new_size` is the caller's, within its contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Bounded = Bounded;

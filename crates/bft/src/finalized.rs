//! The largest certificate a node holds for its newest block. Malachite decides a height on
//! the first quorum of precommits, then keeps gathering late ones until the height's target
//! time and reports them in `Finalized`; a proof-of-stake proposer carries that certificate in
//! its next block, so validators whose precommits arrived a little late are paid for the block
//! and not counted as missing it.

use std::sync::{Mutex, PoisonError};

use alloy_primitives::Bytes;

/// The newest `Finalized` certificate, as a seal encoding, shared by the driver that receives
/// it and the engine that proposes the next block.
#[derive(Debug, Default)]
pub struct FinalizedCertificates {
    newest: Mutex<Option<(u64, Bytes)>>,
}

impl FinalizedCertificates {
    /// Keeps `seal`, the certificate of block `height`, in place of any older one.
    pub(crate) fn note(&self, height: u64, seal: Bytes) {
        let mut newest = self.newest.lock().unwrap_or_else(PoisonError::into_inner);
        if newest.as_ref().is_none_or(|(kept, _)| *kept <= height) {
            *newest = Some((height, seal));
        }
    }

    /// The certificate of block `height`, if it is the newest one noted.
    pub(crate) fn of(&self, height: u64) -> Option<Bytes> {
        let newest = self.newest.lock().unwrap_or_else(PoisonError::into_inner);
        newest.as_ref().filter(|(kept, _)| *kept == height).map(|(_, seal)| seal.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_newest_height_is_kept() {
        let kept = FinalizedCertificates::default();
        assert_eq!(kept.of(1), None);
        kept.note(2, Bytes::from_static(b"two"));
        kept.note(1, Bytes::from_static(b"one"));
        assert_eq!(kept.of(2), Some(Bytes::from_static(b"two")));
        assert_eq!(kept.of(1), None);
        kept.note(3, Bytes::from_static(b"three"));
        assert_eq!(kept.of(2), None);
        assert_eq!(kept.of(3), Some(Bytes::from_static(b"three")));
    }
}

//! Counted slots with a global cap and a cap per holder (a client address, an API key), so
//! one holder can take at most its share and the rest stays free for everyone else.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

/// Why a slot was not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotRefused {
    /// Every slot is taken.
    Full {
        /// The global cap.
        max: usize,
    },
    /// The holder already has its share.
    HolderFull {
        /// The cap per holder.
        max_per_holder: usize,
    },
}

impl fmt::Display for SlotRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full { max } => write!(f, "all {max} are taken"),
            Self::HolderFull { max_per_holder } => {
                write!(f, "you hold {max_per_holder}, the most one client may hold")
            }
        }
    }
}

#[derive(Debug)]
struct Taken<K> {
    total: usize,
    by_holder: HashMap<K, usize>,
}

/// Slots shared by every holder; see the module documentation.
#[derive(Debug)]
pub struct Slots<K> {
    max: usize,
    max_per_holder: usize,
    taken: Mutex<Taken<K>>,
}

impl<K: Eq + Hash + Clone> Slots<K> {
    /// `max` slots in all, at most `max_per_holder` (at least one) per holder.
    pub fn new(max: usize, max_per_holder: usize) -> Arc<Self> {
        Arc::new(Self {
            max,
            max_per_holder: max_per_holder.clamp(1, max.max(1)),
            taken: Mutex::new(Taken { total: 0, by_holder: HashMap::new() }),
        })
    }

    /// The cap per holder.
    pub fn max_per_holder(&self) -> usize {
        self.max_per_holder
    }

    /// A slot for `holder`, held until the [`Slot`] is dropped.
    pub fn try_take(self: &Arc<Self>, holder: K) -> Result<Slot<K>, SlotRefused> {
        let mut taken = self.taken.lock().unwrap_or_else(PoisonError::into_inner);
        let held = taken.by_holder.get(&holder).copied().unwrap_or(0);
        if held >= self.max_per_holder {
            return Err(SlotRefused::HolderFull { max_per_holder: self.max_per_holder });
        }
        if taken.total >= self.max {
            return Err(SlotRefused::Full { max: self.max });
        }
        taken.total += 1;
        taken.by_holder.insert(holder.clone(), held + 1);
        Ok(Slot { slots: self.clone(), holder: Some(holder) })
    }

    /// Slots taken now, in all and by `holder`.
    pub fn taken(&self, holder: &K) -> (usize, usize) {
        let taken = self.taken.lock().unwrap_or_else(PoisonError::into_inner);
        (taken.total, taken.by_holder.get(holder).copied().unwrap_or(0))
    }

    fn give_back(&self, holder: &K) {
        let mut taken = self.taken.lock().unwrap_or_else(PoisonError::into_inner);
        taken.total = taken.total.saturating_sub(1);
        if let Some(held) = taken.by_holder.get_mut(holder) {
            *held -= 1;
            if *held == 0 {
                // Forgotten at once, so the map only ever holds current holders.
                taken.by_holder.remove(holder);
            }
        }
    }
}

/// One taken slot, given back when dropped.
#[derive(Debug)]
pub struct Slot<K: Eq + Hash + Clone> {
    slots: Arc<Slots<K>>,
    holder: Option<K>,
}

impl<K: Eq + Hash + Clone> Drop for Slot<K> {
    fn drop(&mut self) {
        if let Some(holder) = self.holder.take() {
            self.slots.give_back(&holder);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_takes_its_share_and_leaves_the_rest() {
        let slots = Slots::new(4, 2);
        let a1 = slots.try_take("a").expect("first");
        let _a2 = slots.try_take("a").expect("second");
        assert_eq!(slots.try_take("a").err(), Some(SlotRefused::HolderFull { max_per_holder: 2 }));
        let _b1 = slots.try_take("b").expect("another holder is served");
        let _b2 = slots.try_take("b").expect("its share too");
        assert_eq!(slots.try_take("c").err(), Some(SlotRefused::Full { max: 4 }));
        drop(a1);
        assert_eq!(slots.taken(&"a"), (3, 1));
        let _c = slots.try_take("c").expect("a slot was given back");
        assert_eq!(slots.taken(&"c"), (4, 1));
    }

    #[test]
    fn holders_are_forgotten_once_they_hold_nothing() {
        let slots = Slots::new(8, 1);
        for n in 0..100 {
            drop(slots.try_take(n).expect("free"));
        }
        let taken = slots.taken.lock().expect("lock");
        assert_eq!((taken.total, taken.by_holder.len()), (0, 0));
    }

    #[test]
    fn the_share_is_at_least_one_and_at_most_everything() {
        assert_eq!(Slots::<u8>::new(10, 0).max_per_holder(), 1);
        assert_eq!(Slots::<u8>::new(10, 50).max_per_holder(), 10);
    }
}

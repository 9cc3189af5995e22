//! The chain file as redb sees it. Every read is noted per thread, so that when redb reports a
//! damaged page (or panics on one) the store can say which page it was reading. For audits of
//! a file whose last writer did not shut down cleanly, an overlay keeps redb's crash recovery
//! in memory: the file is opened read-only and never written.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::ops::Bound;
use std::sync::{Mutex, PoisonError};

use redb::backends::FileBackend;
use redb::{BackendError, StorageBackend};

thread_local! {
    /// Offset of the last read this thread made from a chain file.
    static LAST_READ: Cell<Option<u64>> = const { Cell::new(None) };
}

/// Sets what counts as this thread's last read before an operation whose failure should name
/// its page: nothing, or the page the operation starts from when redb holds it in memory
/// already (a table's root).
pub(crate) fn reset_last_read(start: Option<u64>) {
    LAST_READ.with(|last| last.set(start));
}

/// The offset of the last read this thread made from a chain file since [`reset_last_read`].
pub(crate) fn last_read() -> Option<u64> {
    LAST_READ.with(Cell::get)
}

/// Writes redb makes to a file opened for an audit: they stay in memory, over the file's bytes.
#[derive(Debug)]
struct Overlay {
    /// The length redb believes the storage has.
    len: u64,
    /// How much of the file still shows through (a shrink hides the rest for good).
    visible: u64,
    /// Written extents by start offset; they never overlap.
    extents: BTreeMap<u64, Vec<u8>>,
}

impl Overlay {
    fn write(&mut self, offset: u64, data: &[u8]) {
        let end = offset + data.len() as u64;
        let first = self.extents.range(..=offset).next_back().map_or(offset, |(start, _)| *start);
        let overlapping: Vec<u64> = self
            .extents
            .range(first..end)
            .filter(|(start, bytes)| **start + bytes.len() as u64 > offset)
            .map(|(start, _)| *start)
            .collect();
        for start in overlapping {
            let Some(bytes) = self.extents.remove(&start) else { continue };
            let stop = start + bytes.len() as u64;
            if start < offset {
                self.extents.insert(start, bytes[..(offset - start) as usize].to_vec());
            }
            if stop > end {
                self.extents.insert(end, bytes[(end - start) as usize..].to_vec());
            }
        }
        self.extents.insert(offset, data.to_vec());
        self.len = self.len.max(end);
    }

    fn set_len(&mut self, len: u64) {
        self.len = len;
        self.visible = self.visible.min(len);
        self.extents.retain(|start, _| *start < len);
        if let Some((start, bytes)) = self.extents.iter_mut().next_back() {
            bytes.truncate((len - start) as usize);
        }
    }

    /// Lays the written extents that meet `out` (which starts at `offset`) over it.
    fn apply(&self, offset: u64, out: &mut [u8]) {
        let end = offset + out.len() as u64;
        let first = self.extents.range(..=offset).next_back().map_or(offset, |(start, _)| *start);
        for (start, bytes) in self.extents.range(first..end) {
            let from = offset.max(*start);
            let to = end.min(start + bytes.len() as u64);
            if from < to {
                out[(from - offset) as usize..(to - offset) as usize]
                    .copy_from_slice(&bytes[(from - start) as usize..(to - start) as usize]);
            }
        }
    }
}

/// A chain file: redb's own file backend, with reads noted and, for an audit, writes kept in
/// memory.
#[derive(Debug)]
pub(crate) struct ChainFile {
    file: FileBackend,
    overlay: Option<Mutex<Overlay>>,
}

impl ChainFile {
    /// The file as it is: redb reads and writes it.
    pub(crate) fn new(file: File) -> Result<Self, redb::DatabaseError> {
        Ok(Self { file: FileBackend::new(file)?, overlay: None })
    }

    /// A file opened read-only, under an overlay that takes redb's writes in memory. Its locks
    /// are all taken shared, so a running node (which holds its file exclusively) refuses the
    /// audit and other readers do not.
    pub(crate) fn overlay(file: File) -> Result<Self, redb::DatabaseError> {
        let len = file.metadata()?.len();
        let overlay = Overlay { len, visible: len, extents: BTreeMap::new() };
        Ok(Self { file: FileBackend::new(file)?, overlay: Some(Mutex::new(overlay)) })
    }
}

impl StorageBackend for ChainFile {
    fn len(&self) -> Result<u64, io::Error> {
        match &self.overlay {
            Some(overlay) => Ok(overlay.lock().unwrap_or_else(PoisonError::into_inner).len),
            None => self.file.len(),
        }
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), io::Error> {
        LAST_READ.with(|last| last.set(Some(offset)));
        let Some(overlay) = &self.overlay else { return self.file.read(offset, out) };
        let overlay = overlay.lock().unwrap_or_else(PoisonError::into_inner);
        if offset + out.len() as u64 > overlay.len {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "read past the end"));
        }
        let from_file = overlay.visible.saturating_sub(offset).min(out.len() as u64) as usize;
        let (head, tail) = out.split_at_mut(from_file);
        if !head.is_empty() {
            self.file.read(offset, head)?;
        }
        tail.fill(0);
        overlay.apply(offset, out);
        Ok(())
    }

    fn set_len(&self, len: u64) -> Result<(), io::Error> {
        match &self.overlay {
            Some(overlay) => {
                overlay.lock().unwrap_or_else(PoisonError::into_inner).set_len(len);
                Ok(())
            }
            None => self.file.set_len(len),
        }
    }

    fn sync_data(&self) -> Result<(), io::Error> {
        match &self.overlay {
            Some(_) => Ok(()),
            None => self.file.sync_data(),
        }
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<(), io::Error> {
        match &self.overlay {
            Some(overlay) => {
                overlay.lock().unwrap_or_else(PoisonError::into_inner).write(offset, data);
                Ok(())
            }
            None => self.file.write(offset, data),
        }
    }

    fn close(&self) -> Result<(), io::Error> {
        self.file.close()
    }

    fn try_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        match &self.overlay {
            Some(_) => self.file.try_lock_shared_range(start, end),
            None => self.file.try_lock_range(start, end),
        }
    }

    fn try_lock_shared_range(
        &self,
        start: Bound<u64>,
        end: Bound<u64>,
    ) -> Result<bool, BackendError> {
        self.file.try_lock_shared_range(start, end)
    }

    fn lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        match &self.overlay {
            Some(_) => self.file.lock_shared_range(start, end),
            None => self.file.lock_range(start, end),
        }
    }

    fn lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.file.lock_shared_range(start, end)
    }

    fn unlock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.file.unlock_range(start, end)
    }

    fn query_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.file.query_lock_range(start, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overlay(len: u64) -> Overlay {
        Overlay { len, visible: len, extents: BTreeMap::new() }
    }

    fn read(overlay: &Overlay, offset: u64, len: usize) -> Vec<u8> {
        let mut out = vec![0xee; len];
        overlay.apply(offset, &mut out);
        out
    }

    #[test]
    fn later_writes_win_and_split_earlier_ones() {
        let mut o = overlay(16);
        o.write(0, &[1; 8]);
        o.write(2, &[2; 3]);
        o.write(6, &[3; 4]);
        assert_eq!(read(&o, 0, 10), [1, 1, 2, 2, 2, 1, 3, 3, 3, 3]);
        assert_eq!(read(&o, 4, 3), [2, 1, 3]);
        assert_eq!(o.extents.len(), 4, "{:?}", o.extents);
    }

    #[test]
    fn shrinking_hides_the_file_and_trims_writes() {
        let mut o = overlay(16);
        o.write(4, &[7; 8]);
        o.set_len(6);
        assert_eq!((o.len, o.visible), (6, 6));
        assert_eq!(o.extents.get(&4).map(Vec::len), Some(2));
        o.set_len(12);
        assert_eq!((o.len, o.visible), (12, 6));
        assert_eq!(read(&o, 4, 4), [7, 7, 0xee, 0xee]);
    }
}

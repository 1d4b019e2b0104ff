//! Reads remembered per centre until a write of this process changes what they read. SQLite is
//! written by one process (the engine's writer), so forgetting a centre's value right after each
//! commit that changes it keeps every remembered value current.

use onestop_domain::catalogue::CentreCode;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// A centre's remembered value and the generation it was read in.
struct Entry<T> {
    generation: u64,
    value: Option<Arc<T>>,
}

/// Values read per centre, each forgotten by [`Memo::forget`] after a commit that changes it.
pub(crate) struct Memo<T> {
    entries: Mutex<HashMap<CentreCode, Entry<T>>>,
}

impl<T> std::fmt::Debug for Memo<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let centres = self.entries.lock().map_or(0, |e| e.len());
        f.debug_struct("Memo").field("centres", &centres).finish()
    }
}

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Memo { entries: Mutex::new(HashMap::new()) }
    }
}

impl<T> Memo<T> {
    /// The remembered value of `centre`, or `read`'s, remembered unless a commit forgot the centre
    /// while `read` ran (then what `read` saw may be older than that commit).
    pub(crate) fn get_or_read<E>(
        &self,
        centre: &CentreCode,
        read: impl FnOnce() -> Result<T, E>,
    ) -> Result<Arc<T>, E> {
        let generation = {
            let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            match entries.get(centre) {
                Some(Entry { value: Some(value), .. }) => return Ok(Arc::clone(value)),
                Some(entry) => entry.generation,
                None => 0,
            }
        };
        let value = Arc::new(read()?);
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.entry(centre.clone()).or_insert(Entry { generation: 0, value: None });
        if entry.generation == generation {
            entry.value = Some(Arc::clone(&value));
        }
        Ok(value)
    }

    /// Forgets `centre`'s value: call after the commit that changed it.
    pub(crate) fn forget(&self, centre: &CentreCode) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.entry(centre.clone()).or_insert(Entry { generation: 0, value: None });
        entry.generation += 1;
        entry.value = None;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_value_is_read_once_and_again_after_it_is_forgotten() {
        let memo = Memo::<u32>::default();
        let baku = CentreCode::new("BAKU-1");
        let reads = std::cell::Cell::new(0);
        let read = || -> Result<u32, ()> {
            reads.set(reads.get() + 1);
            Ok(reads.get())
        };
        assert_eq!(*memo.get_or_read(&baku, read).unwrap(), 1);
        assert_eq!(*memo.get_or_read(&baku, read).unwrap(), 1, "remembered");
        memo.forget(&baku);
        assert_eq!(*memo.get_or_read(&baku, read).unwrap(), 2, "read again after a change");
        assert_eq!(reads.get(), 2);
    }

    #[test]
    fn a_read_overtaken_by_a_commit_is_not_remembered() {
        let memo = Memo::<&str>::default();
        let baku = CentreCode::new("BAKU-1");
        // The commit lands while the read runs: what the read saw may predate it.
        let stale = memo.get_or_read(&baku, || -> Result<&str, ()> {
            memo.forget(&baku);
            Ok("before the commit")
        });
        assert_eq!(*stale.unwrap(), "before the commit");
        assert_eq!(*memo.get_or_read(&baku, || -> Result<&str, ()> { Ok("after") }).unwrap(), "after");
    }
}

//! Which input offsets are safe to commit.
//!
//! Data flow: the consumer loop registers every consumed record
//! ([`OffsetTracker::begin`]); the producer's delivery report (or the writer's
//! flush) marks it done ([`OffsetTracker::done`]); the consumer loop then
//! stores [`OffsetTracker::take_committable`] with librdkafka, which commits
//! them. Only the contiguous prefix of finished records of a partition is ever
//! committable, so a crash at any moment loses nothing: everything after the
//! committed position is consumed again.
//!
//! Offsets of a partition need not be contiguous (compaction, transaction
//! markers): the tracker follows the order records were consumed in, not
//! `offset + 1` arithmetic.

use std::collections::{BTreeMap, HashMap};

/// Where a record came from, carried with the produced record so that its
/// delivery report can finish it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputPos {
    pub partition: i32,
    pub offset: i64,
    /// Assignment generation of the partition when the record was consumed;
    /// reports from an earlier assignment are ignored.
    pub epoch: u64,
}

#[derive(Debug, Default)]
struct PartitionState {
    epoch: u64,
    /// Consumed, unfinished-or-finished records not yet committable, by
    /// offset; `true` once finished.
    pending: BTreeMap<i64, bool>,
    /// Next offset to consume after the committable prefix (what to commit).
    committable: Option<i64>,
    /// `committable` changed since the last [`OffsetTracker::take_committable`].
    dirty: bool,
}

/// Per-partition bookkeeping of in-flight input records.
#[derive(Debug, Default)]
pub struct OffsetTracker {
    partitions: HashMap<i32, PartitionState>,
    next_epoch: u64,
}

impl OffsetTracker {
    pub fn new() -> OffsetTracker {
        OffsetTracker::default()
    }

    /// Starts (or restarts) tracking a newly assigned partition; earlier
    /// in-flight records of it no longer count.
    pub fn assign(&mut self, partition: i32) {
        self.next_epoch += 1;
        self.partitions.insert(
            partition,
            PartitionState {
                epoch: self.next_epoch,
                ..PartitionState::default()
            },
        );
    }

    /// Forgets a revoked partition. Its unfinished records were not
    /// committed; the next owner consumes them again.
    pub fn revoke(&mut self, partition: i32) {
        self.partitions.remove(&partition);
    }

    /// Registers a consumed record. Returns its position (with the epoch to
    /// hand back to [`OffsetTracker::done`]).
    pub fn begin(&mut self, partition: i32, offset: i64) -> InputPos {
        if !self.partitions.contains_key(&partition) {
            self.assign(partition);
        }
        let state = self.partitions.get_mut(&partition).expect("just inserted");
        state.pending.entry(offset).or_insert(false);
        InputPos {
            partition,
            offset,
            epoch: state.epoch,
        }
    }

    /// Marks a record finished (delivered, written or deliberately dropped).
    /// Returns false when the report is stale (the partition was revoked or
    /// reassigned since) or unknown.
    pub fn done(&mut self, pos: InputPos) -> bool {
        let Some(state) = self.partitions.get_mut(&pos.partition) else {
            return false;
        };
        if state.epoch != pos.epoch {
            return false;
        }
        match state.pending.get_mut(&pos.offset) {
            Some(finished) => *finished = true,
            None => return false,
        }
        while let Some(entry) = state.pending.first_entry() {
            if !*entry.get() {
                break;
            }
            let (offset, _) = entry.remove_entry();
            state.committable = Some(offset + 1);
            state.dirty = true;
        }
        true
    }

    /// Partitions whose committable position advanced since the last call,
    /// with the offset to commit (the next offset to consume).
    pub fn take_committable(&mut self) -> Vec<(i32, i64)> {
        let mut out = Vec::new();
        for (&p, state) in self.partitions.iter_mut() {
            if state.dirty {
                state.dirty = false;
                if let Some(o) = state.committable {
                    out.push((p, o));
                }
            }
        }
        out.sort_unstable();
        out
    }

    /// Records consumed but not yet committable, over all partitions.
    pub fn in_flight(&self) -> usize {
        self.partitions
            .values()
            .map(|s| s.pending.values().filter(|done| !**done).count())
            .sum()
    }

    /// Records waiting in `pending` (finished or not), over all partitions.
    pub fn pending(&self) -> usize {
        self.partitions.values().map(|s| s.pending.len()).sum()
    }

    /// Partitions being tracked.
    pub fn partitions(&self) -> Vec<i32> {
        let mut v: Vec<i32> = self.partitions.keys().copied().collect();
        v.sort_unstable();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_delivery_advances() {
        let mut t = OffsetTracker::new();
        t.assign(0);
        let a = t.begin(0, 10);
        let b = t.begin(0, 11);
        assert!(t.take_committable().is_empty());
        assert!(t.done(a));
        assert_eq!(t.take_committable(), vec![(0, 11)]);
        assert!(t.take_committable().is_empty(), "reported once");
        assert!(t.done(b));
        assert_eq!(t.take_committable(), vec![(0, 12)]);
        assert_eq!(t.in_flight(), 0);
    }

    #[test]
    fn out_of_order_waits_for_the_gap() {
        let mut t = OffsetTracker::new();
        let a = t.begin(0, 0);
        let b = t.begin(0, 1);
        let c = t.begin(0, 2);
        assert!(t.done(c));
        assert!(t.done(b));
        assert!(t.take_committable().is_empty(), "offset 0 still in flight");
        assert_eq!(t.in_flight(), 1);
        assert!(t.done(a));
        assert_eq!(t.take_committable(), vec![(0, 3)]);
    }

    #[test]
    fn offsets_with_holes_follow_consume_order() {
        // Compacted topic: offsets 5, 9, 20.
        let mut t = OffsetTracker::new();
        let a = t.begin(3, 5);
        let b = t.begin(3, 9);
        let c = t.begin(3, 20);
        t.done(a);
        assert_eq!(t.take_committable(), vec![(3, 6)]);
        t.done(c);
        assert!(t.take_committable().is_empty());
        t.done(b);
        assert_eq!(t.take_committable(), vec![(3, 21)]);
    }

    #[test]
    fn partitions_are_independent() {
        let mut t = OffsetTracker::new();
        let a0 = t.begin(0, 0);
        let a1 = t.begin(1, 100);
        let b1 = t.begin(1, 101);
        t.done(b1);
        t.done(a0);
        assert_eq!(t.take_committable(), vec![(0, 1)]);
        t.done(a1);
        assert_eq!(t.take_committable(), vec![(1, 102)]);
    }

    #[test]
    fn stale_reports_after_revoke_are_ignored() {
        let mut t = OffsetTracker::new();
        t.assign(0);
        let old = t.begin(0, 7);
        t.revoke(0);
        assert!(!t.done(old), "revoked partition");
        t.assign(0);
        let new = t.begin(0, 7);
        assert!(!t.done(old), "earlier assignment");
        assert!(t.done(new));
        assert_eq!(t.take_committable(), vec![(0, 8)]);
    }

    #[test]
    fn never_finished_record_blocks_commit() {
        // An oversize record without a dead-letter topic is never finished:
        // nothing at or after it may be committed.
        let mut t = OffsetTracker::new();
        let a = t.begin(0, 0);
        let _stuck = t.begin(0, 1);
        let c = t.begin(0, 2);
        t.done(a);
        t.done(c);
        assert_eq!(t.take_committable(), vec![(0, 1)]);
        assert_eq!(t.in_flight(), 1);
        assert_eq!(t.pending(), 2);
    }

    #[test]
    fn unknown_offsets_are_rejected() {
        let mut t = OffsetTracker::new();
        let a = t.begin(0, 0);
        assert!(!t.done(InputPos { offset: 5, ..a }));
        assert!(t.done(a));
        assert!(!t.done(a), "already committable");
    }
}

use cairn_primitives::{Header, next_base_fee};

use crate::ConsensusError;

fn field(
    number: u64,
    field: &'static str,
    got: impl ToString,
    expected: impl ToString,
) -> ConsensusError {
    ConsensusError::Field { number, field, got: got.to_string(), expected: expected.to_string() }
}

/// The time of a block built on `parent` when the builder's clock reads `now_ms`: the clock,
/// or one millisecond after the parent if the clock has not passed it (blocks made faster than
/// the clock ticks, or a clock that stepped back). Seconds follow from it.
pub fn child_timestamp_ms(parent: &Header, now_ms: u64) -> u64 {
    now_ms.max(parent.timestamp_ms.saturating_add(1))
}

/// Refuses a header whose time runs more than `max_drift_ms` ahead of `now_ms`, the checking
/// node's clock. Not part of [`validate_parent_link`], which must give every node the same
/// answer forever: the clock is checked where a block is first judged (a validator weighing a
/// proposal, `cairn verify` against its own clock, which an honest block never ran ahead of).
pub fn validate_clock(
    header: &Header,
    now_ms: u64,
    max_drift_ms: u64,
) -> Result<(), ConsensusError> {
    let latest = now_ms.saturating_add(max_drift_ms);
    if header.timestamp_ms > latest {
        return Err(field(
            header.number,
            "timestamp_ms",
            header.timestamp_ms,
            format!("<= {latest} (the clock {now_ms} plus the allowed drift of {max_drift_ms} ms)"),
        ));
    }
    Ok(())
}

/// Rules every engine shares: the hash link, height, time order, gas and the EIP-1559 base fee.
/// Time: milliseconds strictly increase, and `timestamp` is their whole seconds, so seconds
/// never decrease but may repeat (blocks faster than one a second).
pub fn validate_parent_link(parent: &Header, header: &Header) -> Result<(), ConsensusError> {
    let number = header.number;
    if header.parent_hash != parent.hash() {
        return Err(ConsensusError::ParentHash {
            got: header.parent_hash,
            expected: parent.hash(),
            parent_number: parent.number,
        });
    }
    if number != parent.number + 1 {
        return Err(field(number, "number", number, parent.number + 1));
    }
    if header.timestamp_ms <= parent.timestamp_ms {
        return Err(field(
            number,
            "timestamp_ms",
            header.timestamp_ms,
            format!("> {} (the parent's)", parent.timestamp_ms),
        ));
    }
    if header.timestamp != header.timestamp_ms / 1000 {
        return Err(field(
            number,
            "timestamp",
            header.timestamp,
            format!("{} (timestamp_ms / 1000)", header.timestamp_ms / 1000),
        ));
    }
    if header.gas_limit != parent.gas_limit {
        return Err(field(number, "gas limit", header.gas_limit, parent.gas_limit));
    }
    if header.gas_used > header.gas_limit {
        return Err(field(number, "gas used", header.gas_used, format!("<= {}", header.gas_limit)));
    }
    let base_fee = next_base_fee(parent);
    if header.base_fee != base_fee {
        return Err(field(number, "base fee", header.base_fee, base_fee));
    }
    if header.extra_data.len() > 32 {
        return Err(field(number, "extra data length", header.extra_data.len(), "<= 32"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn child(parent: &Header) -> Header {
        Header {
            parent_hash: parent.hash(),
            number: parent.number + 1,
            timestamp: (parent.timestamp_ms + 400) / 1000,
            timestamp_ms: parent.timestamp_ms + 400,
            gas_limit: parent.gas_limit,
            base_fee: next_base_fee(parent),
            ..Default::default()
        }
    }

    #[test]
    fn accepts_a_proper_child_and_names_each_broken_rule() {
        let parent = Header {
            timestamp: 1_700_000_000,
            timestamp_ms: 1_700_000_000_800,
            gas_limit: 30_000_000,
            base_fee: 1_000_000_000,
            ..Default::default()
        };
        assert_eq!(validate_parent_link(&parent, &child(&parent)), Ok(()));

        let mut bad = child(&parent);
        bad.parent_hash = Default::default();
        assert!(matches!(
            validate_parent_link(&parent, &bad),
            Err(ConsensusError::ParentHash { .. })
        ));

        for (name, mutate) in [
            ("number", (|h: &mut Header| h.number += 1) as fn(&mut Header)),
            ("base fee", |h| h.base_fee += 1),
            ("gas limit", |h| h.gas_limit += 1),
            ("gas used", |h| h.gas_used = h.gas_limit + 1),
            ("extra data length", |h| h.extra_data = vec![0u8; 33].into()),
            ("timestamp", |h| h.timestamp -= 1),
            ("timestamp", |h| h.timestamp += 1),
            ("timestamp_ms", |h| {
                h.timestamp_ms -= 400;
                h.timestamp = h.timestamp_ms / 1000;
            }),
            ("timestamp_ms", |h| {
                h.timestamp_ms -= 401;
                h.timestamp = h.timestamp_ms / 1000;
            }),
        ] {
            let mut bad = child(&parent);
            mutate(&mut bad);
            match validate_parent_link(&parent, &bad) {
                Err(ConsensusError::Field { field, .. }) => assert_eq!(field, name),
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    #[test]
    fn blocks_within_one_second_share_it_and_keep_their_order() {
        let parent = Header {
            timestamp: 1_700_000_000,
            timestamp_ms: 1_700_000_000_800,
            gas_limit: 30_000_000,
            base_fee: 1_000_000_000,
            ..Default::default()
        };
        let mut same_second = child(&parent);
        same_second.timestamp_ms = parent.timestamp_ms + 1;
        same_second.timestamp = same_second.timestamp_ms / 1000;
        assert_eq!(same_second.timestamp, parent.timestamp);
        assert_eq!(validate_parent_link(&parent, &same_second), Ok(()));
    }

    #[test]
    fn a_child_is_timed_by_the_clock_or_just_after_its_parent() {
        let parent = Header { timestamp_ms: 5_000, ..Default::default() };
        assert_eq!(child_timestamp_ms(&parent, 7_250), 7_250);
        assert_eq!(child_timestamp_ms(&parent, 5_000), 5_001);
        assert_eq!(child_timestamp_ms(&parent, 1_000), 5_001);
    }

    #[test]
    fn the_clock_check_allows_the_drift_and_no_more() {
        let header = Header { number: 3, timestamp_ms: 20_000, ..Default::default() };
        assert_eq!(validate_clock(&header, 5_000, 15_000), Ok(()));
        match validate_clock(&header, 4_999, 15_000) {
            Err(ConsensusError::Field { field, .. }) => assert_eq!(field, "timestamp_ms"),
            other => panic!("{other:?}"),
        }
    }
}

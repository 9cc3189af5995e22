use alloy_primitives::U256;
use cairn_primitives::{Block, Header, next_base_fee};

use crate::{ConsensusError, ValidatorSets};

/// The most extra data a header may carry, in bytes (Ethereum's limit).
pub const MAX_EXTRA_DATA: usize = 32;

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
        return Err(ConsensusError::ClockDrift {
            number: header.number,
            got: header.timestamp_ms,
            latest,
            now_ms,
            max_drift_ms,
        });
    }
    Ok(())
}

/// Rules every engine shares: the hash link, height, time order, gas, the EIP-1559 base fee,
/// and a difficulty exactly where the parent has one.
/// Time: milliseconds strictly increase, and `timestamp` is their whole seconds, so seconds
/// never decrease but may repeat (blocks faster than one a second). `gas_limit` is the limit
/// the child must carry, as [`crate::ValidatorSets::gas_limit_after`] decides it (the parent's
/// on chains that do not govern it).
pub fn validate_parent_link(
    parent: &Header,
    header: &Header,
    gas_limit: u64,
) -> Result<(), ConsensusError> {
    let number = header.number;
    if header.parent_hash != parent.hash() {
        return Err(ConsensusError::ParentHash {
            got: header.parent_hash,
            expected: parent.hash(),
            parent_number: parent.number,
        });
    }
    if number != parent.number + 1 {
        return Err(ConsensusError::Number { got: number, expected: parent.number + 1 });
    }
    if header.timestamp_ms <= parent.timestamp_ms {
        return Err(ConsensusError::TimestampOrder {
            number,
            got: header.timestamp_ms,
            parent: parent.timestamp_ms,
        });
    }
    if header.timestamp != header.timestamp_ms / 1000 {
        return Err(ConsensusError::TimestampSeconds {
            number,
            got: header.timestamp,
            expected: header.timestamp_ms / 1000,
        });
    }
    if header.gas_limit != gas_limit {
        return Err(ConsensusError::GasLimit {
            number,
            got: header.gas_limit,
            expected: gas_limit,
        });
    }
    if header.gas_used > header.gas_limit {
        return Err(ConsensusError::GasUsed {
            number,
            used: header.gas_used,
            limit: header.gas_limit,
        });
    }
    let base_fee = next_base_fee(parent);
    if header.base_fee != base_fee {
        return Err(ConsensusError::BaseFee { number, got: header.base_fee, expected: base_fee });
    }
    if header.extra_data.len() > MAX_EXTRA_DATA {
        return Err(ConsensusError::ExtraData {
            number,
            len: header.extra_data.len(),
            max: MAX_EXTRA_DATA,
        });
    }
    // Work is carried from genesis on by every block of a proof-of-work chain and by none
    // elsewhere; its amount is the engine's rule.
    if header.difficulty.is_some() != parent.difficulty.is_some() {
        return Err(ConsensusError::Difficulty {
            number,
            got: header.difficulty,
            expected: parent.difficulty.map(|_| U256::ZERO),
        });
    }
    Ok(())
}

/// The rule of engines whose validator set changes (proof of stake, governed chains): the
/// header carries commitments and commits to the set that decides its own height, so a
/// light client can follow the sets from header to header.
pub fn validate_validators_hash(
    sets: &dyn ValidatorSets,
    header: &Header,
) -> Result<(), ConsensusError> {
    let number = header.number;
    let commitments =
        header.commitments.as_ref().ok_or(ConsensusError::MissingCommitments { number })?;
    let expected = sets.set_at(number)?.hash();
    if commitments.validators_hash != expected {
        return Err(ConsensusError::ValidatorsHash {
            number,
            got: commitments.validators_hash,
            expected,
        });
    }
    Ok(())
}

/// The block rule of engines without protocol calls (dev, BFT): their headers commit to no
/// validator set and their bodies carry no consensus data, so a block carries no bytes that no
/// rule reads. Their [`crate::BlockEndRules::import`] runs it, before anyone votes.
pub fn refuse_consensus_data(block: &Block) -> Result<(), ConsensusError> {
    let number = block.header.number;
    if block.header.commitments.is_some() {
        return Err(ConsensusError::UnexpectedCommitments { number });
    }
    if block.consensus.is_some() {
        return Err(ConsensusError::UnexpectedConsensusData { number });
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
    fn blocks_without_protocol_calls_carry_no_commitments_or_consensus_data() {
        let header = Header { number: 4, ..Default::default() };
        let block = Block { header: header.clone(), transactions: Vec::new(), consensus: None };
        assert!(refuse_consensus_data(&block).is_ok());
        let committed = Block {
            header: Header { commitments: Some(Default::default()), ..header },
            ..block.clone()
        };
        assert!(matches!(
            refuse_consensus_data(&committed),
            Err(ConsensusError::UnexpectedCommitments { number: 4 })
        ));
        let carrying = Block { consensus: Some(Default::default()), ..block };
        assert!(matches!(
            refuse_consensus_data(&carrying),
            Err(ConsensusError::UnexpectedConsensusData { number: 4 })
        ));
    }

    #[test]
    fn a_header_must_commit_to_the_set_of_its_height() {
        use std::sync::Arc;

        use cairn_primitives::{ConsensusCommitments, SetMember, ValidatorSetRecord};

        let member =
            SetMember { address: Default::default(), public_key: Default::default(), power: 1 };
        let set = ValidatorSetRecord { epoch: 0, first_height: 1, members: vec![member] };
        struct Fixed(Arc<ValidatorSetRecord>);
        impl ValidatorSets for Fixed {
            fn set_at(&self, _height: u64) -> Result<Arc<ValidatorSetRecord>, ConsensusError> {
                Ok(self.0.clone())
            }
        }
        let sets = Fixed(Arc::new(set.clone()));
        let header = Header { number: 3, ..Default::default() };
        assert!(matches!(
            validate_validators_hash(&sets, &header),
            Err(ConsensusError::MissingCommitments { number: 3 })
        ));
        let commitments =
            ConsensusCommitments { validators_hash: set.hash(), ..Default::default() };
        let good = Header { commitments: Some(commitments.clone()), ..header.clone() };
        assert!(validate_validators_hash(&sets, &good).is_ok());
        let forged = ConsensusCommitments { validators_hash: Default::default(), ..commitments };
        let bad = Header { commitments: Some(forged), ..header };
        assert!(matches!(
            validate_validators_hash(&sets, &bad),
            Err(ConsensusError::ValidatorsHash { number: 3, got, expected })
                if got.is_zero() && expected == set.hash()
        ));
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
        assert!(validate_parent_link(&parent, &child(&parent), parent.gas_limit).is_ok());

        let mut bad = child(&parent);
        bad.parent_hash = Default::default();
        assert!(matches!(
            validate_parent_link(&parent, &bad, parent.gas_limit),
            Err(ConsensusError::ParentHash { got, parent_number: 0, .. }) if got.is_zero()
        ));

        let broken = |mutate: fn(&mut Header)| {
            let mut bad = child(&parent);
            mutate(&mut bad);
            validate_parent_link(&parent, &bad, parent.gas_limit).expect_err("refused")
        };
        let number = parent.number + 1;
        let ms = parent.timestamp_ms + 400;
        assert!(matches!(
            broken(|h| h.number += 1),
            ConsensusError::Number { got: 2, expected: 1 }
        ));
        assert!(matches!(
            broken(|h| h.base_fee += 1),
            ConsensusError::BaseFee { number: 1, got: 875_000_001, expected: 875_000_000 }
        ));
        assert!(matches!(
            broken(|h| h.gas_limit += 1),
            ConsensusError::GasLimit { number: 1, got: 30_000_001, expected: 30_000_000 }
        ));
        assert!(matches!(
            broken(|h| h.gas_used = h.gas_limit + 1),
            ConsensusError::GasUsed { number: 1, used: 30_000_001, limit: 30_000_000 }
        ));
        assert!(matches!(
            broken(|h| h.extra_data = vec![0u8; 33].into()),
            ConsensusError::ExtraData { number: 1, len: 33, max: 32 }
        ));
        for mutate in [(|h: &mut Header| h.timestamp -= 1) as fn(&mut Header), |h| h.timestamp += 1]
        {
            match broken(mutate) {
                ConsensusError::TimestampSeconds { number: n, expected, .. } => {
                    assert_eq!((n, expected), (number, ms / 1000));
                }
                other => panic!("{other:?}"),
            }
        }
        for back in [400, 401] {
            let mut bad = child(&parent);
            bad.timestamp_ms -= back;
            bad.timestamp = bad.timestamp_ms / 1000;
            match validate_parent_link(&parent, &bad, parent.gas_limit) {
                Err(ConsensusError::TimestampOrder { number: n, got, parent: p }) => {
                    assert_eq!((n, got, p), (number, ms - back, parent.timestamp_ms));
                }
                other => panic!("{back}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_gas_limit_is_the_one_decided_for_the_child_not_the_parents() {
        let parent = Header { timestamp_ms: 5_000, gas_limit: 30_000_000, ..Default::default() };
        let mut raised = child(&parent);
        raised.gas_limit = 60_000_000;
        assert!(validate_parent_link(&parent, &raised, 60_000_000).is_ok());
        assert!(matches!(
            validate_parent_link(&parent, &child(&parent), 60_000_000),
            Err(ConsensusError::GasLimit { number: 1, got: 30_000_000, expected: 60_000_000 })
        ));
        raised.gas_used = 45_000_000;
        assert!(validate_parent_link(&parent, &raised, 60_000_000).is_ok());
        assert!(matches!(
            validate_parent_link(&parent, &raised, 30_000_000),
            Err(ConsensusError::GasLimit { number: 1, got: 60_000_000, expected: 30_000_000 })
        ));
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
        assert!(validate_parent_link(&parent, &same_second, parent.gas_limit).is_ok());
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
        assert!(validate_clock(&header, 5_000, 15_000).is_ok());
        let refused = validate_clock(&header, 4_999, 15_000).expect_err("refused");
        assert!(matches!(
            refused,
            ConsensusError::ClockDrift {
                number: 3,
                got: 20_000,
                latest: 19_999,
                now_ms: 4_999,
                max_drift_ms: 15_000
            }
        ));
        assert!(
            refused.to_string().contains("timestamp_ms")
                && refused.to_string().contains("allowed drift")
        );
    }
}

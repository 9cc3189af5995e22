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

/// Rules every engine shares: the hash link, height, time order, gas and the EIP-1559 base fee.
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
    if header.timestamp < parent.timestamp {
        return Err(field(
            number,
            "timestamp",
            header.timestamp,
            format!(">= {}", parent.timestamp),
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
            timestamp: parent.timestamp + 1,
            gas_limit: parent.gas_limit,
            base_fee: next_base_fee(parent),
            ..Default::default()
        }
    }

    #[test]
    fn accepts_a_proper_child_and_names_each_broken_rule() {
        let parent =
            Header { gas_limit: 30_000_000, base_fee: 1_000_000_000, ..Default::default() };
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
        ] {
            let mut bad = child(&parent);
            mutate(&mut bad);
            match validate_parent_link(&parent, &bad) {
                Err(ConsensusError::Field { field, .. }) => assert_eq!(field, name),
                other => panic!("{name}: {other:?}"),
            }
        }
    }
}

//! `cairn gov`'s arguments as the contract takes them: peer ids as multihash bytes, parameter
//! names as their numbers, switch values as 0 or 1, statuses by name.

use std::str::FromStr;

use alloy_primitives::{Bytes, hex};
use anyhow::{Context, bail};
use cairn_governance::{Parameter, ProposalStatus};
use cairn_network::PeerId;

/// A libp2p peer id, base58 as `cairn testnet add-node` and the logs print it (`12D3KooW…`),
/// or its multihash bytes in 0x hex: the bytes the contract stores.
pub(crate) fn peer_id(text: &str) -> anyhow::Result<Bytes> {
    let id = match text.strip_prefix("0x") {
        Some(digits) => {
            let bytes = hex::decode(digits).context("not hex after 0x")?;
            PeerId::from_bytes(&bytes).context("the bytes are not a libp2p peer id")?
        }
        None => PeerId::from_str(text).context("not a base58 libp2p peer id (12D3KooW…)")?,
    };
    Ok(id.to_bytes().into())
}

/// A peer id the contract stores, as base58; bytes that are no peer id as 0x hex.
pub(crate) fn peer_id_text(bytes: &[u8]) -> String {
    PeerId::from_bytes(bytes).map_or_else(|_| hex::encode_prefixed(bytes), |id| id.to_base58())
}

/// The number `proposeParameter` takes for a governable parameter's name.
pub(crate) fn parameter(name: &str) -> anyhow::Result<u8> {
    named::<Parameter>(name, "governable parameter", Parameter::as_str).map(|(number, _)| number)
}

/// The values of one of the contract's numbered enumerations whose name is `text`, with its
/// number, or an error naming them all.
fn named<T: TryFrom<u8> + Copy>(
    text: &str,
    what: &str,
    name: fn(T) -> &'static str,
) -> anyhow::Result<(u8, T)> {
    let all: Vec<(u8, T)> =
        (0..=u8::MAX).map_while(|n| T::try_from(n).ok().map(|value| (n, value))).collect();
    match all.iter().find(|(_, value)| name(*value) == text) {
        Some(found) => Ok(*found),
        None => {
            let names: Vec<&str> = all.iter().map(|(_, value)| name(*value)).collect();
            bail!("no {what} {text:?}; they are {}", names.join(", "))
        }
    }
}

/// A parameter's value: a number, or for a permission switch also `on`/`off`, `true`/`false`.
pub(crate) fn value(text: &str) -> anyhow::Result<u64> {
    match text {
        "on" | "true" => Ok(1),
        "off" | "false" => Ok(0),
        number => number.parse().with_context(|| {
            format!("--value {number:?} is not a whole number (or on/off for a switch)")
        }),
    }
}

/// A proposal status by the name `cairn gov list` and the REST API show.
pub(crate) fn status(text: &str) -> anyhow::Result<ProposalStatus> {
    named(text, "proposal status", ProposalStatus::as_str).map(|(_, status)| status)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn peer_ids_become_the_bytes_the_contract_stores() {
        let id = cairn_network::Keypair::generate_ed25519().public().to_peer_id();
        let bytes = id.to_bytes();
        // An ed25519 key's id is the identity multihash of its 36-byte protobuf key.
        assert_eq!(&bytes[..2], [0x00, 0x24]);
        assert_eq!(peer_id(&id.to_base58()).unwrap().as_ref(), bytes);
        assert_eq!(peer_id(&hex::encode_prefixed(&bytes)).unwrap().as_ref(), bytes);
        assert_eq!(peer_id_text(&bytes), id.to_base58());
        assert_eq!(peer_id_text(&[0xff, 1]), "0xff01");
        for bad in ["", "12D3KooW", "0xzz", "0x0102", "not a peer id"] {
            assert!(peer_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn parameters_are_named_as_the_rest_api_names_them() {
        assert_eq!(parameter("gas_limit").unwrap(), 0);
        assert_eq!(parameter("block_time_ms").unwrap(), 1);
        assert_eq!(parameter("epoch_length").unwrap(), 2);
        assert_eq!(parameter("voting_period_blocks").unwrap(), 3);
        assert_eq!(parameter("permission_accounts").unwrap(), 4);
        assert_eq!(parameter("permission_nodes").unwrap(), 5);
        assert_eq!(parameter("permission_deployers").unwrap(), 6);
        let unknown = parameter("gas").unwrap_err().to_string();
        assert!(unknown.contains("gas_limit, block_time_ms, epoch_length"), "{unknown}");
    }

    #[test]
    fn values_are_numbers_or_switches() {
        assert_eq!(value("30000000").unwrap(), 30_000_000);
        assert_eq!((value("on").unwrap(), value("off").unwrap()), (1, 0));
        assert_eq!((value("true").unwrap(), value("false").unwrap()), (1, 0));
        for bad in ["", "-1", "1.5", "yes", "18446744073709551616"] {
            assert!(value(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn statuses_parse_by_name() {
        assert_eq!(status("executed").unwrap(), ProposalStatus::Executed);
        assert_eq!(status("open").unwrap(), ProposalStatus::Open);
        assert!(status("closed").unwrap_err().to_string().contains("open, passed, rejected"));
    }
}

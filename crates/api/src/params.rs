//! Parsing what several routes take: addresses and event filters.

use alloy_primitives::{Address, B256};
use alloy_rpc_types_eth::Filter;

use crate::error::ApiError;

/// An address path segment: `0x` and 40 hex digits.
pub(crate) fn parse_address(address: &str) -> Result<Address, ApiError> {
    if address.len() == 42
        && address.starts_with("0x")
        && let Ok(address) = address.parse()
    {
        return Ok(address);
    }
    Err(ApiError::InvalidPath(format!(
        "address must be 0x followed by 40 hex digits, got {:?}",
        address.chars().take(80).collect::<String>()
    )))
}

/// An event filter: one contract and up to four topics, each optional.
#[derive(Debug, Clone, Default)]
pub(crate) struct EventFilter {
    pub(crate) address: Option<Address>,
    pub(crate) topics: [Option<B256>; 4],
}

impl EventFilter {
    /// Parses the `address` and `topic0`..`topic3` query values.
    pub(crate) fn parse(
        address: Option<&str>,
        topics: [Option<&str>; 4],
    ) -> Result<Self, ApiError> {
        let address = address
            .map(|a| {
                parse_address(a).map_err(|_| {
                    ApiError::InvalidQuery(format!(
                        "address must be 0x followed by 40 hex digits, got {:?}",
                        a.chars().take(80).collect::<String>()
                    ))
                })
            })
            .transpose()?;
        let mut parsed = [None; 4];
        for (i, topic) in topics.into_iter().enumerate() {
            parsed[i] = topic
                .map(|t| {
                    if t.len() == 66
                        && t.starts_with("0x")
                        && let Ok(topic) = t.parse::<B256>()
                    {
                        return Ok(topic);
                    }
                    Err(ApiError::InvalidQuery(format!(
                        "topic{i} must be 0x followed by 64 hex digits, got {:?}",
                        t.chars().take(80).collect::<String>()
                    )))
                })
                .transpose()?;
        }
        Ok(Self { address, topics: parsed })
    }

    /// The same filter as the JSON-RPC uses, so both select logs alike.
    pub(crate) fn to_filter(&self) -> Filter {
        let mut filter = Filter::new();
        if let Some(address) = self.address {
            filter = filter.address(address);
        }
        let [t0, t1, t2, t3] = self.topics;
        if let Some(t) = t0 {
            filter = filter.event_signature(t);
        }
        if let Some(t) = t1 {
            filter = filter.topic1(t);
        }
        if let Some(t) = t2 {
            filter = filter.topic2(t);
        }
        if let Some(t) = t3 {
            filter = filter.topic3(t);
        }
        filter
    }

    /// The filter as query parameters, for links.
    pub(crate) fn query(&self) -> String {
        let mut query = String::new();
        if let Some(address) = self.address {
            query.push_str(&format!("&address={address}"));
        }
        for (i, topic) in self.topics.iter().enumerate() {
            if let Some(topic) = topic {
                query.push_str(&format!("&topic{i}={topic}"));
            }
        }
        query
    }
}

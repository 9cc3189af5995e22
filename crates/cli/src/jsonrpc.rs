//! JSON-RPC 2.0 over HTTP with reqwest: single calls and batches, as any Ethereum node serves.
//! Shared by `cairn bench`, `cairn staking` and `cairn gov`.

use std::fmt;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};

/// How long one HTTP request may take; a node that takes longer is reported, not waited for.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// One JSON-RPC endpoint reached over HTTP.
#[derive(Debug, Clone)]
pub(crate) struct Rpc {
    client: reqwest::Client,
    url: String,
}

impl Rpc {
    /// A client for `url`; one connection pool per endpoint, reused by every request.
    pub(crate) fn new(url: &str) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder().timeout(REQUEST_TIMEOUT).build()?;
        Ok(Self { client, url: url.to_string() })
    }

    /// The endpoint's address.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Calls `method` and returns its result, or the node's error message as an error.
    pub(crate) async fn call(&self, method: &str, params: Value) -> anyhow::Result<Value> {
        self.try_call(method, params)
            .await?
            .map_err(|failure| anyhow::anyhow!("{method} on {}: {failure}", self.url))
    }

    /// Calls `method`; the outer error is a transport failure, the inner one the node's error
    /// object, whose `data` carries what a caller may decode (an `eth_call`'s revert data).
    pub(crate) async fn try_call(
        &self,
        method: &str,
        params: Value,
    ) -> anyhow::Result<Result<Value, RpcFailure>> {
        let body = json!({ "jsonrpc": "2.0", "id": 0, "method": method, "params": params });
        Ok(outcome(self.post(&body).await?))
    }

    /// Sends `calls` as one batch and returns each call's result or error message, in order.
    pub(crate) async fn batch(
        &self,
        calls: impl IntoIterator<Item = (&str, Value)>,
    ) -> anyhow::Result<Vec<Result<Value, String>>> {
        let body: Vec<Value> = calls
            .into_iter()
            .enumerate()
            .map(|(id, (method, params))| {
                json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })
            })
            .collect();
        let count = body.len();
        let reply = self.post(&Value::Array(body)).await?;
        let Value::Array(items) = reply else {
            bail!("{} answered a batch of {count} with {reply}", self.url);
        };
        let mut results = vec![Err("no answer in the batch".to_string()); count];
        for item in items {
            let slot = item
                .get("id")
                .and_then(Value::as_u64)
                .and_then(|id| usize::try_from(id).ok().and_then(|id| results.get_mut(id)));
            if let Some(slot) = slot {
                *slot = outcome(item).map_err(|failure| failure.message);
            }
        }
        Ok(results)
    }

    async fn post(&self, body: &Value) -> anyhow::Result<Value> {
        let response = self
            .client
            .post(&self.url)
            .json(body)
            .send()
            .await
            .with_context(|| format!("cannot reach {}", self.url))?;
        let status = response.status();
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            bail!("{} answered HTTP {status}: {text}", self.url);
        }
        response.json().await.with_context(|| format!("{} answered with invalid JSON", self.url))
    }
}

/// A JSON-RPC error object as the node sent it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RpcFailure {
    /// The error code (3 is a revert, as geth answers).
    pub(crate) code: i64,
    /// The node's message.
    pub(crate) message: String,
    /// Extra data, if any (a revert's data as a hex string).
    pub(crate) data: Option<Value>,
}

impl fmt::Display for RpcFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The result of one JSON-RPC response object, or its error object.
fn outcome(mut item: Value) -> Result<Value, RpcFailure> {
    if let Some(error) = item.get("error") {
        let message = error.get("message").and_then(Value::as_str);
        return Err(RpcFailure {
            code: error.get("code").and_then(Value::as_i64).unwrap_or(0),
            message: message.map_or_else(|| error.to_string(), str::to_string),
            data: error.get("data").cloned().filter(|data| !data.is_null()),
        });
    }
    Ok(item.get_mut("result").map(Value::take).unwrap_or(Value::Null))
}

/// A JSON-RPC quantity (`"0x1a"`) as a number.
pub(crate) fn quantity(value: &Value) -> anyhow::Result<u64> {
    let text = value.as_str().with_context(|| format!("expected a quantity, got {value}"))?;
    let digits = text.strip_prefix("0x").with_context(|| format!("not a quantity: {text}"))?;
    u64::from_str_radix(digits, 16).with_context(|| format!("not a quantity: {text}"))
}

/// A number as a JSON-RPC quantity.
pub(crate) fn hex_quantity(number: u64) -> String {
    format!("{number:#x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_round_trip() {
        assert_eq!(quantity(&json!(hex_quantity(0))).unwrap_or(1), 0);
        assert_eq!(quantity(&json!(hex_quantity(0x1a2b))).unwrap_or(0), 0x1a2b);
        assert!(quantity(&json!("12")).is_err());
        assert!(quantity(&json!(12)).is_err());
    }

    #[test]
    fn outcome_separates_results_from_errors() {
        assert_eq!(outcome(json!({ "id": 1, "result": "0x1" })), Ok(json!("0x1")));
        assert_eq!(
            outcome(json!({ "id": 1, "error": { "code": -32000, "message": "nonce too low" } })),
            Err(RpcFailure { code: -32000, message: "nonce too low".to_string(), data: None })
        );
        let reverted = outcome(json!({ "id": 1, "error": {
            "code": 3, "message": "execution reverted", "data": "0x1234" } }));
        assert_eq!(reverted.map_err(|failure| failure.data), Err(Some(json!("0x1234"))));
    }
}

use serde_json::{Value, json};

/// One JSON-RPC call over HTTP: the whole answer (`result` or `error`).
pub async fn rpc(http: &reqwest::Client, url: &str, method: &str, params: Value) -> Value {
    let request = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let response = http
        .post(url)
        .header("content-type", "application/json")
        .body(request.to_string())
        .send()
        .await
        .unwrap();
    serde_json::from_str(&response.text().await.unwrap()).unwrap()
}

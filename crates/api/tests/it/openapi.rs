//! The served OpenAPI document: version, every route, and problems documented.

use serde_json::Value;

use crate::harness;

/// Every route and method the API serves, besides the document itself and `/docs`.
const ROUTES: [(&str, &str); 14] = [
    ("/v1/status", "get"),
    ("/v1/blocks", "get"),
    ("/v1/blocks/{id}", "get"),
    ("/v1/blocks/{id}/transactions", "get"),
    ("/v1/transactions", "post"),
    ("/v1/transactions/{hash}", "get"),
    ("/v1/accounts/{address}", "get"),
    ("/v1/accounts/{address}/proof", "get"),
    ("/v1/accounts/{address}/transactions", "get"),
    ("/v1/events", "get"),
    ("/v1/mempool", "get"),
    ("/v1/audit", "post"),
    ("/v1/audit/{id}", "get"),
    ("/v1/stream", "get"),
];

#[tokio::test]
async fn the_document_is_openapi_3_1_and_lists_every_route() {
    let h = harness().await;
    let doc = h.get_json("/v1/openapi.json").await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc, serde_json::to_value(cairn_api::openapi()).unwrap());

    let paths = doc["paths"].as_object().unwrap();
    let mut documented: Vec<(String, String)> = paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object().unwrap().keys().map(move |method| (path.clone(), method.clone()))
        })
        .collect();
    documented.sort();
    let mut expected: Vec<(String, String)> =
        ROUTES.iter().map(|(p, m)| (p.to_string(), m.to_string())).collect();
    expected.sort();
    assert_eq!(documented, expected);

    for (path, method) in ROUTES {
        let operation = &doc["paths"][path][method];
        let responses = operation["responses"].as_object().unwrap();
        assert!(responses.keys().any(|s| s.starts_with('2')), "{method} {path}: no success");
        for (status, response) in responses {
            if status == "101" {
                assert!(response["description"].is_string(), "{path}: 101 undocumented");
                continue;
            }
            let content = response["content"].as_object().unwrap();
            let schema = if status.starts_with('2') {
                let media =
                    if path == "/v1/stream" { "text/event-stream" } else { "application/json" };
                &content[media]["schema"]
            } else {
                &content["application/problem+json"]["schema"]
            };
            let reference = schema["$ref"].as_str().unwrap();
            let name = reference.strip_prefix("#/components/schemas/").unwrap();
            assert!(doc["components"]["schemas"][name].is_object(), "{reference} undefined");
        }
        for parameter in operation["parameters"].as_array().unwrap_or(&Vec::new()) {
            let name = parameter["name"].as_str().unwrap();
            assert!(parameter["description"].is_string(), "{method} {path}: {name} undocumented");
            if parameter["in"] == "path" {
                assert!(path.contains(&format!("{{{name}}}")), "{path} lacks {name}");
                assert!(parameter["schema"]["pattern"].is_string(), "{path}: {name} unbounded");
            }
        }
    }
    let problem = &doc["components"]["schemas"]["Problem"];
    let required: Vec<&Value> = problem["required"].as_array().unwrap().iter().collect();
    for field in ["type", "title", "status", "detail", "code"] {
        assert!(required.contains(&&Value::from(field)), "Problem.{field} not required");
    }
    h.stop().await;
}

#[tokio::test]
async fn docs_page_embeds_the_document() {
    let h = harness().await;
    let reply = h.get("/docs").await;
    assert_eq!(reply.status, 200);
    assert!(reply.header("content-type").unwrap().starts_with("text/html"));
    assert!(reply.body.contains("\"/v1/blocks/{id}\""));
    h.stop().await;
}

//! The served OpenAPI document: version, every route, and problems documented.

use serde_json::Value;

use crate::harness;

/// Every route and method the API serves, besides the document itself and `/docs`.
const ROUTES: [(&str, &str); 28] = [
    ("/v1/status", "get"),
    ("/v1/fees", "get"),
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
    ("/v1/validators", "get"),
    ("/v1/staking/delegations/{address}", "get"),
    ("/v1/governance/organisations", "get"),
    ("/v1/governance/proposals", "get"),
    ("/v1/governance/proposals/{id}", "get"),
    ("/v1/governance/permissions/{address}", "get"),
    ("/v1/peers", "get"),
    ("/v1/webhooks", "post"),
    ("/v1/webhooks", "get"),
    ("/v1/webhooks/{id}", "get"),
    ("/v1/webhooks/{id}", "delete"),
    ("/v1/webhooks/{id}/deliveries", "get"),
    ("/v1/webhooks/{id}/deliveries/{delivery}/replay", "post"),
];

#[tokio::test]
async fn the_document_is_openapi_3_1_and_lists_every_route() {
    let h = harness().await;
    let doc = h.get_json("/v1/openapi.json").await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc, serde_json::to_value(cairn_api::openapi()).unwrap());

    let paths = doc["paths"].as_object().unwrap();
    let paths: serde_json::Map<String, Value> = paths
        .iter()
        .filter(|(p, _)| p.starts_with("/v1/"))
        .map(|(p, i)| (p.clone(), i.clone()))
        .collect();
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
async fn operations_routes_security_and_limits_are_documented() {
    let h = harness().await;
    let doc = h.get_json("/v1/openapi.json").await;
    for path in ["/metrics", "/health/live", "/health/ready"] {
        assert!(doc["paths"][path]["get"].is_object(), "{path} undocumented");
    }
    assert_eq!(
        doc["paths"]["/metrics"]["get"]["responses"]["200"]["content"]["text/plain"]["schema"]["type"],
        "string"
    );
    let ready = &doc["paths"]["/health/ready"]["get"]["responses"]["503"];
    assert_eq!(
        ready["content"]["application/problem+json"]["schema"]["$ref"],
        "#/components/schemas/Problem"
    );
    let scheme = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");

    let submit = &doc["paths"]["/v1/transactions"]["post"];
    assert_eq!(submit["security"], serde_json::json!([{ "bearer": ["tx:write"] }]));
    for status in ["401", "403", "429"] {
        let response = &submit["responses"][status];
        let schema = &response["content"]["application/problem+json"]["schema"]["$ref"];
        assert_eq!(schema, "#/components/schemas/Problem", "{status}");
    }
    assert!(submit["responses"]["403"]["headers"]["WWW-Authenticate"].is_object());
    for (path, method) in [("/v1/audit", "post"), ("/v1/audit/{id}", "get")] {
        let audit = &doc["paths"][path][method];
        assert_eq!(audit["security"], serde_json::json!([{ "bearer": ["audit:admin"] }]));
        assert!(audit["responses"]["403"].is_object());
    }
    assert!(submit["responses"]["429"]["headers"]["Retry-After"].is_object());

    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            assert!(responses.contains_key("401"), "{method} {path}: no 401");
            assert!(responses.contains_key("429"), "{method} {path}: no 429");
            for (status, response) in responses {
                for header in
                    ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "X-Request-Id"]
                {
                    assert!(
                        response["headers"][header].is_object(),
                        "{method} {path} {status}: no {header}"
                    );
                }
            }
            assert!(operation["security"].is_array(), "{method} {path}: no security");
        }
    }
    let status = &doc["paths"]["/v1/status"]["get"];
    assert_eq!(status["security"], serde_json::json!([{}, { "bearer": [] }]));
    assert!(status["responses"].get("403").is_none());
    h.stop().await;
}

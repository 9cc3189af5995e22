//! Audit jobs: started in the background, polled to the same result as `cairn verify`.

use serde_json::Value;

use crate::{Harness, harness, key, transfer};

/// Polls the job until it is no longer running.
async fn finished(h: &Harness, location: &str) -> Value {
    loop {
        let job = h.get_json(location).await;
        if job["state"] != "running" {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn an_audit_runs_in_the_background_and_reports_what_verify_reports() {
    let h = harness().await;
    for nonce in 0..4 {
        h.node.submit_raw(&transfer(nonce, key(1).address, 1)).unwrap();
        h.node.produce_block().unwrap();
    }
    h.node.produce_block().unwrap();

    let started = h.post("/v1/audit", "application/json", "").await;
    assert_eq!(started.status, 202, "{}", started.body);
    let job = started.json();
    let location = started.header("location").unwrap().to_string();
    assert_eq!(location, format!("/v1/audit/{}", job["id"].as_str().unwrap()));
    assert!(["running", "passed"].contains(&job["state"].as_str().unwrap()));

    let done = finished(&h, &location).await;
    let expected = h.node.verify(&mut |_| {}).unwrap();
    assert_eq!(done["state"], "passed", "{done}");
    assert_eq!(done["checked_blocks"], 5);
    assert_eq!(done["total_blocks"], 5);
    assert_eq!(done["report"]["height"], expected.height);
    assert_eq!(done["report"]["blocks"], expected.blocks);
    assert_eq!(done["report"]["transactions"], 4);
    assert_eq!(done["report"]["state_root"], expected.state_root.to_string());
    assert!(done["failure"].is_null());
    assert!(done["finished_at"].as_u64().unwrap() >= done["started_at"].as_u64().unwrap());

    let again = h.post("/v1/audit", "application/json", "").await;
    assert_eq!(again.status, 202, "a finished audit does not block the next");
    h.get("/v1/audit/999").await.problem(404, "audit_not_found");
    h.get("/v1/audit/not-a-job").await.problem(404, "audit_not_found");
    h.stop().await;
}

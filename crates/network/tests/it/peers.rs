//! What `peers()` reports, and the handle's own checks.

use std::time::{SystemTime, UNIX_EPOCH};

use cairn_network::{DEFAULT_MAX_TX_BYTES, NetworkError};

use crate::support::{config, node, tx, wait_disconnected, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peers_lists_connected_peers_until_they_leave() {
    let started = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_secs();
    let a = node(config(&[])).await;
    let b = node(config(&[&a])).await;
    wait_until("both sides identified each other", || async {
        let (at_a, at_b) = (a.peers().await, b.peers().await);
        at_a.len() == 1
            && at_b.len() == 1
            && at_a[0].agent.is_some()
            && at_b[0].agent.is_some()
            && at_a[0].subscribed
            && at_b[0].subscribed
    })
    .await;

    let at_b = &b.peers().await[0];
    assert_eq!(at_b.peer_id, a.id());
    assert_eq!(at_b.address, a.addr, "B dialled A's bootstrap address");
    assert!(at_b.agent.as_deref().is_some_and(|agent| agent.starts_with("cairn/")));
    assert!(at_b.connected_since_unix >= started);

    let at_a = &a.peers().await[0];
    assert_eq!(at_a.peer_id, b.id());
    assert!(at_a.connected_since_unix >= started);

    let gone = b.id();
    b.handle.shutdown().await;
    wait_disconnected(&a, gone).await;
    assert!(a.peers().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handle_refuses_oversized_txs_and_reports_a_stopped_network() {
    let a = node(config(&[])).await;
    let too_big = a.handle.broadcast_tx(tx(1, DEFAULT_MAX_TX_BYTES + 1));
    assert!(
        matches!(
            too_big,
            Err(NetworkError::TxTooLarge { size, max })
                if size == DEFAULT_MAX_TX_BYTES + 1 && max == DEFAULT_MAX_TX_BYTES
        ),
        "{too_big:?}"
    );
    a.handle.broadcast_tx(tx(2, 100)).expect("a tx without peers is accepted and simply not sent");

    let other = a.handle.clone();
    a.handle.shutdown().await;
    assert!(matches!(other.peers().await, Err(NetworkError::Stopped)));
    assert!(matches!(other.broadcast_tx(tx(3, 100)), Err(NetworkError::Stopped)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bootstrap_address_without_peer_id_is_refused() {
    let mut bad = config(&[]);
    bad.bootstrap = vec!["/ip4/127.0.0.1/tcp/9".parse().expect("valid multiaddr")];
    let err = cairn_network::start(bad).await.expect_err("rejected");
    assert!(matches!(err, NetworkError::InvalidConfig(_)), "{err}");
}

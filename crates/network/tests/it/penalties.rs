//! Oversized and rejected transactions are dropped and cost their sender its connection.

use cairn_network::{DEFAULT_MAX_TX_BYTES, Verdict};

use crate::support::{Node, config, node, tx, wait_disconnected, wait_subscribed};

/// An honest node and a peer connected to it that may send whatever the test wants.
async fn honest_and_sender(sender_max_tx_bytes: usize) -> (Node, Node) {
    let honest = node(config(&[])).await;
    let mut sender_config = config(&[&honest]);
    sender_config.max_tx_bytes = sender_max_tx_bytes;
    let sender = node(sender_config).await;
    wait_subscribed(&honest, &[sender.id()]).await;
    wait_subscribed(&sender, &[honest.id()]).await;
    (honest, sender)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_txs_are_dropped_and_their_sender_banned() {
    let (mut honest, sender) = honest_and_sender(4 * DEFAULT_MAX_TX_BYTES).await;

    // Just over the limit (dropped by the network task) and well over it (dropped by
    // gossipsub): each counts as an invalid message, and three get the sender banned.
    for (tag, len) in [
        (1, DEFAULT_MAX_TX_BYTES + 1),
        (2, DEFAULT_MAX_TX_BYTES + 2),
        (3, DEFAULT_MAX_TX_BYTES + 32 * 1024),
        (4, DEFAULT_MAX_TX_BYTES + 3),
    ] {
        sender.handle.broadcast_tx(tx(tag, len)).expect("queued");
    }
    wait_disconnected(&honest, sender.id()).await;
    assert!(honest.inbound.try_recv().is_err(), "no oversized transaction reached the node");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_whose_txs_are_rejected_is_disconnected() {
    let (mut honest, sender) = honest_and_sender(DEFAULT_MAX_TX_BYTES).await;
    for tag in 1..=3 {
        sender.handle.broadcast_tx(tx(tag, 100)).expect("queued");
    }
    for _ in 1..=3 {
        let got = honest.next_tx().await;
        assert_eq!(got.from, sender.id());
        honest
            .handle
            .validated(got.id, got.from, Verdict::Reject { reason: "bad signature".into() })
            .expect("network running");
    }
    wait_disconnected(&honest, sender.id()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignored_txs_do_not_count_against_their_sender() {
    let (mut honest, sender) = honest_and_sender(DEFAULT_MAX_TX_BYTES).await;
    for tag in 1..=5 {
        sender.handle.broadcast_tx(tx(tag, 100)).expect("queued");
        let got = honest.next_tx().await;
        assert_eq!(got.raw, tx(tag, 100), "still heard after {} ignored", tag - 1);
        honest.handle.validated(got.id, got.from, Verdict::Ignore).expect("network running");
    }
    assert!(honest.peers().await.iter().any(|p| p.peer_id == sender.id()), "still connected");
}

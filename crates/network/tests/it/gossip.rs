//! Transactions spread to every node, and only after validation.

use cairn_network::{InboundTx, Verdict};

use crate::support::{config, node, tx, wait_subscribed};

fn accept(node: &crate::support::Node, inbound: &InboundTx) {
    node.handle
        .validated(inbound.id.clone(), inbound.from, Verdict::Accept)
        .expect("network running");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_reaches_every_node() {
    let a = node(config(&[])).await;
    let mut b = node(config(&[&a])).await;
    let mut c = node(config(&[&a])).await;
    wait_subscribed(&a, &[b.id(), c.id()]).await;
    wait_subscribed(&b, &[a.id()]).await;
    wait_subscribed(&c, &[a.id()]).await;

    let raw = tx(1, 120);
    a.handle.broadcast_tx(raw.clone()).expect("queued");

    for receiver in [&mut b, &mut c] {
        let got = receiver.next_tx().await;
        assert_eq!(got.raw, raw);
        assert_eq!(got.from, a.id());
        assert_eq!(
            got.id.0,
            alloy_primitives::keccak256(&raw).to_vec(),
            "the message id is the transaction hash"
        );
        accept(receiver, &got);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_relays_only_what_the_middle_node_accepted() {
    let a = node(config(&[])).await;
    let mut b = node(config(&[&a])).await;
    let mut c = node(config(&[&b])).await;
    wait_subscribed(&b, &[a.id(), c.id()]).await;
    wait_subscribed(&a, &[b.id()]).await;
    wait_subscribed(&c, &[b.id()]).await;
    assert!(
        a.peers().await.iter().all(|p| p.peer_id != c.id()),
        "A and C are not connected: C can only hear A through B"
    );

    // B holds the first transaction without a verdict, then accepts the second: C must get
    // the second first, because an unvalidated message is never relayed.
    let (held, passed) = (tx(1, 100), tx(2, 100));
    a.handle.broadcast_tx(held.clone()).expect("queued");
    let held_at_b = b.next_tx().await;
    assert_eq!(held_at_b.raw, held);

    a.handle.broadcast_tx(passed.clone()).expect("queued");
    let passed_at_b = b.next_tx().await;
    assert_eq!(passed_at_b.raw, passed);
    accept(&b, &passed_at_b);

    let first_at_c = c.next_tx().await;
    assert_eq!(first_at_c.raw, passed, "C got only what B accepted");
    assert_eq!(first_at_c.from, b.id());
    accept(&c, &first_at_c);

    accept(&b, &held_at_b);
    let second_at_c = c.next_tx().await;
    assert_eq!(second_at_c.raw, held, "accepted late, relayed late");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kademlia_connects_nodes_that_only_know_the_first() {
    let mut first = config(&[]);
    first.kademlia = true;
    let a = node(first).await;
    let mut second = config(&[&a]);
    second.kademlia = true;
    let b = node(second).await;
    let mut third = config(&[&a]);
    third.kademlia = true;
    let c = node(third).await;

    // B and C were only told about A; Kademlia introduces them to each other.
    wait_subscribed(&b, &[a.id(), c.id()]).await;
    wait_subscribed(&c, &[a.id(), b.id()]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mdns_finds_a_peer_on_the_local_network() {
    // mDNS announces on real interfaces, never on loopback, so these nodes listen on all.
    let on_lan = || {
        let mut config = config(&[]);
        config.mdns = true;
        config.listen = "/ip4/0.0.0.0/tcp/0".parse().expect("valid multiaddr");
        config
    };
    let a = node(on_lan()).await;
    let b = node(on_lan()).await;

    // Neither was given a bootstrap peer.
    wait_subscribed(&a, &[b.id()]).await;
    wait_subscribed(&b, &[a.id()]).await;
}

use alloy_primitives::{Address, U256};
use cairn_node::audit::verify_chain;
use cairn_primitives::ChainSpec;
use cairn_storage::RedbKv;

use crate::support::{Chain, dev_roles, sign, transfer};

#[test]
fn a_restart_keeps_the_chain_and_forgets_the_pool() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.redb");
    let to = Address::repeat_byte(0x11);
    let (head, pooled) = {
        let chain = Chain::open(RedbKv::create(&path).unwrap());
        chain.submit(&sign(chain.key(0), transfer(0, to, 5))).unwrap();
        chain.mine();
        let pooled = chain.submit(&sign(chain.key(0), transfer(1, to, 5))).unwrap();
        (chain.node.head().unwrap(), pooled)
    };
    let chain = Chain::open(RedbKv::open(&path).unwrap());
    assert_eq!(chain.node.head().unwrap(), head);
    assert_eq!(chain.balance(to), U256::from(5));
    assert_eq!(chain.node.pending_count(), 0);
    chain.mine();
    assert!(chain.node.transaction(pooled).unwrap().is_none());
    chain.submit(&sign(chain.key(0), transfer(1, to, 5))).unwrap();
    chain.mine();
    assert_eq!(chain.balance(to), U256::from(10));
}

#[test]
fn unwinding_and_applying_another_branch_keeps_state_and_audit_in_agreement() {
    let chain = Chain::new();
    let to = Address::repeat_byte(0x12);
    for nonce in 0..3 {
        chain.submit(&sign(chain.key(0), transfer(nonce, to, 1))).unwrap();
        chain.mine();
    }
    let at_one = chain.node.block(1).unwrap().unwrap().header;
    chain.store().unwind_to(1).unwrap();
    assert_eq!(chain.node.head().unwrap(), at_one);
    assert_eq!(chain.balance(to), U256::from(1));
    assert_eq!(chain.nonce(chain.address(0)), 1);

    // Another branch: a different transfer at height 2.
    chain.submit(&sign(chain.key(0), transfer(1, to, 100))).unwrap();
    let branch = chain.mine();
    assert_eq!(branch.number, 2);
    assert_eq!(chain.balance(to), U256::from(101));
    let spec = ChainSpec::dev().unwrap();
    let report = verify_chain(&chain.store(), &spec, &dev_roles()).unwrap();
    assert_eq!(report.height, 2);
    assert_eq!(report.state_root, branch.state_root);
}

//! Kill -9 at random moments while a node commits a stream of transactions, then restart,
//! audit and carry on. The child is this same test binary running `crash_child`.

use alloy_primitives::Address;
use cairn_node::audit::verify_chain;
use cairn_primitives::ChainSpec;
use cairn_storage::{ChainStore, RedbKv};
use rand::{SeedableRng, rngs::StdRng};

use crate::support::{Chain, dev_roles, run_and_kill, sign, transfer};

const DIR_VAR: &str = "CAIRN_CRASH_DIR";

/// Runs a node that commits transfers until it is killed. Only meaningful as a child process.
#[test]
#[ignore = "run by kill_nine_at_random_points_then_restart_verify_and_continue"]
fn crash_child() {
    let Ok(dir) = std::env::var(DIR_VAR) else { return };
    let path = std::path::Path::new(&dir).join("chain.redb");
    let kv = if path.exists() { RedbKv::open(&path) } else { RedbKv::create(&path) };
    let chain = Chain::open(kv.unwrap());
    let to = Address::repeat_byte(0x13);
    loop {
        for sender in 0..10 {
            let nonce = chain.node.pending_nonce(chain.address(sender)).unwrap();
            chain.submit(&sign(chain.key(sender), transfer(nonce, to, 1))).unwrap();
        }
        chain.mine();
    }
}

#[test]
fn kill_nine_at_random_points_then_restart_verify_and_continue() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = StdRng::seed_from_u64(0xca1e);
    let spec = ChainSpec::dev().unwrap();
    let mut last_height = 0;
    for round in 0..6 {
        let Some(path) = run_and_kill("crash::crash_child", DIR_VAR, dir.path(), &mut rng) else {
            // Killed before it created the store: nothing was committed.
            continue;
        };
        let kv = RedbKv::open(&path).unwrap();
        let store = ChainStore::open(kv, &spec).unwrap();
        let report = verify_chain(&store, &spec, &dev_roles())
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert!(report.height >= last_height, "round {round}: lost committed blocks");
        last_height = report.height;
    }
    assert!(last_height > 0, "the child never committed a block");

    // The node carries on from where the last kill left it.
    let chain = Chain::open(RedbKv::open(&dir.path().join("chain.redb")).unwrap());
    let nonce = chain.node.pending_nonce(chain.address(0)).unwrap();
    chain.submit(&sign(chain.key(0), transfer(nonce, Address::repeat_byte(0x14), 1))).unwrap();
    assert_eq!(chain.mine().number, last_height + 1);
}

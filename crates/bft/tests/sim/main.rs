//! A deterministic, seeded simulation of the BFT adapter: Malachite's consensus core driven with
//! Cairn's context (proposer choice, votes, secp256k1 signatures, certificates and seals) for
//! many validators in one process, over a simulated clock and network that delays, drops and
//! reorders messages, partitions validators, crashes and restarts them, and lets one validator
//! double-sign.
//!
//! The validator set is either fixed or changes at every epoch boundary: a seeded schedule of
//! sets drawn from a pool of signers larger than any set (members added, removed, powers
//! changed), read through the node's `ValidatorSets` and converted by its
//! `ValidatorSchedule`. Each height starts with the set of that height, on a new height, after a
//! restart and after a sync alike, and every signer of the pool runs a core, following the
//! heights it does not validate as a full node does.
//!
//! Every run checks safety (no two validators ever decide different blocks at one height, and
//! every decision's certificate, encoded as a header seal, verifies against the set of its own
//! height) and progress (once the faults stop, every validator reaches the target height). A failure
//! prints the seed that reproduces it: `CAIRN_SIM_SEED=<seed> cargo test -p cairn-bft --test sim`.
//!
//! Value sync is modelled by handing a validator that fell behind the decided block and its
//! certificate (checked with the seal code) and restarting it at the next height, which is what
//! the node's driver does with Malachite's sync responses.

mod sets;
mod world;

use sets::Change;
use world::{Faults, Sets, World};

/// Randomized scenarios per fault mix; each is its own seed.
const SCENARIOS: u64 = 60;
/// Randomized scenarios per fault mix when sets change: each runs twice the heights of a fixed
/// set's scenario with up to seven cores, so fewer keep the suite's time in bounds.
const CHANGING_SCENARIOS: u64 = 40;

fn seeds(salt: u64) -> Vec<u64> {
    seeds_of(salt, SCENARIOS)
}

fn seeds_of(salt: u64, scenarios: u64) -> Vec<u64> {
    match std::env::var("CAIRN_SIM_SEED") {
        Ok(seed) => vec![seed.parse().expect("CAIRN_SIM_SEED is a number")],
        Err(_) => (0..scenarios).map(|i| salt * 1_000 + i).collect(),
    }
}

fn run(seed: u64, validators: usize, faults: Faults) -> World {
    run_with(seed, Sets::Fixed(validators), faults)
}

fn run_with(seed: u64, sets: Sets, faults: Faults) -> World {
    let mut world = World::new(seed, sets, faults);
    world.run();
    world
}

#[test]
fn a_reliable_network_decides_every_height_in_order() {
    for seed in seeds(1) {
        let world = run(seed, 4, Faults::none());
        assert!(world.evidence_seen() == 0, "seed {seed}: honest validators left evidence");
    }
}

#[test]
fn lost_delayed_and_reordered_messages_never_fork_and_progress_resumes() {
    for seed in seeds(2) {
        run(seed, 4, Faults { drop: 0.3, max_delay_ms: 400, ..Faults::none() });
        run(seed, 7, Faults { drop: 0.2, max_delay_ms: 250, ..Faults::none() });
    }
}

#[test]
fn partitions_halt_finality_without_forks_and_healing_resumes_it() {
    for seed in seeds(3) {
        run(seed, 4, Faults { partition: true, max_delay_ms: 100, ..Faults::none() });
    }
}

#[test]
fn crashed_and_restarted_validators_catch_up() {
    for seed in seeds(4) {
        run(seed, 4, Faults { crashes: 1, drop: 0.1, max_delay_ms: 150, ..Faults::none() });
        run(seed, 7, Faults { crashes: 2, drop: 0.1, max_delay_ms: 150, ..Faults::none() });
    }
}

#[test]
fn a_double_signing_validator_is_caught_and_cannot_fork_the_chain() {
    let mut caught = 0;
    let seeds = seeds(5);
    for &seed in &seeds {
        let world =
            run(seed, 4, Faults { double_signer: true, max_delay_ms: 100, ..Faults::none() });
        caught += usize::from(world.evidence_seen() > 0);
    }
    // The double signer sends its second vote to some peers at every step, so some honest
    // validator holds both before deciding in nearly every run.
    assert!(caught * 2 > seeds.len(), "evidence in only {caught} of {} runs", seeds.len());
}

#[test]
fn validator_sets_change_every_epoch_and_every_node_agrees() {
    let (mut added, mut removed, mut repowered) = (0, 0, 0);
    for seed in seeds_of(6, CHANGING_SCENARIOS) {
        let world = run_with(seed, Sets::Changing, Faults::none());
        // On reliable links every member of an epoch's set, an added one included, has its
        // precommit in some certificate of that epoch.
        let silent = world.silent_members();
        assert!(silent.is_empty(), "seed {seed}: members that never signed: {silent:?}");
        for change in world.schedule().changes() {
            match change {
                Change::Added(_) => added += 1,
                Change::Removed(_) => removed += 1,
                Change::Repowered(_) => repowered += 1,
            }
        }
    }
    assert!(added > 0 && removed > 0 && repowered > 0, "{added} {removed} {repowered}");
}

#[test]
fn set_changes_under_loss_delay_and_crashes_stay_safe_and_live() {
    for seed in seeds_of(7, CHANGING_SCENARIOS) {
        let faults = Faults { crashes: 1, drop: 0.2, max_delay_ms: 250, ..Faults::none() };
        run_with(seed, Sets::Changing, faults);
    }
}

#[test]
fn a_validator_out_of_the_set_signs_nothing_that_counts() {
    let mut outsider_votes = 0;
    for seed in seeds_of(8, CHANGING_SCENARIOS) {
        let faults =
            Faults { outsiders_vote: true, drop: 0.1, max_delay_ms: 100, ..Faults::none() };
        // A certificate holding an outsider's precommit would fail its height's set check.
        outsider_votes += run_with(seed, Sets::Changing, faults).outsider_votes();
    }
    assert!(outsider_votes > 0, "no validator was ever out of a set");
}

#[test]
fn a_restarted_node_starts_with_the_set_of_its_height() {
    let mut behind = 0;
    let seeds = seeds_of(9, CHANGING_SCENARIOS);
    for &seed in &seeds {
        let faults = Faults { crashes: 2, drop: 0.1, max_delay_ms: 150, ..Faults::none() };
        behind += run_with(seed, Sets::Changing, faults).restarts_behind_a_set_change();
    }
    // A crash lasts from half a second to several seconds and a height takes tens of
    // milliseconds, so most restarted validators start at their own height with its set, in an
    // epoch the chain has left, and sync through the set changes after it.
    assert!(
        behind * 2 > seeds.len(),
        "{behind} restarts behind a set change in {} runs",
        seeds.len()
    );
}

//! Integration tests of `cairn-storage`: one suite, written once over a backend factory and
//! run against both the in-memory and the redb backend, plus a property test of roots and
//! unwinding against a flat model.

mod backend;
mod file;
mod fixtures;
mod harness;
mod model;
mod prop;
mod suite;

/// Declares one `#[test]` per suite function and backend, in modules `memory` and `redb`.
macro_rules! suite_for_each_backend {
    ($($case:ident),* $(,)?) => {
        mod memory {
            $(#[test]
            fn $case() {
                crate::suite::$case::<crate::backend::Memory>();
            })*
        }
        mod redb {
            $(#[test]
            fn $case() {
                crate::suite::$case::<crate::backend::Redb>();
            })*
        }
    };
}

suite_for_each_backend!(
    genesis_matches_the_spec,
    reopen_accepts_only_the_same_genesis,
    reopen_with_another_chain_id_is_refused,
    reopen_after_genesis_storage_changed,
    committed_blocks_read_back,
    commit_refuses_blocks_off_the_head,
    unwind_restores_state_and_accepts_a_new_branch,
    branch_switch_writes_the_other_branch_at_once,
    side_blocks_are_kept_with_their_work_and_capped,
    unwind_to_the_head_is_a_no_op,
    unwind_without_change_set_fails_cleanly,
    change_sets_expire_after_the_retention_window,
    proofs_verify_against_header_roots,
    historical_state_matches_every_retained_block,
    write_batch_is_all_or_nothing,
    concurrent_views_never_see_half_a_batch,
    snapshots_are_stable_and_commits_durable,
    corrupt_records_are_reported,
    address_history_pages_newest_first,
    record_tables_live_beside_the_chain,
    protocol_call_outcomes_commit_and_unwind_with_their_block,
);

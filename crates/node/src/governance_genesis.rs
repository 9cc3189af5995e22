//! The governed-chain genesis check, the twin of the staking one: the governance contract's
//! account in the spec's `alloc` and the spec's `[governance]`, parameters and validators are
//! written together by the tools, but a hand-edited spec can make them disagree, and the
//! contract (not the spec) decides who may transact and validate from the first block. The
//! node refuses such a spec when it opens the chain. It compares through view calls, not
//! bytes, so a chain keeps the bytecode it was born with when a later binary embeds another.

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use cairn_governance::{GOVERNANCE_ADDRESS, Governance};
use cairn_primitives::{ChainSpec, ConsensusKind};

use crate::NodeError;
use crate::genesis_views::{Comparison, Genesis, Mismatch};

/// The governance ABI this binary drives and whose storage layout its direct reads assume;
/// the contract's `abiVersion()` must answer it.
const ABI_VERSION: u64 = 1;

/// Disagreements are the governance contract's.
const COMPARISON: Comparison = Comparison {
    error: |m: Mismatch| NodeError::GovernanceGenesis {
        field: m.field,
        contract: m.contract,
        spec: m.spec,
    },
};

/// Compares the genesis state of the governance contract with the spec, on chains with
/// `[governance]` (other chains have nothing to compare). It runs on the spec's genesis in
/// memory, before the node's own store is opened, so a refused spec writes nothing.
pub(crate) fn check_governance_genesis(spec: &ChainSpec) -> Result<(), NodeError> {
    let Some(governance) = &spec.governance else {
        return Ok(());
    };
    let genesis = Genesis::of(spec)?;

    COMPARISON.differ(
        "abiVersion",
        genesis_view(&genesis, Governance::abiVersionCall {})?,
        U256::from(ABI_VERSION),
    )?;

    let params = genesis_view(&genesis, Governance::paramsCall {})?;
    COMPARISON.differ("gas_limit", params.gasLimit, spec.gas_limit)?;
    COMPARISON.differ("block_time_ms", params.blockTimeMs, spec.block_time_ms)?;
    COMPARISON.differ("epoch_length", params.epochLength, spec.epoch_length.unwrap_or_default())?;
    COMPARISON.differ(
        "voting_period_blocks",
        params.votingPeriodBlocks,
        governance.voting_period_blocks,
    )?;
    COMPARISON.differ(
        "permission_accounts",
        params.permissionAccounts,
        governance.permission_accounts,
    )?;
    COMPARISON.differ("permission_nodes", params.permissionNodes, governance.permission_nodes)?;
    COMPARISON.differ(
        "permission_deployers",
        params.permissionDeployers,
        governance.permission_deployers,
    )?;

    let ids = genesis_view(&genesis, Governance::organisationIdsCall {})?;
    let want: Vec<u32> = (1..=governance.organisations.len())
        .map(|id| u32::try_from(id).unwrap_or(u32::MAX))
        .collect();
    COMPARISON.differ("organisation ids", ids, want)?;
    for (index, org) in governance.organisations.iter().enumerate() {
        let id = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let info = genesis_view(&genesis, Governance::organisationCall { org: id })?;
        let field = |name: &str| format!("organisation {id} ({}) {name}", org.name);
        COMPARISON.differ(&field("name"), &info.name, &org.name)?;
        COMPARISON.differ(&field("admins"), &info.admins, &org.admins)?;
        let members: Vec<Address> = info.members.iter().map(|m| m.account).collect();
        COMPARISON.differ(&field("members"), &members, &org.members)?;
        let mut deployers: Vec<Address> =
            info.members.iter().filter(|m| m.deployer).map(|m| m.account).collect();
        let mut want = org.deployers.clone();
        deployers.sort();
        want.sort();
        COMPARISON.differ(&field("deployers"), deployers, want)?;
        let nodes: Vec<_> =
            info.nodes.iter().map(|n| (n.peerId.clone(), n.consensusAddress)).collect();
        let want: Vec<_> = org
            .nodes
            .iter()
            .map(|n| (n.peer_id.clone(), n.consensus_address.unwrap_or_default()))
            .collect();
        COMPARISON.differ(&field("nodes"), nodes, want)?;
        let mut validators: Vec<Address> = info.validators.iter().map(|v| v.validator).collect();
        let mut want = org.validators.clone();
        validators.sort();
        want.sort();
        COMPARISON.differ(&field("validators"), validators, want)?;
    }

    if spec.consensus == ConsensusKind::Bft {
        let set = spec.genesis_validator_set()?;
        let members = genesis_view(&genesis, Governance::validatorSetCall {})?;
        let contract: Vec<(Address, u64)> =
            members.iter().map(|m| (m.validator, m.power)).collect();
        let expected: Vec<(Address, u64)> =
            set.members.iter().map(|m| (m.address, m.power)).collect();
        COMPARISON.differ(
            "validator set of epoch 0",
            format!("{contract:?}"),
            format!("{expected:?}"),
        )?;
    }
    Ok(())
}

/// Runs the view `call` on the governance contract in the genesis state.
fn genesis_view<C: SolCall>(genesis: &Genesis, call: C) -> Result<C::Return, NodeError> {
    COMPARISON.view(genesis, GOVERNANCE_ADDRESS, call)
}

//! The governance contract's genesis account: its constructor run once in revm with the
//! spec's parameters and founding organisations, so the chain spec's `alloc` holds the
//! contract's code and storage and the spec stays the whole truth of genesis.

use alloy_primitives::U256;
use alloy_sol_types::SolConstructor;
use cairn_execution::{GenesisCreation, create_genesis_contract};
use cairn_primitives::{ChainSpec, GenesisAccount};

use crate::{Governance, GovernanceError, creation_code};

/// The account to place at [`crate::GOVERNANCE_ADDRESS`] in a governed spec's `alloc`, built
/// from the spec's `[governance]`, its validators (keys and powers, by the addresses the
/// organisations list) and its gas limit, block time and epoch length: the one function the
/// tools write specs with, so the contract's genesis state and the spec cannot disagree. The
/// same spec always gives the same account; a constructor refusal comes back as the contract's
/// typed error.
pub fn governance_account(spec: &ChainSpec) -> Result<GenesisAccount, GovernanceError> {
    let governance = spec.governance.as_ref().ok_or(GovernanceError::NotGoverned)?;
    let params = Governance::Params {
        gasLimit: spec.gas_limit,
        blockTimeMs: spec.block_time_ms,
        epochLength: spec.epoch_length.unwrap_or_default(),
        votingPeriodBlocks: governance.voting_period_blocks,
        permissionAccounts: governance.permission_accounts,
        permissionNodes: governance.permission_nodes,
        permissionDeployers: governance.permission_deployers,
    };
    let founders = governance
        .organisations
        .iter()
        .map(|org| {
            let validators = org
                .validators
                .iter()
                .map(|address| {
                    let v = spec
                        .validators
                        .iter()
                        .find(|v| v.address == *address)
                        .ok_or(GovernanceError::UnknownSpecValidator(*address))?;
                    Ok(Governance::GenesisValidator {
                        publicKey: v.public_key.clone(),
                        power: v.power,
                    })
                })
                .collect::<Result<_, GovernanceError>>()?;
            Ok(Governance::GenesisOrganisation {
                name: org.name.clone(),
                admins: org.admins.clone(),
                members: org.members.clone(),
                deployers: org.deployers.clone(),
                nodes: org
                    .nodes
                    .iter()
                    .map(|n| Governance::GenesisNode {
                        peerId: n.peer_id.clone(),
                        consensusAddress: n.consensus_address.unwrap_or_default(),
                    })
                    .collect(),
                validators,
            })
        })
        .collect::<Result<_, GovernanceError>>()?;
    let args = Governance::constructorCall { p: params, founders };
    let mut data = creation_code().to_vec();
    data.extend_from_slice(&args.abi_encode());
    match create_genesis_contract(data.into(), U256::ZERO)? {
        GenesisCreation::Created(account) => Ok(account),
        GenesisCreation::Reverted(data) => Err(GovernanceError::from_revert(data)),
        GenesisCreation::Halted(reason) => Err(GovernanceError::Halted(reason)),
    }
}

//! endEpoch is the protocol's: nobody but revm's SYSTEM_ADDRESS may call it, not even an
//! admin; ether and unknown calls are refused.

use alloy_primitives::{Bytes, U256};
use cairn_governance::Governance;

use crate::harness::{Chain, admin, outsider, refusal};
use Governance::GovernanceErrors as E;

#[test]
fn end_epoch_is_for_the_system_only() {
    let mut chain = Chain::consortium();
    for caller in [outsider(), admin(1)] {
        assert_eq!(
            refusal(chain.send(caller, Governance::endEpochCall {})),
            E::OnlySystem(Governance::OnlySystem { caller })
        );
    }
    assert_eq!(chain.view(Governance::currentEpochCall {}), 0);
    chain.end_epoch();
    assert_eq!(chain.view(Governance::currentEpochCall {}), 1);
}

#[test]
fn ether_and_unknown_calls_are_refused() {
    let mut chain = Chain::consortium();
    chain.fund(admin(1), U256::from(10));
    assert_eq!(
        refusal(chain.send_raw(admin(1), U256::from(1), Bytes::new())),
        E::NoDirectTransfers(Governance::NoDirectTransfers {})
    );
    assert_eq!(
        refusal(chain.send_raw(
            admin(1),
            U256::ZERO,
            Bytes::from_static(&[0xde, 0xad, 0xbe, 0xef])
        )),
        E::UnknownFunction(Governance::UnknownFunction {
            selector: [0xde, 0xad, 0xbe, 0xef].into()
        })
    );
    // Payable nowhere: a proposal with value is refused by the ABI's non-payable check.
    let data: Bytes =
        alloy_sol_types::SolCall::abi_encode(&Governance::addMemberCall { account: outsider() })
            .into();
    assert!(chain.send_raw(admin(1), U256::from(1), data).is_err());
}

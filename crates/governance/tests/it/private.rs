//! A private network is one organisation: its admins' proposals pass with their one vote and
//! take effect at the next epoch boundary.

use cairn_governance::{Governance, ProposalStatus};
use cairn_primitives::NetworkKind;

use crate::harness::{
    Chain, EPOCH_LENGTH, admin, compressed, peer, refusal, spec, validator_address,
};
use Governance::GovernanceErrors as E;

#[test]
fn one_organisation_acts_directly() {
    let mut chain = Chain::new(&spec(NetworkKind::Private, 1, 1));
    let done = chain
        .send(
            admin(1),
            Governance::proposeAddValidatorCall { org: 1, publicKey: compressed(50), power: 3 },
        )
        .unwrap();
    assert_eq!(done.events::<Governance::ProposalPassed>().len(), 1, "passed by proposing");
    let node = chain.propose(
        admin(1),
        Governance::proposeAllowNodeCall {
            org: 1,
            peerId: peer(9),
            consensusAddress: validator_address(50),
        },
    );
    assert_eq!(chain.proposal(node).status, ProposalStatus::Passed as u8);
    assert!(!chain.view(Governance::isNodeAllowedCall { peerId: peer(9) }));
    chain.end_epoch();
    assert!(chain.view(Governance::isNodeAllowedCall { peerId: peer(9) }));
    let info = chain.view(Governance::nodeCall { peerId: peer(9) });
    assert_eq!((info.org, info.consensusAddress), (1, validator_address(50)));
    assert_eq!(chain.set().len(), 2);
    assert_eq!(chain.proposal(node).effectiveHeight, EPOCH_LENGTH + 1);

    let id = chain.propose(admin(1), Governance::proposeRemoveNodeCall { peerId: peer(9) });
    let ended = chain.end_epoch();
    assert_eq!(ended.events::<Governance::NodeRemoved>()[0].peerId, peer(9));
    assert_eq!(chain.proposal(id).status, ProposalStatus::Executed as u8);
    assert!(!chain.view(Governance::isNodeAllowedCall { peerId: peer(9) }));
    assert_eq!(
        refusal(chain.try_view(Governance::nodeCall { peerId: peer(9) })),
        E::UnknownNode(Governance::UnknownNode { peerId: peer(9) })
    );
    // The one organisation is also the last.
    assert_eq!(
        refusal(chain.send(admin(1), Governance::proposeRemoveOrganisationCall { org: 1 })),
        E::LastOrganisation(Governance::LastOrganisation {})
    );
}

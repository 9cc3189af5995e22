//! Each organisation manages its own accounts without a vote: members, admins and deployers,
//! by any of its admins and only within its own organisation.

use cairn_governance::Governance;

use crate::harness::{Chain, account, admin, member, outsider, refusal};
use Governance::GovernanceErrors as E;

#[test]
fn an_admin_adds_and_removes_members_of_its_own_organisation() {
    let mut chain = Chain::consortium();
    let newcomer = account(5_000);
    assert!(!chain.is_member(newcomer));
    let done = chain.send(admin(2), Governance::addMemberCall { account: newcomer }).unwrap();
    let added = done.events::<Governance::MemberAdded>();
    assert_eq!((added[0].org, added[0].account), (2, newcomer));
    assert!(chain.is_member(newcomer), "at once, no vote and no epoch boundary");
    assert!(chain.view(Governance::canTransactCall { account: newcomer }));
    let members = chain.view(Governance::organisationCall { org: 2 }).members;
    assert_eq!(
        members.iter().map(|m| m.account).collect::<Vec<_>>(),
        vec![member(2, 1), member(2, 2), newcomer]
    );

    // Removing the first member moves the last into its place.
    let done =
        chain.send(admin(2), Governance::removeMemberCall { account: member(2, 1) }).unwrap();
    assert_eq!(done.events::<Governance::MemberRemoved>()[0].account, member(2, 1));
    assert!(!chain.is_member(member(2, 1)));
    assert!(!chain.view(Governance::canTransactCall { account: member(2, 1) }));
    let members = chain.view(Governance::organisationCall { org: 2 }).members;
    assert_eq!(members.iter().map(|m| m.account).collect::<Vec<_>>(), vec![newcomer, member(2, 2)]);
    chain.send(admin(2), Governance::removeMemberCall { account: newcomer }).unwrap();
    chain.send(admin(2), Governance::removeMemberCall { account: member(2, 2) }).unwrap();
    assert!(chain.view(Governance::organisationCall { org: 2 }).members.is_empty());
}

#[test]
fn member_management_refuses_outsiders_and_other_organisations() {
    let mut chain = Chain::consortium();
    let newcomer = account(5_000);
    for caller in [outsider(), member(1, 1)] {
        assert_eq!(
            refusal(chain.send(caller, Governance::addMemberCall { account: newcomer })),
            E::NotAnAdmin(Governance::NotAnAdmin { caller })
        );
    }
    assert_eq!(
        refusal(chain.send(admin(1), Governance::addMemberCall { account: member(2, 1) })),
        E::AccountInOrganisation(Governance::AccountInOrganisation {
            account: member(2, 1),
            org: 2
        })
    );
    assert_eq!(
        refusal(chain.send(admin(1), Governance::addMemberCall { account: member(1, 1) })),
        E::AccountInOrganisation(Governance::AccountInOrganisation {
            account: member(1, 1),
            org: 1
        })
    );
    assert_eq!(
        refusal(chain.send(
            admin(1),
            Governance::addMemberCall { account: alloy_primitives::Address::ZERO }
        )),
        E::ZeroAddress(Governance::ZeroAddress {})
    );
    assert_eq!(
        refusal(chain.send(admin(1), Governance::removeMemberCall { account: member(2, 1) })),
        E::NotInOrganisation(Governance::NotInOrganisation { account: member(2, 1), org: 1 })
    );
    // An admin is no member to remove.
    assert_eq!(
        refusal(chain.send(admin(1), Governance::removeMemberCall { account: admin(1) })),
        E::NotInOrganisation(Governance::NotInOrganisation { account: admin(1), org: 1 })
    );
    assert_eq!(
        refusal(
            chain.send(
                admin(1),
                Governance::setDeployerCall { account: member(2, 2), allowed: true }
            )
        ),
        E::NotInOrganisation(Governance::NotInOrganisation { account: member(2, 2), org: 1 })
    );
}

#[test]
fn admins_manage_admins_and_the_last_one_stays() {
    let mut chain = Chain::consortium();
    let second = account(6_000);
    let done = chain.send(admin(1), Governance::addAdminCall { account: second }).unwrap();
    assert_eq!(done.events::<Governance::AdminAdded>()[0].account, second);
    // The new admin acts for organisation 1 at once, and removes the first one.
    chain.send(second, Governance::removeAdminCall { account: admin(1) }).unwrap();
    assert!(!chain.is_member(admin(1)));
    assert_eq!(
        refusal(chain.send(admin(1), Governance::addMemberCall { account: account(1) })),
        E::NotAnAdmin(Governance::NotAnAdmin { caller: admin(1) })
    );
    assert_eq!(
        refusal(chain.send(second, Governance::removeAdminCall { account: second })),
        E::LastAdmin(Governance::LastAdmin { org: 1 })
    );
    assert_eq!(chain.view(Governance::organisationCall { org: 1 }).admins, vec![second]);
}

#[test]
fn deployers_are_marked_by_their_admins() {
    let mut chain = Chain::consortium();
    // Turn the deployer switch on (two of three organisations).
    let id = chain.propose(admin(1), Governance::proposeParameterCall { parameter: 6, value: 1 });
    chain.vote(admin(2), id, true).unwrap();
    chain.end_epoch();
    let can_deploy = |chain: &mut Chain, account| chain.view(Governance::canDeployCall { account });
    assert!(can_deploy(&mut chain, member(1, 1)), "marked in the spec");
    assert!(!can_deploy(&mut chain, member(1, 2)));
    assert!(can_deploy(&mut chain, admin(1)), "admins may always deploy");
    let done = chain
        .send(admin(1), Governance::setDeployerCall { account: member(1, 2), allowed: true })
        .unwrap();
    assert!(done.events::<Governance::DeployerSet>()[0].allowed);
    assert!(can_deploy(&mut chain, member(1, 2)));
    chain
        .send(admin(1), Governance::setDeployerCall { account: member(1, 1), allowed: false })
        .unwrap();
    assert!(!can_deploy(&mut chain, member(1, 1)));
    assert!(!can_deploy(&mut chain, outsider()));
}

use alloy_primitives::{Address, U256};
use cairn_primitives::next_base_fee;

use crate::support::{Chain, GWEI, PROPOSER, sign, transfer};

#[test]
fn balances_change_by_exactly_the_burnt_base_fee_and_tips_go_to_the_proposer() {
    let chain = Chain::new();
    let parent = chain.node.head().unwrap();
    let recipients: Vec<Address> = (1..=4).map(Address::repeat_byte).collect();
    let mut watched: Vec<Address> = chain.accounts.iter().map(|a| a.address).collect();
    watched.extend(&recipients);
    watched.push(PROPOSER);
    let total = |chain: &Chain| watched.iter().map(|a| chain.balance(*a)).sum::<U256>();
    let before = total(&chain);

    for (sender, to) in recipients.iter().enumerate() {
        chain.submit(&sign(chain.key(sender), transfer(0, *to, 1_000))).unwrap();
    }
    let header = chain.mine();
    assert_eq!(header.base_fee, next_base_fee(&parent));
    assert_eq!(header.gas_used, 4 * 21_000);

    let burnt = U256::from(header.base_fee) * U256::from(header.gas_used);
    assert_eq!(before - total(&chain), burnt);
    let tip = (10 * GWEI - u128::from(header.base_fee)).min(GWEI);
    assert_eq!(chain.balance(PROPOSER), U256::from(tip * 84_000));
    let receipt = chain.node.block(1).unwrap().unwrap().transactions[0].clone();
    let found = chain.node.transaction(*receipt.tx_hash()).unwrap().unwrap();
    assert_eq!(found.receipt.effective_gas_price, u128::from(header.base_fee) + tip);
}

#[test]
fn base_fee_falls_on_empty_blocks() {
    let chain = Chain::new();
    let genesis = chain.node.head().unwrap();
    let next = chain.mine();
    assert!(next.base_fee < genesis.base_fee);
    assert_eq!(next.base_fee, next_base_fee(&genesis));
}

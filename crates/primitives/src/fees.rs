use alloy_eips::eip1559::BaseFeeParams;

use crate::Header;

/// The EIP-1559 base fee of the child of `parent`, with Ethereum's parameters
/// (target half the gas limit, at most 12.5% change per block).
pub fn next_base_fee(parent: &Header) -> u64 {
    BaseFeeParams::ethereum().next_block_base_fee(
        parent.gas_used,
        parent.gas_limit,
        parent.base_fee,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_fee_moves_with_gas_used() {
        let parent =
            Header { gas_limit: 30_000_000, base_fee: 1_000_000_000, ..Default::default() };
        assert_eq!(next_base_fee(&parent), 875_000_000);
        let full = Header { gas_used: 30_000_000, ..parent.clone() };
        assert_eq!(next_base_fee(&full), 1_125_000_000);
        let target = Header { gas_used: 15_000_000, ..parent };
        assert_eq!(next_base_fee(&target), 1_000_000_000);
    }
}

use alloy_primitives::{Address, B256};
use alloy_signer_local::{MnemonicBuilder, PrivateKeySigner, coins_bip39::English};

use crate::PrimitivesError;

/// The well-known development mnemonic; anvil and Hardhat derive the same ten accounts from it.
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// A funded development account, printed at start so people can use it at once.
#[derive(Debug, Clone)]
pub struct DevAccount {
    /// The account's address.
    pub address: Address,
    /// Its private key (development only: these keys are public knowledge).
    pub private_key: B256,
    /// A signer for tests and tools.
    pub signer: PrivateKeySigner,
}

/// The first `count` accounts of [`DEV_MNEMONIC`] on the path m/44'/60'/0'/0/i.
pub fn dev_accounts(count: u32) -> Result<Vec<DevAccount>, PrimitivesError> {
    (0..count)
        .map(|index| {
            let signer = MnemonicBuilder::<English>::default()
                .phrase(DEV_MNEMONIC)
                .index(index)
                .and_then(|b| b.build())
                .map_err(|e| PrimitivesError::DevKey { index, reason: e.to_string() })?;
            Ok(DevAccount {
                address: signer.address(),
                private_key: B256::from_slice(&signer.credential().to_bytes()),
                signer,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_accounts_anvil_prints() {
        let accounts = dev_accounts(10).expect("derives");
        assert_eq!(accounts[0].address.to_string(), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
        assert_eq!(
            accounts[0].private_key.to_string(),
            "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
        );
        assert_eq!(accounts[9].address.to_string(), "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720");
    }
}

//! The compiled contract, embedded from the committed `contracts/out/Staking.json`.

use std::sync::LazyLock;

use alloy_primitives::Bytes;
use cairn_primitives::ContractArtifact;

static ARTIFACT: LazyLock<ContractArtifact> = LazyLock::new(|| {
    // The file is committed next to its source and checked by a unit test below, so a parse
    // failure can only be a broken build of this crate, never input from outside.
    ContractArtifact::from_json(include_str!("../../../contracts/out/Staking.json"))
        .expect("contracts/out/Staking.json is the committed build output")
});

/// The creation code: the constructor plus the runtime code it returns.
pub fn creation_code() -> &'static Bytes {
    &ARTIFACT.bytecode
}

/// The runtime code that sits at the staking address.
pub fn runtime_code() -> &'static Bytes {
    &ARTIFACT.deployed_bytecode
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// EIP-170 caps runtime code at 24,576 bytes and revm enforces it when the genesis builder
    /// runs the constructor. If this fails, move the views only tools use into a second,
    /// view-only contract that reads this one by staticcall.
    #[test]
    fn runtime_code_fits_eip_170_with_a_margin() {
        let size = runtime_code().len();
        assert!(size > 0);
        assert!(size <= 23_500, "runtime code is {size} bytes, close to EIP-170's 24,576");
    }

    /// The bindings come from `Staking.abi.json`; the code from `Staking.json`. Both must be
    /// the same build.
    #[test]
    fn both_artifact_files_hold_the_same_abi() {
        let abi: serde_json::Value =
            serde_json::from_str(include_str!("../../../contracts/out/Staking.abi.json")).unwrap();
        assert_eq!(ARTIFACT.abi, abi);
    }
}

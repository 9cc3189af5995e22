//! The compiled contract, embedded from the committed `contracts/out/Governance.json`.

use std::sync::LazyLock;

use alloy_primitives::Bytes;
use cairn_primitives::ContractArtifact;

static ARTIFACT: LazyLock<ContractArtifact> = LazyLock::new(|| {
    // The file is committed next to its source and checked by a unit test below, so a parse
    // failure can only be a broken build of this crate, never input from outside.
    ContractArtifact::from_json(include_str!("../../../contracts/out/Governance.json"))
        .expect("contracts/out/Governance.json is the committed build output")
});

/// The creation code: the constructor plus the runtime code it returns.
pub fn creation_code() -> &'static Bytes {
    &ARTIFACT.bytecode
}

/// The runtime code that sits at the governance address.
pub fn runtime_code() -> &'static Bytes {
    &ARTIFACT.deployed_bytecode
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// EIP-170 caps runtime code at 24,576 bytes and revm enforces it when the genesis builder
    /// runs the constructor. If this fails, move views into a second, view-only contract.
    #[test]
    fn runtime_code_fits_eip_170() {
        let size = runtime_code().len();
        assert!(size > 0);
        assert!(size <= 24_000, "runtime code is {size} bytes, close to EIP-170's 24,576");
    }

    /// The bindings come from `Governance.abi.json`; the code from `Governance.json`. Both must
    /// be the same build.
    #[test]
    fn both_artifact_files_hold_the_same_abi() {
        let abi: serde_json::Value =
            serde_json::from_str(include_str!("../../../contracts/out/Governance.abi.json"))
                .unwrap();
        assert_eq!(ARTIFACT.abi, abi);
    }
}

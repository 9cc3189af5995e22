//! A system contract's compiled code as `contracts/build.mjs` writes it, for the crates that
//! embed one (staking, governance).

use alloy_primitives::Bytes;
use serde::Deserialize;

use crate::PrimitivesError;

/// The parts of `contracts/out/<Name>.json` Rust needs: the code, and the ABI to check the
/// `sol!` bindings (generated from `<Name>.abi.json`) come from the same build.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContractArtifact {
    /// The creation code: the constructor plus the runtime code it returns.
    pub bytecode: Bytes,
    /// The runtime code that sits at the contract's address.
    pub deployed_bytecode: Bytes,
    /// The ABI, as JSON.
    pub abi: serde_json::Value,
}

impl ContractArtifact {
    /// Parses an artifact's JSON.
    pub fn from_json(text: &str) -> Result<Self, PrimitivesError> {
        serde_json::from_str(text).map_err(PrimitivesError::Artifact)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_artifact_parses_and_a_broken_one_is_refused() {
        let text =
            r#"{"abi": [], "bytecode": "0x6000", "deployedBytecode": "0x00", "source": "X.sol"}"#;
        let artifact = ContractArtifact::from_json(text).expect("parses");
        assert_eq!(artifact.bytecode, Bytes::from_static(&[0x60, 0x00]));
        assert_eq!(artifact.deployed_bytecode, Bytes::from_static(&[0x00]));
        assert!(ContractArtifact::from_json("{\"abi\": []}").is_err());
    }
}

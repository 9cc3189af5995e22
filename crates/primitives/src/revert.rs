//! What a reverted transaction or call said about why.

use alloy_sol_types::{Panic, Revert, SolError};

/// The reason in `Error(string)` or `Panic(uint256)` revert data, worded as geth words it;
/// `None` for custom errors and empty or undecodable data (callers show the raw bytes).
pub fn revert_reason(output: &[u8]) -> Option<String> {
    if let Ok(revert) = Revert::abi_decode(output) {
        return Some(revert.reason);
    }
    let code = Panic::abi_decode(output).ok()?.code;
    let reason = match u64::try_from(code) {
        Ok(0x00) => "generic panic",
        Ok(0x01) => "assert(false)",
        Ok(0x11) => "arithmetic underflow or overflow",
        Ok(0x12) => "division or modulo by zero",
        Ok(0x21) => "enum overflow",
        Ok(0x22) => "invalid encoded storage byte array accessed",
        Ok(0x31) => "out-of-bounds array access; popping on an empty array",
        Ok(0x32) => "out-of-bounds access of an array or bytesN",
        Ok(0x41) => "out of memory",
        Ok(0x51) => "uninitialized function",
        _ => return Some(format!("unknown panic code: {code:#x}")),
    };
    Some(reason.to_string())
}

/// A decoded custom error as Solidity writes it, `LastValidator()` or
/// `NotInSet(validator: 0x…, height: 5)`, from its name and the `Debug` text alloy's `sol!`
/// generates for it (`Variant(Struct { field: value, .. })` or `Variant(Struct)`): so logs and
/// messages name a system contract's refusal the way `cast` users and its source do. The
/// fields of system contracts' errors are addresses, integers, booleans and bytes, whose
/// `Debug` holds no braces.
pub fn custom_error_text(name: &str, debug: &str) -> String {
    let fields =
        debug.split_once(" { ").and_then(|(_, rest)| rest.strip_suffix(" })")).unwrap_or_default();
    format!("{name}({fields})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_errors_read_as_solidity_writes_them() {
        assert_eq!(
            custom_error_text("LastValidator", "LastValidator(LastValidator)"),
            "LastValidator()"
        );
        assert_eq!(
            custom_error_text("AlreadyVoted", "AlreadyVoted(AlreadyVoted { id: 3, org: 2 })"),
            "AlreadyVoted(id: 3, org: 2)"
        );
    }

    #[test]
    fn error_strings_and_panics_are_decoded_and_anything_else_is_not() {
        let revert = Revert::from("counter: failure requested").abi_encode();
        assert_eq!(revert_reason(&revert).as_deref(), Some("counter: failure requested"));
        let panic = Panic::from(0x11u64).abi_encode();
        assert_eq!(revert_reason(&panic).as_deref(), Some("arithmetic underflow or overflow"));
        let unknown = Panic::from(0x99u64).abi_encode();
        assert_eq!(revert_reason(&unknown).as_deref(), Some("unknown panic code: 0x99"));
        assert_eq!(revert_reason(&[1, 2, 3]), None);
        assert_eq!(revert_reason(&[]), None);
    }
}

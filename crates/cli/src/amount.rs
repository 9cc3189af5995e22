//! Amounts of ether as people type them on a command line: `1000ether`, `1.5ether`,
//! `100gwei`, `0`, or plain wei.

use alloy_primitives::U256;
use alloy_primitives::utils::parse_units;

/// The units an amount may name, as alloy spells them, with their decimals.
const UNITS: [(&str, usize); 3] = [("ether", 18), ("gwei", 9), ("wei", 0)];

/// Parses an amount into wei.
pub(crate) fn parse_amount(text: &str) -> Result<U256, String> {
    let text = text.trim();
    let (number, (unit, decimals)) = match UNITS.iter().find(|(unit, _)| text.ends_with(unit)) {
        Some(&(unit, decimals)) => (text[..text.len() - unit.len()].trim(), (unit, decimals)),
        None => (text, ("wei", 0)),
    };
    if number.is_empty() || number.starts_with('-') {
        return Err(format!("{text:?} is not an amount (e.g. 1000ether, 1.5ether, 100gwei)"));
    }
    // alloy drops digits past the unit's decimals; an amount is taken exactly or not at all.
    if number.split_once('.').is_some_and(|(_, fraction)| fraction.len() > decimals) {
        return Err(format!("{text:?} is finer than a wei"));
    }
    let parsed = parse_units(number, unit).map_err(|e| format!("{text:?}: {e}"))?;
    Ok(parsed.get_absolute())
}

/// `n` whole ether in wei.
pub(crate) fn ether(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_in_their_units() {
        assert_eq!(parse_amount("1000ether"), Ok(ether(1_000)));
        assert_eq!(parse_amount("1.5ether"), Ok(ether(3) / U256::from(2)));
        assert_eq!(parse_amount("100gwei"), Ok(U256::from(100_000_000_000u64)));
        assert_eq!(parse_amount("42"), Ok(U256::from(42)));
        assert_eq!(parse_amount("0"), Ok(U256::ZERO));
        for refused in ["", "ether", "-1ether", "1.5", "1.0000000000000000001ether", "ten"] {
            assert!(parse_amount(refused).is_err(), "{refused}");
        }
    }
}

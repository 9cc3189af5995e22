//! Amounts and commissions as operators type them (`1000ether`, `5%`) and as the commands print
//! them.

use alloy_primitives::U256;
use alloy_primitives::utils::{ParseUnits, Unit, format_units};
use anyhow::{Context, bail};

/// An amount of wei: a decimal number with an optional unit, as `cast` reads values
/// (`1000ether`, `1.5 ether`, `100gwei`, `42` wei). Refuses negative numbers and fractions of
/// a wei instead of rounding them away.
pub(crate) fn parse_amount(text: &str) -> anyhow::Result<U256> {
    let trimmed = text.trim();
    let split = trimmed.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(trimmed.len());
    let (number, unit) = (trimmed[..split].trim(), trimmed[split..].trim());
    let unit = if unit.is_empty() {
        Unit::WEI
    } else {
        unit.parse::<Unit>()
            .ok()
            .with_context(|| format!("{text:?}: unknown unit {unit:?} (use ether, gwei or wei)"))?
    };
    decimal(text, number, unit)
}

/// A commission in percent with at most two decimals (`5%`, `2.5%`, `0.01%`; the `%` is
/// optional), as basis points (`5%` = 500), at most 100%.
pub(crate) fn parse_commission(text: &str) -> anyhow::Result<u16> {
    let trimmed = text.trim();
    let number = trimmed.strip_suffix('%').unwrap_or(trimmed).trim();
    let Some(hundredths) = Unit::new(2) else { bail!("two decimals are a valid unit") };
    let bps = decimal(text, number, hundredths)?;
    if bps > U256::from(10_000u16) {
        bail!("{text:?}: a commission is at most 100%");
    }
    Ok(bps.to())
}

/// `number` (digits with at most one `.`) times 10^unit, exactly.
fn decimal(text: &str, number: &str, unit: Unit) -> anyhow::Result<U256> {
    let digits = number.replacen('.', "", 1);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        bail!("{text:?} is not a non-negative decimal number");
    }
    let decimals = number.split_once('.').map_or(0, |(_, fraction)| fraction.len());
    if decimals > usize::from(unit.get()) {
        bail!("{text:?} has more decimals than its unit allows (the smallest amount is 1 wei)");
    }
    match ParseUnits::parse_units(number, unit) {
        Ok(ParseUnits::U256(value)) => Ok(value),
        Ok(ParseUnits::I256(_)) => bail!("{text:?} is negative"),
        Err(e) => bail!("{text:?}: {e}"),
    }
}

/// Wei as ether without trailing zeros: `1000 ether`, `0.5 ether`, `0 ether`.
pub(crate) fn ether(wei: U256) -> String {
    let text = format_units(wei, "ether").unwrap_or_else(|_| format!("{wei} wei"));
    let text =
        if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { &text };
    format!("{text} ether")
}

/// Basis points as a percentage with two decimals: 500 → `5.00%`.
pub(crate) fn percent(bps: u16) -> String {
    format!("{}.{:02}%", bps / 100, bps % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wei(text: &str) -> U256 {
        parse_amount(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn amounts_parse_with_units_exactly() {
        let ether_wei = U256::from(10u64).pow(U256::from(18u8));
        assert_eq!(wei("1000ether"), ether_wei * U256::from(1000u16));
        assert_eq!(wei("1.5ether"), ether_wei * U256::from(3u8) / U256::from(2u8));
        assert_eq!(wei("1.5 ETH"), wei("1.5ether"));
        assert_eq!(wei("100gwei"), U256::from(100_000_000_000u64));
        assert_eq!(wei("42"), U256::from(42u8));
        assert_eq!(wei("42wei"), U256::from(42u8));
        assert_eq!(wei(".5ether"), ether_wei / U256::from(2u8));
        assert_eq!(wei("0.000000000000000001ether"), U256::from(1u8));
    }

    #[test]
    fn bad_amounts_are_refused_not_rounded() {
        for bad in [
            "",
            "ether",
            "-1ether",
            "1.5",
            "1.5wei",
            "0.0000000000000000001ether",
            "1,000ether",
            "1e18",
            "1000 bananas",
            "1..5ether",
            "0x10",
        ] {
            assert!(parse_amount(bad).is_err(), "{bad:?} was accepted");
        }
        // More than 2^256 wei overflows instead of wrapping.
        assert!(parse_amount(&format!("{}ether", "9".repeat(70))).is_err());
    }

    #[test]
    fn commissions_are_percentages_in_basis_points() {
        for (text, bps) in
            [("5%", 500), ("5", 500), ("2.5%", 250), ("0.01%", 1), ("0%", 0), ("100%", 10_000)]
        {
            assert_eq!(parse_commission(text).unwrap_or(u16::MAX), bps, "{text}");
        }
        for bad in ["100.01%", "101%", "-1%", "0.001%", "five", "%", "5%%"] {
            assert!(parse_commission(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn amounts_print_as_ether_and_percent() {
        assert_eq!(ether(wei("1000ether")), "1000 ether");
        assert_eq!(ether(wei("0.5ether")), "0.5 ether");
        assert_eq!(ether(U256::ZERO), "0 ether");
        assert_eq!(percent(500), "5.00%");
        assert_eq!(percent(1), "0.01%");
        assert_eq!(percent(10_000), "100.00%");
    }
}

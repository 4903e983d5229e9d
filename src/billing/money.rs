//! Money: decimal amounts rounded half-even to the currency's minor unit, once per line.

use rust_decimal::{Decimal, RoundingStrategy};

/// ISO 4217 currencies whose minor unit is not the cent; every other one has two decimals.
const NO_DECIMALS: &[&str] = &[
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
    "VUV", "XAF", "XOF", "XPF",
];
const THREE_DECIMALS: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
const FOUR_DECIMALS: &[&str] = &["CLF", "UYW"];

/// ISO 4217 currency codes in use (funds, metals and test codes left out), sorted.
const ISO_4217: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD",
    "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP",
    "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP",
    "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS",
    "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW",
    "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD",
    "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN",
    "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR",
    "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SLL",
    "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY",
    "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES",
    "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG", "ZWL",
];

/// Decimals of the currency's minor unit.
pub fn minor_unit(currency: &str) -> u32 {
    if NO_DECIMALS.contains(&currency) {
        0
    } else if THREE_DECIMALS.contains(&currency) {
        3
    } else if FOUR_DECIMALS.contains(&currency) {
        4
    } else {
        2
    }
}

/// `amount` rounded half-even (banker's rounding) to the currency's minor unit, and
/// written with exactly that many decimals (`0.00`, not `0`).
pub fn round(amount: Decimal, currency: &str) -> Decimal {
    let dp = minor_unit(currency);
    let mut rounded = amount.round_dp_with_strategy(dp, RoundingStrategy::MidpointNearestEven);
    rounded.rescale(dp);
    rounded
}

/// Decimal places carve keeps in a price, rate or quantity of a plan: finer than any
/// currency's minor unit, so a per-Mbps price of 0.000125 is kept as given.
pub const PLAN_DECIMALS: usize = 6;

/// A price or quantity as typed: a plain decimal number with at most [`PLAN_DECIMALS`]
/// decimals. `1e-31` or 0.0000001 would otherwise be stored rounded, as 0.
pub fn decimal(text: &str) -> Result<Decimal, String> {
    let plain = text.trim();
    let (whole, fraction) = plain.split_once('.').unwrap_or((plain, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 28 || !digits(whole) || !digits(fraction) {
        return Err(format!(
            "{} is not a plain decimal number such as 0.05 (no sign, exponent or separators)",
            crate::engine::text::quote(text)
        ));
    }
    if fraction.len() > PLAN_DECIMALS {
        return Err(format!(
            "{} has {} decimals: carve keeps prices and quantities to {PLAN_DECIMALS}, and \
             would store it rounded",
            crate::engine::text::quote(text),
            fraction.len()
        ));
    }
    plain
        .parse()
        .map_err(|e| format!("{}: {e}", crate::engine::text::quote(text)))
}

/// A currency code as stored (upper case), if it is an ISO 4217 one: a typo such as
/// `EUE` is refused rather than billed.
pub fn currency(text: &str) -> Option<String> {
    let code = text.trim().to_ascii_uppercase();
    ISO_4217
        .binary_search(&code.as_str())
        .is_ok()
        .then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn rounds_half_to_even_at_the_minor_unit() {
        assert_eq!(round(d("2.345"), "EUR"), d("2.34"));
        assert_eq!(round(d("2.355"), "EUR"), d("2.36"));
        assert_eq!(round(d("2.3451"), "USD"), d("2.35"));
        assert_eq!(round(d("102.5"), "JPY"), d("102"));
        assert_eq!(round(d("103.5"), "JPY"), d("104"));
        assert_eq!(round(d("1.0005"), "KWD"), d("1.000"));
    }

    #[test]
    fn prices_are_refused_rather_than_rounded() {
        assert_eq!(decimal("0.000125"), Ok(d("0.000125")));
        assert_eq!(decimal(" 12 "), Ok(d("12")));
        for bad in ["1e-31", "0.0000001", "-1", "1,5", "", ".5", "1e3", "NaN"] {
            assert!(decimal(bad).is_err(), "{bad}");
        }
        assert!(decimal("0.0000001").unwrap_err().contains("7 decimals"));
    }

    #[test]
    fn currency_codes_are_three_letters() {
        assert_eq!(currency(" eur ").as_deref(), Some("EUR"));
        assert_eq!(currency("EURO"), None);
        assert_eq!(currency("EUE"), None);
        assert_eq!(currency("jpy").as_deref(), Some("JPY"));
        assert_eq!(currency("E1R"), None);
    }
}

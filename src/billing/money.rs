//! Money: decimal amounts rounded half-even to the currency's minor unit, once per line.

use rust_decimal::{Decimal, RoundingStrategy};

/// ISO 4217 currencies whose minor unit is not the cent. Every other three-letter code
/// is taken to have two decimals.
const NO_DECIMALS: &[&str] = &[
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
    "VUV", "XAF", "XOF", "XPF",
];
const THREE_DECIMALS: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];

/// Decimals of the currency's minor unit.
pub fn minor_unit(currency: &str) -> u32 {
    if NO_DECIMALS.contains(&currency) {
        0
    } else if THREE_DECIMALS.contains(&currency) {
        3
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

/// A currency code as stored: three letters, upper case.
pub fn currency(text: &str) -> Option<String> {
    let code = text.trim().to_ascii_uppercase();
    (code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())).then_some(code)
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
    fn currency_codes_are_three_letters() {
        assert_eq!(currency(" eur ").as_deref(), Some("EUR"));
        assert_eq!(currency("EURO"), None);
        assert_eq!(currency("E1R"), None);
    }
}

//! Host names as PTR targets: RFC 1123 labels, stored lower-case without the root dot.

use super::text::{PTR_MAX, quote};

/// Normalises a PTR target or says which rule it breaks.
pub fn normalize_hostname(input: &str) -> Result<String, String> {
    let name = input.trim().trim_end_matches('.').to_ascii_lowercase();
    if name.is_empty() {
        return Err(format!("{} is not a host name", quote(input)));
    }
    if !name.is_ascii() {
        return Err(format!(
            "{} is not ASCII: write internationalised names in punycode (xn--...)",
            quote(input)
        ));
    }
    if name.len() > PTR_MAX {
        return Err(format!(
            "{} is longer than {PTR_MAX} characters",
            quote(input)
        ));
    }
    for label in name.split('.') {
        let valid_chars = label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if label.is_empty()
            || label.len() > 63
            || !valid_chars
            || label.starts_with('-')
            || label.ends_with('-')
        {
            return Err(format!(
                "{} has an invalid label {} (1-63 letters, digits or '-', not starting or ending with '-')",
                quote(input),
                quote(label)
            ));
        }
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised_or_refused_with_the_rule() {
        assert_eq!(
            normalize_hostname("Web1.Example.NET.").unwrap(),
            "web1.example.net"
        );
        assert!(
            normalize_hostname("a..b")
                .unwrap_err()
                .contains("invalid label \"\"")
        );
        assert!(normalize_hostname("-a.b").is_err());
        assert!(
            normalize_hostname("bücher.de")
                .unwrap_err()
                .contains("punycode")
        );
        assert!(normalize_hostname(&"a".repeat(64)).is_err());
        assert!(normalize_hostname("under_score.example").is_err());
    }
}

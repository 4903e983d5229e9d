//! Text carve stores and shows: the bounds every stored name and text keeps (the
//! database holds the same bounds as CHECK constraints, migration 0013), and the one way
//! stored or typed text is made safe for a terminal or an error message.

/// Names of locations, customers, devices, VLANs, products and billing plans, and a
/// device's kind.
pub const NAME_MAX: usize = 100;
/// Descriptions, purposes and the reasons a block or address is unavailable or reserved.
pub const TEXT_MAX: usize = 4096;
/// A PTR target (RFC 1035's 253 characters of a host name).
pub const PTR_MAX: usize = 253;
/// How much of an offending input an error message quotes.
pub const QUOTE_MAX: usize = 200;

/// Characters that change how a terminal shows the text around them without showing
/// themselves: bidirectional overrides and isolates, zero-width characters, the word
/// joiner family, the byte-order mark and interlinear annotation marks. A name holding
/// U+202E can make `cust-1` look like another customer in a listing.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{E0000}'..='\u{E007F}')
}

/// One line of text from the database or the user, safe for a terminal: control
/// characters (an escape sequence in an rDNS name, say) are dropped, invisible format
/// characters are shown as `<U+202E>` so that nobody is misled by what they would do.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_invisible_format(c) {
            out.push_str(&format!("<U+{:04X}>", u32::from(c)));
        } else if !c.is_control() {
            out.push(c);
        }
    }
    out
}

/// Like [`clean`] for text of several lines: newlines and tabs stay.
pub fn clean_lines(text: &str) -> String {
    text.split('\n')
        .map(|line| line.split('\t').map(clean).collect::<Vec<_>>().join("\t"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// An input quoted in an error message: escaped as a Rust string literal would be (so a
/// newline cannot split the one-line error) and cut to [`QUOTE_MAX`] characters.
pub fn quote(text: &str) -> String {
    match text.char_indices().nth(QUOTE_MAX) {
        Some((end, _)) => format!("{}…", clean(&format!("{:?}", &text[..end]))),
        None => clean(&format!("{text:?}")),
    }
}

/// `text` cut to `max` characters, with an ellipsis when something was cut.
pub fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_overrides_are_shown_not_obeyed() {
        assert_eq!(
            clean("cust-\u{202E}1234\u{1b}[31m"),
            "cust-<U+202E>1234[31m"
        );
        assert_eq!(clean("a\u{2066}b\u{200B}c"), "a<U+2066>b<U+200B>c");
    }

    #[test]
    fn quotes_stay_on_one_line_and_short() {
        assert_eq!(quote("a\nb"), "\"a\\nb\"");
        let long = "x".repeat(100_000);
        let q = quote(&long);
        assert!(q.chars().count() <= QUOTE_MAX + 3, "{}", q.len());
        assert!(q.ends_with('…'));
    }
}

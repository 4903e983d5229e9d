//! The renderers' building blocks never panic on a stored value, and what they give the
//! terminal holds no control or invisible format characters.

use proptest::prelude::*;

use super::{clean, one_line, rows, short, table};
use crate::engine::text::clean_lines;

/// Text as an adversary stores it: control characters, bidi overrides, wide and
/// combining characters, and values longer than a format width can hold (u16::MAX).
fn hostile() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        any::<String>(),
        Just("\u{202E}\u{2066}\u{200B}\u{FEFF}".to_owned()),
        Just("\u{1b}]52;c;aGVsbG8=\u{7}\u{1b}[2J\r\n".to_owned()),
        Just("全角テキスト\u{301}".to_owned()),
        (65_000_usize..70_000).prop_map(|n| "A".repeat(n)),
    ];
    proptest::collection::vec(piece, 0..3).prop_map(|p| p.concat())
}

fn terminal_safe(text: &str) -> bool {
    text.chars().all(|c| {
        c == '\n'
            || !(c.is_control()
                || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}'))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn tables_take_any_cell(cells in proptest::collection::vec(hostile(), 3)) {
        let rendered = table(&["name", "kind", "description"], &[cells.clone(), cells]);
        prop_assert_eq!(rendered.lines().count(), 3);
        prop_assert!(terminal_safe(&rendered));
    }

    #[test]
    fn rows_and_cells_take_any_value(value in hostile()) {
        let shown = clean_lines(&rows(&[("name", clean(&value)), ("description", short(&value))]));
        prop_assert_eq!(shown.lines().count(), 2);
        prop_assert!(terminal_safe(&shown));
    }

    #[test]
    fn whatever_a_renderer_returns_is_cleaned(text in hostile()) {
        prop_assert!(terminal_safe(&clean_lines(&text)));
    }
}

#[test]
fn an_error_is_one_line_whatever_it_quotes() {
    assert_eq!(
        one_line("f.csv: 2 problem(s), nothing was changed:\n  row 3: x\n  row 5: y"),
        "f.csv: 2 problem(s), nothing was changed: row 3: x; row 5: y"
    );
    assert_eq!(
        one_line("cannot split 10.0.0.0/24: it is allocated to a\nb\u{202E} (release it first)"),
        "cannot split 10.0.0.0/24: it is allocated to a; b<U+202E> (release it first)"
    );
}

//! Walking a sheet: the header is the first row that can be one (a title above it is
//! skipped); a later row of headers with no address in it starts a new section, whose
//! unknown columns are reported like the first's; a one-cell title naming a prefix
//! above a section (phpIPAM writes `10.20.0.0/24 - Servers (vlan: 20)` above each
//! subnet's addresses) is the pool of that section's addresses. `--fill-down` columns
//! take a blank cell's value from the row above, and values of columns carve cannot
//! carry are counted for the report.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use ipnet::IpNet;

use super::row;
use super::{At, Filled, Problem, Records};
use crate::engine::parse_cidr;
use crate::import::columns::{Column, Header, column_of, nonblank};
use crate::import::read::Sheet;

/// How many leading rows may come before the header (titles, notes).
const HEADER_SEARCH: usize = 20;

/// Values of a column carve cannot carry: how many rows, and which VRFs.
type NotCarried = BTreeMap<&'static str, (usize, BTreeSet<String>)>;

pub(super) fn read(sheets: &[Sheet], fill_down: &[String]) -> Result<Records, String> {
    let mut out = Records::default();
    let mut not_carried = NotCarried::new();
    let mut any = false;
    let mut fills_found: BTreeSet<&String> = BTreeSet::new();
    for sheet in sheets {
        let filled = sheet
            .rows
            .iter()
            .enumerate()
            .filter(|(_, (_, cells))| cells.iter().any(|c| !c.trim().is_empty()));
        let best = filled
            .take(HEADER_SEARCH)
            .map(|(i, (_, cells))| (i, Header::parse(cells)))
            .find(|(_, h)| h.is_header());
        let Some((index, header)) = best else {
            out.ignored_sheets
                .push(sheet.name.clone().unwrap_or_default());
            continue;
        };
        any = true;
        let above = sheet.rows[..index]
            .iter()
            .rev()
            .find(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()));
        let mut section = Section::new(header, &sheet.rows[index].1, fill_down);
        section.pool = above.and_then(|(_, cells)| title_pool(cells));
        fills_found.extend(section.fill_names());
        ignore_columns(&mut out, sheet, &section.header);
        let rows = &sheet.rows[index + 1..];
        for (i, (row, cells)) in rows.iter().enumerate() {
            let at = At {
                sheet: sheet.name.clone(),
                row: *row,
            };
            if cells.iter().all(|c| c.trim().is_empty()) {
                out.skipped += 1;
                continue;
            }
            // A sheet of sections, each under a header of its own (addresses under
            // "IP, Customer, PTR" after the subnets): the new header applies from here.
            // A header row names columns and holds no address.
            let next = Header::parse(cells);
            if next.is_header() && next.columns.len() > 1 && !cells.iter().any(|c| holds_address(c))
            {
                let pool = section.next_pool.take();
                section = Section::new(next, cells, fill_down);
                section.pool = pool;
                fills_found.extend(section.fill_names());
                ignore_columns(&mut out, sheet, &section.header);
                continue;
            }
            // A section's title, just above its header.
            let header_follows = rows[i + 1..]
                .iter()
                .find(|(_, c)| c.iter().any(|c| !c.trim().is_empty()))
                .is_some_and(|(_, c)| {
                    let h = Header::parse(c);
                    h.is_header() && !c.iter().any(|c| holds_address(c))
                });
            if header_follows && let Some(pool) = title_pool(cells) {
                section.next_pool = Some(pool);
                continue;
            }
            out.rows += 1;
            let cells = section.fill(cells, &at, &mut out.filled);
            count_not_carried(&section.header, &cells, &mut not_carried);
            if let Err(message) =
                row::record(&section.header, &cells, section.pool, at.clone(), &mut out)
            {
                out.problems.push(Problem { at, message });
            }
        }
    }
    if !any {
        return Err(
            "no sheet has a column carve can read addresses from (a header such as \
                    subnet, prefix, cidr, network or block, or ip, address or host)"
                .to_owned(),
        );
    }
    if let Some(missing) = fill_down.iter().find(|f| !fills_found.contains(f)) {
        return Err(format!(
            "--fill-down {missing:?}: no header of the file names that column"
        ));
    }
    out.not_carried = not_carried
        .into_iter()
        .map(|(column, (rows, values))| {
            let values: Vec<String> = values.into_iter().map(|v| format!("{v:?}")).collect();
            match values.as_slice() {
                [] => format!("{column} on {rows} row(s)"),
                _ => format!("{column} on {rows} row(s): {}", values.join(", ")),
            }
        })
        .collect();
    Ok(out)
}

/// A fill-down column's last value, and its row.
type LastValue = (String, usize);

/// One section's header and what it fills down.
struct Section<'f> {
    header: Header,
    /// (cell index, the name given to --fill-down, the last value and its row).
    fills: Vec<(usize, &'f String, Option<LastValue>)>,
    /// The pool its title names.
    pool: Option<IpNet>,
    /// The pool a title just read names, for the section whose header comes next.
    next_pool: Option<IpNet>,
}

impl<'f> Section<'f> {
    fn new(header: Header, cells: &[String], fill_down: &'f [String]) -> Section<'f> {
        let normal = |t: &str| -> String {
            t.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect()
        };
        let fills = fill_down
            .iter()
            .filter_map(|name| {
                let index = cells
                    .iter()
                    .position(|c| normal(c) == normal(name))
                    .or_else(|| {
                        column_of(name)
                            .filter(|_| !name.trim().is_empty())
                            .and_then(|c| header.index(c))
                    })?;
                Some((index, name, None))
            })
            .collect();
        Section {
            header,
            fills,
            pool: None,
            next_pool: None,
        }
    }

    fn fill_names(&self) -> impl Iterator<Item = &'f String> + '_ {
        self.fills.iter().map(|(_, name, _)| *name)
    }

    /// The row with its blank fill-down cells taken from above; each one filled is noted.
    fn fill(&mut self, cells: &[String], at: &At, filled: &mut Vec<Filled>) -> Vec<String> {
        let mut cells = cells.to_vec();
        for (index, name, last) in &mut self.fills {
            if cells.len() <= *index {
                cells.resize(*index + 1, String::new());
            }
            match (nonblank(&cells[*index]), &last) {
                (Some(value), _) => *last = Some((value.to_owned(), at.row)),
                (None, Some((value, from_row))) => {
                    cells[*index] = value.clone();
                    filled.push(Filled {
                        at: at.clone(),
                        column: (*name).clone(),
                        value: value.clone(),
                        from_row: *from_row,
                    });
                }
                (None, None) => {}
            }
        }
        cells
    }
}

fn ignore_columns(out: &mut Records, sheet: &Sheet, header: &Header) {
    let prefix = sheet
        .name
        .as_ref()
        .map(|s| format!("{s}: "))
        .unwrap_or_default();
    for h in header.unknown.iter().chain(&header.repeated) {
        let named = format!("{prefix}{h}");
        if !out.ignored_columns.contains(&named) {
            out.ignored_columns.push(named);
        }
    }
}

fn count_not_carried(header: &Header, cells: &[String], counts: &mut NotCarried) {
    for (column, label) in Column::NOT_CARRIED {
        let Some(value) = header.cell(cells, column) else {
            continue;
        };
        // NetBox's table names the global table "Global"; "False": not assigned.
        let nothing = match column {
            Column::Vrf => value.eq_ignore_ascii_case("global"),
            Column::Interface => value.eq_ignore_ascii_case("false"),
            _ => false,
        };
        if nothing {
            continue;
        }
        let entry = counts.entry(label).or_default();
        entry.0 += 1;
        if column == Column::Vrf {
            entry.1.insert(value.to_owned());
        }
    }
}

/// A title row naming a prefix: one cell, starting with a CIDR (`10.20.0.0/24 -
/// Servers (vlan: 20 - Servers)`).
fn title_pool(cells: &[String]) -> Option<IpNet> {
    let mut filled = cells.iter().filter_map(|c| nonblank(c));
    let (Some(title), None) = (filled.next(), filled.next()) else {
        return None;
    };
    let first = title.split_whitespace().next()?;
    first.contains('/').then(|| parse_cidr(first).ok())?
}

/// Whether a cell holds an address or prefix (so its row is data, not a header).
fn holds_address(cell: &str) -> bool {
    let text = cell.trim();
    let first = text.split([' ', '/', '-']).next().unwrap_or_default();
    first.parse::<IpAddr>().is_ok()
}

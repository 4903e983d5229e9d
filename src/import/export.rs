//! Export: the tree as rows that `carve import` reads back into the same tree. Every
//! root, every leaf (free ones too: they fix where blocks are split) and every block
//! that says something; every address with its pool. Written as CSV (cells that a
//! spreadsheet would run as a formula get a leading `'`, which import takes off again)
//! or as a minimal XLSX workbook.

use std::io::Write;

use ipnet::IpNet;

use super::plan::{Existing, ExistingSubnet, Meaning};
use crate::engine::prefix::{net_and_supernets, parent};
use crate::error::{Error, Result};

pub const HEADER: [&str; 11] = [
    "subnet",
    "ip",
    "status",
    "customer",
    "location",
    "vlan",
    "description",
    "purpose",
    "device",
    "pool",
    "rdns",
];

/// The rows of an export, header first.
pub fn rows(tree: &Existing) -> Vec<[String; 11]> {
    let mut cidrs: Vec<&IpNet> = tree.subnets.keys().collect();
    cidrs.sort();
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut rows = vec![HEADER.map(str::to_owned)];
    for cidr in cidrs {
        let s = &tree.subnets[cidr];
        let root = parent(cidr).is_none_or(|p| !tree.subnets.contains_key(&p));
        if !root && s.subdivided && s.meaning == Meaning::default() {
            continue;
        }
        let m = &s.meaning;
        rows.push([
            cidr.to_string(),
            String::new(),
            status(s),
            text(&m.customer),
            text(&m.location),
            m.vlan.map(|v| v.to_string()).unwrap_or_default(),
            text(&m.description),
            text(&m.purpose),
            text(&m.device),
            if m.pool { "yes" } else { "" }.to_owned(),
            String::new(),
        ]);
    }
    let mut addresses: Vec<_> = tree.ips.iter().collect();
    addresses.sort_by_key(|(address, _)| **address);
    for (address, ip) in addresses {
        let pool = net_and_supernets(&IpNet::from(*address))
            .find(|s| tree.subnets.contains_key(s))
            .map(|p| p.to_string())
            .unwrap_or_default();
        rows.push([
            pool,
            address.to_string(),
            match (ip.reserved, ip.parked) {
                (true, true) => "reserved, parked",
                (true, false) => "reserved",
                (false, true) => "parked",
                (false, false) => "used",
            }
            .to_owned(),
            text(&ip.customer),
            String::new(),
            ip.vlan.map(|v| v.to_string()).unwrap_or_default(),
            text(&ip.description),
            text(&ip.purpose),
            text(&ip.device),
            String::new(),
            text(&ip.rdns),
        ]);
    }
    rows
}

fn status(s: &ExistingSubnet) -> String {
    let held = s.meaning.status.map(|status| status.as_str());
    match (s.meaning.parked, s.subdivided, held) {
        (true, false, Some(held)) => format!("{held}, parked"),
        (true, _, _) => "parked".to_owned(),
        (false, true, _) => String::new(),
        (false, false, Some(held)) => held.to_owned(),
        (false, false, None) => "free".to_owned(),
    }
}

/// RFC 4180 CSV, CRLF line ends.
pub fn csv(rows: &[[String; 11]]) -> String {
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

fn csv_cell(cell: &str) -> String {
    // A leading = + - @ (or tab, carriage return) makes spreadsheets run the cell as a
    // formula.
    let cell = if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    };
    if cell.contains([',', '"', '\n', '\r']) || cell.trim() != cell {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell
    }
}

/// A workbook with one sheet, "carve", every cell an inline string.
pub fn xlsx(rows: &[[String; 11]]) -> Result<Vec<u8>> {
    let mut sheet = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>",
    );
    for (r, row) in rows.iter().enumerate() {
        sheet.push_str(&format!("<row r=\"{}\">", r + 1));
        for (c, cell) in row.iter().enumerate().filter(|(_, c)| !c.is_empty()) {
            let column = char::from(b'A' + c as u8);
            sheet.push_str(&format!(
                "<c r=\"{column}{}\" t=\"inlineStr\"><is><t xml:space=\"preserve\">{}</t></is></c>",
                r + 1,
                xml_text(cell)
            ));
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    let parts = [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", ROOT_RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        ("xl/worksheets/sheet1.xml", sheet.as_str()),
    ];
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let failed = |e: &dyn std::fmt::Display| Error::internal(format!("writing XLSX: {e}"));
    for (name, content) in parts {
        zip.start_file(name, options).map_err(|e| failed(&e))?;
        zip.write_all(content.as_bytes()).map_err(|e| failed(&e))?;
    }
    let done = zip.finish().map_err(|e| failed(&e))?;
    Ok(done.into_inner())
}

/// Text as XML character data; characters XML cannot hold (most control characters)
/// are left out.
fn xml_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="carve" sheetId="1" r:id="rId1"/></sheets></workbook>"#;

const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_cell("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(csv_cell("a, b"), "\"a, b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell(" padded"), "\" padded\"");
        assert_eq!(csv_cell("2001:db8::/48"), "2001:db8::/48");
    }

    #[test]
    fn an_xlsx_reads_back_with_calamine() {
        use calamine::{Data, Reader, Xlsx};
        let mut rows = vec![HEADER.map(str::to_owned)];
        let mut row = HEADER.map(|_| String::new());
        row[0] = "10.0.0.0/24".into();
        row[3] = "Acme <&> \u{1b}[31m".into();
        rows.push(row);
        let bytes = xlsx(&rows).unwrap();
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range("carve").unwrap();
        assert_eq!(range.get((0, 0)), Some(&Data::String("subnet".into())));
        assert_eq!(
            range.get((1, 3)),
            Some(&Data::String("Acme <&> [31m".into()))
        );
    }
}

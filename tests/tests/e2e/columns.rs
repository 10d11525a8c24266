//! The catalogue's column lists are the Log Analytics ones: parsed here from the reference
//! (`../shared/reference/entra-log-formats.md` §c), not copied. And the Parquet files carry the
//! schema the catalogue declares, as pyarrow reads it.

use aad_schemas::catalogue::extra;
use aad_schemas::{Catalogue, LaType};
use aad_tests::{convert_into, parquet_files, pyarrow_schema, reference_dir};

/// `(name, type)` of every column listed under `### <table>` in §c.
fn reference_columns(doc: &str, table: &str) -> Vec<(String, String)> {
    let heading = format!("### {table} ");
    let start = doc
        .lines()
        .position(|l| l.starts_with(&heading))
        .unwrap_or_else(|| panic!("no {table} in reference"));
    let para: Vec<&str> = doc
        .lines()
        .skip(start + 1)
        .take_while(|l| !l.trim().is_empty() && !l.starts_with("=>") && !l.starts_with('('))
        .collect();
    let text = para.join(" ").replace("**", "");
    if let Some(other) = text.strip_prefix("Column list is identical to ") {
        let other = other.split_whitespace().next().unwrap();
        return reference_columns(doc, other);
    }
    let mut cols = Vec::new();
    for item in text.split('·') {
        // Drop notes in parentheses and a trailing full stop.
        let item = item
            .split(" (")
            .next()
            .unwrap()
            .trim()
            .trim_end_matches('.')
            .trim();
        if let Some((names, ty)) = item
            .split_once(':')
            .or_else(|| item.contains(',').then(|| item.rsplit_once(' ').unwrap()))
        {
            // "A, B, C: string" or "A, B, C string"
            for n in names.split(',') {
                cols.push((n.trim().to_string(), ty.trim().to_string()));
            }
        } else {
            let (name, ty) = item
                .rsplit_once(' ')
                .unwrap_or_else(|| panic!("cannot read {item:?} of {table}"));
            cols.push((name.trim().to_string(), ty.trim().to_string()));
        }
    }
    cols
}

#[test]
fn every_table_has_exactly_the_log_analytics_columns() {
    let doc = std::fs::read_to_string(reference_dir().join("entra-log-formats.md")).unwrap();
    let section = &doc[doc.find("## c. Log Analytics table column lists").unwrap()..];
    let section = &section[..section.find("### c.x").unwrap()];
    let cat = Catalogue::get();
    let mut checked = 0;
    for table in cat.source_tables().filter(|t| !t.is_unknown) {
        let ours: Vec<(String, String)> = table
            .columns
            .iter()
            .map(|c| (c.name.to_string(), c.la_type.la_name().to_string()))
            .collect();
        // Same names, same types, same (Log Analytics) order.
        assert_eq!(
            ours,
            reference_columns(section, table.name),
            "{}",
            table.name
        );
        checked += 1;
    }
    assert_eq!(checked, 12);
}

#[test]
fn parquet_files_carry_the_catalogue_schema_as_pyarrow_reads_it() {
    let lake = tempfile::tempdir().unwrap();
    convert_into(&[aad_tests::samples_dir()], lake.path());
    let cat = Catalogue::get();
    let mut tables_seen = std::collections::BTreeSet::new();
    for file in parquet_files(lake.path()) {
        let table_name = file
            .to_string_lossy()
            .split("table=")
            .nth(1)
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .to_string();
        let table = cat.by_name(&table_name).unwrap();
        let got = pyarrow_schema(&file);
        let mut expected: Vec<(String, LaType)> = table
            .columns
            .iter()
            .map(|c| (c.name.to_string(), c.la_type))
            .collect();
        expected.extend(
            aad_schemas::schema::trailing_columns(table)
                .into_iter()
                .map(|(n, t)| (n.to_string(), t)),
        );
        assert_eq!(got.len(), expected.len(), "{}", file.display());
        for ((name, arrow, logical), (ename, ela)) in got.iter().zip(&expected) {
            assert_eq!(name, ename, "{}", file.display());
            let (want_arrow, want_logical) = match ela {
                LaType::String | LaType::Guid => ("string", "STRING"),
                LaType::Dynamic => ("extension<arrow.json>", "JSON"),
                LaType::Datetime => ("timestamp[us, tz=UTC]", "TIMESTAMP"),
                LaType::Int => ("int32", "NONE"),
                LaType::Long => ("int64", "NONE"),
                LaType::Real => ("double", "NONE"),
                LaType::Bool => ("bool", "NONE"),
            };
            assert_eq!(
                (arrow.as_str(), logical.as_str()),
                (want_arrow, want_logical),
                "{table_name}.{name}"
            );
        }
        assert!(got
            .iter()
            .any(|c| c.0 == extra::ADDITIONAL_FIELDS && c.2 == "JSON"));
        tables_seen.insert(table_name);
    }
    assert_eq!(tables_seen.len(), 10, "{tables_seen:?}");
}

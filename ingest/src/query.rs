//! `aad-ingest query`: the analyses shipped in `config/queries/`, printed ready to run.
//!
//! Each analysis has a DuckDB query over the lake and a KQL twin over the `<Table>_CL` tables
//! the Log Analytics destination writes (column names after the sink's rename rule). The SQL
//! holds `${LAKE}` where the lake root goes (`read_parquet('${LAKE}/table=SigninLogs/**/*.parquet',
//! hive_partitioning = true, …)`) and `${ALERTS}` / `${REQUESTS}` where a second input goes (a
//! relation: `read_parquet(…)` or `read_json(…)` with the columns the query needs); [`render`]
//! fills them in. The queries are compiled into the binary, so it runs from anywhere.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Context, Result};

/// A file a query takes besides the lake: Defender for Cloud's alerts, Application Insights'
/// requests.
#[derive(Debug)]
pub struct Input {
    /// The name in messages (`alerts`).
    pub name: &'static str,
    /// Where the relation goes in the SQL (`${ALERTS}`).
    pub placeholder: &'static str,
    /// The Log Analytics table the rows come from.
    pub table: &'static str,
    /// The columns the query reads, with the DuckDB type an NDJSON file is read as.
    pub columns: &'static [(&'static str, &'static str)],
}

/// One shipped query and its KQL twin.
#[derive(Debug)]
pub struct Query {
    pub name: &'static str,
    /// `config/queries/<path>.sql` and `.kql`.
    pub path: &'static str,
    pub about: &'static str,
    pub sql: &'static str,
    pub kql: &'static str,
    pub inputs: &'static [Input],
}

/// `SecurityAlert` columns the alerts query reads (see `config/queries/alerts/README.md`).
pub const ALERTS: Input = Input {
    name: "alerts",
    placeholder: "${ALERTS}",
    table: "SecurityAlert",
    columns: &[
        ("SystemAlertId", "VARCHAR"),
        ("AlertName", "VARCHAR"),
        ("AlertSeverity", "VARCHAR"),
        ("StartTime", "TIMESTAMPTZ"),
        ("EndTime", "TIMESTAMPTZ"),
        ("CompromisedEntity", "VARCHAR"),
        ("Entities", "JSON"),
    ],
};

/// `AppRequests` columns the performance query reads (see
/// `config/queries/performance/README.md`).
pub const REQUESTS: Input = Input {
    name: "requests",
    placeholder: "${REQUESTS}",
    table: "AppRequests",
    columns: &[
        ("TimeGenerated", "TIMESTAMPTZ"),
        ("Name", "VARCHAR"),
        ("DurationMs", "DOUBLE"),
        ("Success", "BOOLEAN"),
        ("OperationId", "VARCHAR"),
        ("AppRoleName", "VARCHAR"),
        ("UserAuthenticatedId", "VARCHAR"),
        ("ClientIP", "VARCHAR"),
    ],
};

macro_rules! query {
    ($name:literal, $path:literal, $about:literal, $inputs:expr) => {
        Query {
            name: $name,
            path: $path,
            about: $about,
            sql: include_str!(concat!("../../config/queries/", $path, ".sql")),
            kql: include_str!(concat!("../../config/queries/", $path, ".kql")),
            inputs: $inputs,
        }
    };
}

/// Every shipped query, in the order they are listed.
pub const QUERIES: &[Query] = &[
    query!(
        "adal",
        "adal/apps",
        "applications still signing in with ADAL: sign-ins, users, first and last seen",
        &[]
    ),
    query!(
        "adal-signins",
        "adal/signins",
        "every interactive and non-interactive sign-in that used an ADAL library",
        &[]
    ),
    query!(
        "risky-users",
        "risk/users",
        "each risky user's current risk with their detections",
        &[]
    ),
    query!(
        "risk-detections",
        "risk/detections",
        "user and service principal risk detections per day, type and level",
        &[]
    ),
    query!(
        "risky-signins",
        "risk/signins",
        "the sign-ins of a user within an hour of each risk detection",
        &[]
    ),
    query!(
        "risky-service-principals",
        "risk/service-principals",
        "each risky service principal's current risk with its detections",
        &[]
    ),
    query!(
        "alerts",
        "alerts/signins",
        "sign-ins of each security alert's accounts around the alert",
        &[ALERTS]
    ),
    query!(
        "performance",
        "performance/signins",
        "sign-ins with their Application Insights requests",
        &[REQUESTS]
    ),
];

/// The query of this name, or an error listing them all.
pub fn find(name: &str) -> Result<&'static Query> {
    QUERIES
        .iter()
        .find(|q| q.name == name)
        .with_context(|| format!("no query named {name:?}; the queries are:\n{}", list()))
}

/// The queries, one a line: name, inputs, what it shows.
pub fn list() -> String {
    let mut s = String::new();
    for q in QUERIES {
        let inputs: String = q
            .inputs
            .iter()
            .map(|i| format!(" --input <{}>", i.name))
            .collect();
        let _ = writeln!(s, "  {:<26} {}{}", q.name, q.about, inputs);
    }
    s
}

/// Schemes DuckDB reads a lake from (with its azure or httpfs extension), as the lake's
/// object-store URLs spell them.
const REMOTE_SCHEMES: &[&str] = &["az", "azure", "abfss", "s3", "gs", "gcs"];

/// Where the lake is, as DuckDB should read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lake {
    /// An absolute local directory.
    Local(String),
    /// An object-store URL, without a trailing slash.
    Remote { scheme: String, url: String },
}

impl Lake {
    /// `dir` or `file://…` (which must exist), or a URL of [`REMOTE_SCHEMES`].
    pub fn parse(lake: &str) -> Result<Lake> {
        if let Some((scheme, rest)) = lake.split_once("://") {
            let scheme = scheme.to_ascii_lowercase();
            if scheme == "file" {
                return Lake::local(rest);
            }
            if !REMOTE_SCHEMES.contains(&scheme.as_str()) {
                bail!(
                    "--lake {lake:?}: DuckDB reads a lake from a directory or {} URLs",
                    REMOTE_SCHEMES
                        .iter()
                        .map(|s| format!("{s}://"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            if rest.trim_matches('/').is_empty() {
                bail!("--lake {lake:?} names no bucket or container");
            }
            return Ok(Lake::Remote {
                url: format!("{scheme}://{}", rest.trim_end_matches('/')),
                scheme,
            });
        }
        Lake::local(lake)
    }

    fn local(dir: &str) -> Result<Lake> {
        let abs = std::fs::canonicalize(dir)
            .with_context(|| format!("--lake {dir:?}: no such directory"))?;
        if !abs.is_dir() {
            bail!("--lake {dir:?} is not a directory");
        }
        Ok(Lake::Local(abs.to_string_lossy().into_owned()))
    }

    pub fn root(&self) -> &str {
        match self {
            Lake::Local(d) => d,
            Lake::Remote { url, .. } => url,
        }
    }
}

/// A string as a SQL literal's contents (quotes doubled).
fn sql_text(s: &str) -> String {
    s.replace('\'', "''")
}

/// The DuckDB relation reading an input file: Parquet as it is, NDJSON (or a JSON array) with the
/// input's columns and types, so a column missing from every record is NULL, not an error.
pub fn input_relation(input: &Input, file: &str) -> Result<String> {
    let path = if file.contains("://") {
        file.to_string()
    } else {
        std::fs::canonicalize(file)
            .with_context(|| format!("--input {file:?} ({}): no such file", input.name))?
            .to_string_lossy()
            .into_owned()
    };
    let lower = path.to_ascii_lowercase();
    let lower = lower
        .strip_suffix(".gz")
        .or_else(|| lower.strip_suffix(".zst"))
        .unwrap_or(&lower);
    if lower.ends_with(".parquet") {
        return Ok(format!("read_parquet('{}')", sql_text(&path)));
    }
    if [".ndjson", ".jsonl", ".json"]
        .iter()
        .any(|x| lower.ends_with(x))
    {
        let columns: Vec<String> = input
            .columns
            .iter()
            .map(|(c, t)| format!("{c}: '{t}'"))
            .collect();
        return Ok(format!(
            "read_json('{}', format = 'auto', columns = {{{}}})",
            sql_text(&path),
            columns.join(", ")
        ));
    }
    bail!(
        "--input {file:?} ({}): give a .parquet, .ndjson, .jsonl or .json file of {} rows",
        input.name,
        input.table
    )
}

/// The query's SQL with the lake and its inputs filled in, after a comment saying what it is
/// (and, for a remote lake, how DuckDB gets the credentials).
pub fn render(query: &Query, lake: &Lake, inputs: &[String]) -> Result<String> {
    if inputs.len() != query.inputs.len() {
        let wanted = if query.inputs.is_empty() {
            "no --input".to_string()
        } else {
            query
                .inputs
                .iter()
                .map(|i| {
                    format!(
                        "--input <{}: a Parquet or NDJSON file of {} rows with {}>",
                        i.name,
                        i.table,
                        i.columns.iter().map(|c| c.0).collect::<Vec<_>>().join(", ")
                    )
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        bail!(
            "query {:?} takes {wanted}, got {} --input",
            query.name,
            inputs.len()
        );
    }
    let mut sql = query.sql.replace("${LAKE}", &sql_text(lake.root()));
    for (input, file) in query.inputs.iter().zip(inputs) {
        sql = sql.replace(input.placeholder, &input_relation(input, file)?);
    }
    debug_assert!(!sql.contains("${"), "a placeholder left in {}", query.path);
    let mut out = format!(
        "-- aad-ingest query {}: {}\n-- config/queries/{}.sql over the lake {}\n",
        query.name,
        query.about,
        query.path,
        lake.root()
    );
    if let Lake::Remote { scheme, .. } = lake {
        let hint = match scheme.as_str() {
            "s3" => "CREATE SECRET (TYPE s3, PROVIDER credential_chain);",
            "gs" | "gcs" => {
                "CREATE SECRET (TYPE gcs, KEY_ID '<HMAC key>', SECRET '<HMAC secret>');"
            }
            _ => "CREATE SECRET (TYPE azure, PROVIDER credential_chain, ACCOUNT_NAME '<account>');",
        };
        let _ = writeln!(
            out,
            "-- DuckDB needs credentials for {scheme}:// first: {hint}"
        );
    }
    out.push_str(&sql);
    Ok(out)
}

/// The KQL twin, after a comment saying what it is.
pub fn render_kql(query: &Query) -> String {
    format!(
        "// aad-ingest query {} --kql: {}\n// config/queries/{}.kql, over the _CL tables aad-ingest writes to Log Analytics\n{}",
        query.name, query.about, query.path, query.kql
    )
}

/// The lake tables (`table=<Table>`) a query reads.
pub fn tables(query: &Query) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = query
        .sql
        .split("/table=")
        .skip(1)
        .filter_map(|rest| rest.split('/').next())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The tables a query reads that a local lake holds no Parquet file of (DuckDB refuses a
/// pattern that matches no file).
pub fn missing_tables(query: &Query, lake: &Lake) -> Vec<&'static str> {
    let Lake::Local(root) = lake else {
        return Vec::new();
    };
    tables(query)
        .into_iter()
        .filter(|t| !has_parquet(&Path::new(root).join(format!("table={t}"))))
        .collect()
}

fn has_parquet(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|e| {
        let p = e.path();
        if p.is_dir() {
            has_parquet(&p)
        } else {
            p.extension().is_some_and(|x| x == "parquet")
        }
    })
}

/// `aad-ingest query`'s arguments.
#[derive(clap::Args, Debug)]
pub struct QueryArgs {
    /// The query (see the list `aad-ingest query` prints); none lists them.
    pub name: Option<String>,
    /// The lake root: a directory, or an az://, abfss://, s3://, gs:// URL.
    #[arg(long)]
    pub lake: Option<String>,
    /// The second input of `alerts` (SecurityAlert rows) and `performance` (AppRequests rows):
    /// a Parquet or NDJSON file.
    #[arg(long = "input", value_name = "FILE")]
    pub inputs: Vec<String>,
    /// Print the KQL twin, over the `_CL` tables in Log Analytics, instead.
    #[arg(long)]
    pub kql: bool,
}

/// Run `aad-ingest query`: the query on stdout, warnings on stderr.
pub fn run(args: &QueryArgs) -> Result<()> {
    let Some(name) = &args.name else {
        print!("The shipped queries (config/queries/):\n{}", list());
        println!("\naad-ingest query <name> --lake <dir or URL> [--input <file>] | duckdb\naad-ingest query <name> --kql");
        return Ok(());
    };
    let query = find(name)?;
    if args.kql {
        print!("{}", render_kql(query));
        return Ok(());
    }
    let lake = args.lake.as_deref().with_context(|| {
        format!("query {name:?} needs --lake <dir or URL> (or --kql for the Log Analytics twin)")
    })?;
    let lake = Lake::parse(lake)?;
    refuse_a_delta_lake(&lake)?;
    let sql = render(query, &lake, &args.inputs)?;
    for t in missing_tables(query, &lake) {
        eprintln!(
            "warning: the lake {} holds no table={t} files: DuckDB will stop with \"No files found\"",
            lake.root()
        );
    }
    print!("{sql}");
    Ok(())
}

/// The shipped SQL reads the Parquet layout (`table=<T>/…`). A local lake written with
/// `format = "delta"` holds `<T>/_delta_log/` instead, and globbing its files would also count
/// files no commit took: say so rather than print a query that finds nothing.
fn refuse_a_delta_lake(lake: &Lake) -> Result<()> {
    let Lake::Local(dir) = lake else {
        return Ok(());
    };
    let delta = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .find(|e| e.path().join("_delta_log").is_dir());
    if let Some(table) = delta {
        bail!(
            "--lake {dir:?} holds Delta tables (format = \"delta\"); the shipped queries read the Parquet layout (table=<T>/). Read a Delta table through its log, e.g. DuckDB's `SELECT * FROM delta_scan('{}')`",
            table.path().display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delta_lake_is_refused_with_how_to_read_it() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::parse(dir.path().to_str().unwrap()).unwrap();
        refuse_a_delta_lake(&lake).unwrap();
        std::fs::create_dir_all(dir.path().join("SigninLogs/_delta_log")).unwrap();
        let e = refuse_a_delta_lake(&lake).unwrap_err().to_string();
        assert!(
            e.contains("holds Delta tables")
                && e.contains("delta_scan(")
                && e.contains("SigninLogs"),
            "{e}"
        );
    }

    #[test]
    fn every_query_has_its_placeholders_and_no_other() {
        for q in QUERIES {
            assert!(q.sql.contains("${LAKE}/table="), "{}", q.name);
            let mut rest = q.sql.replace("${LAKE}", "");
            for i in q.inputs {
                assert!(
                    rest.contains(i.placeholder),
                    "{} lacks {}",
                    q.name,
                    i.placeholder
                );
                rest = rest.replace(i.placeholder, "");
            }
            assert!(!rest.contains("${"), "{}: an unknown placeholder", q.name);
            assert!(!q.kql.contains("${"), "{}", q.name);
        }
    }

    #[test]
    fn lake_urls_and_dirs() {
        let dir = tempfile::tempdir().unwrap();
        let abs = std::fs::canonicalize(dir.path()).unwrap();
        assert_eq!(
            Lake::parse(&dir.path().to_string_lossy()).unwrap(),
            Lake::Local(abs.to_string_lossy().into_owned())
        );
        assert_eq!(
            Lake::parse("az://lake/entra/").unwrap().root(),
            "az://lake/entra"
        );
        assert_eq!(
            Lake::parse("abfss://lake@acct.dfs.core.windows.net/entra")
                .unwrap()
                .root(),
            "abfss://lake@acct.dfs.core.windows.net/entra"
        );
        let e = Lake::parse("ftp://x/y").unwrap_err().to_string();
        assert!(e.contains("az://") && e.contains("s3://"), "{e}");
        assert!(Lake::parse("/no/such/lake/dir").is_err());
        assert!(Lake::parse("s3://").is_err());
    }

    #[test]
    fn unknown_names_and_missing_inputs_say_what_is_expected() {
        let e = find("adl").unwrap_err().to_string();
        for q in QUERIES {
            assert!(e.contains(q.name), "{e}");
        }
        let lake = Lake::Remote {
            scheme: "s3".into(),
            url: "s3://b/lake".into(),
        };
        let e = render(find("alerts").unwrap(), &lake, &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("--input <alerts") && e.contains("SecurityAlert"),
            "{e}"
        );
        let e = render(find("adal").unwrap(), &lake, &["x.parquet".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("no --input"), "{e}");
        let sql = render(find("adal").unwrap(), &lake, &[]).unwrap();
        assert!(sql.contains("read_parquet('s3://b/lake/table=SigninLogs/**/*.parquet'"));
        assert!(sql.contains("CREATE SECRET (TYPE s3"));
    }

    #[test]
    fn inputs_read_as_parquet_or_ndjson_with_their_columns() {
        let lake = Lake::Remote {
            scheme: "az".into(),
            url: "az://c/it's".into(),
        };
        let sql = render(
            find("alerts").unwrap(),
            &lake,
            &["az://c/alerts.ndjson".into()],
        )
        .unwrap();
        assert!(sql.contains("'az://c/it''s/table=SigninLogs/"), "{sql}");
        assert!(sql.contains(
            "read_json('az://c/alerts.ndjson', format = 'auto', columns = {SystemAlertId: 'VARCHAR'"
        ));
        let sql = render(
            find("performance").unwrap(),
            &lake,
            &["s3://b/requests.parquet".into()],
        )
        .unwrap();
        assert!(sql.contains("FROM read_parquet('s3://b/requests.parquet')"));
        assert!(input_relation(&REQUESTS, "s3://b/requests.csv").is_err());
    }

    #[test]
    fn tables_read() {
        assert_eq!(
            tables(find("adal").unwrap()),
            ["AADNonInteractiveUserSignInLogs", "SigninLogs"]
        );
        assert_eq!(
            tables(find("risky-service-principals").unwrap()),
            ["AADRiskyServicePrincipals", "AADServicePrincipalRiskEvents"]
        );
    }
}

//! Routing, as a diagnostic setting does it: each destination lists the tables it receives,
//! each route with an optional SQL `where` over the table's columns (compiled by
//! [`aad_schemas::filter`], evaluated on the Arrow batches). Every table must be routed
//! somewhere or dropped on purpose (`drop = [...]`), so nothing disappears silently.

use std::sync::atomic::{AtomicU64, Ordering};

use aad_schemas::asim::{mapping_for, AsimSchema, Mapping};
use aad_schemas::filter::RowFilter;
use aad_schemas::loganalytics::default_stream;
use aad_schemas::{Catalogue, Table, TableId};
use anyhow::{bail, Context, Result};

use crate::config::{
    check_auth, positive, AuthConfig, DestinationConfig, LakeDestinationConfig, Purpose,
    RouteConfig, RouteSchema, RunConfig, LAKE_NAME, MAX_REQUEST_BYTES,
};
use crate::destination::TableBatch;

/// A destination as configured, with the key path that names it in messages (`lake`,
/// `--out`, `destination[2]`).
#[derive(Debug, Clone)]
pub struct Configured {
    pub path: String,
    pub config: DestinationConfig,
    /// A lake's ASIM tables (`[lake] asim`), as written in the config.
    pub asim: Vec<String>,
}

/// Every destination the config (and `convert --out`, as `extra_lake`) asks for, in order.
pub fn configured(
    config: &RunConfig,
    extra_lake: Option<&LakeDestinationConfig>,
) -> Vec<Configured> {
    let lake = |out: &str, nanos: bool, zstd_level: i32, format| {
        DestinationConfig::Lake(LakeDestinationConfig {
            name: LAKE_NAME.into(),
            out: out.into(),
            nanos,
            zstd_level,
            format,
            route: Vec::new(),
        })
    };
    let mut all = Vec::new();
    if let Some(l) = &config.lake {
        all.push(Configured {
            path: "lake".into(),
            config: lake(&l.out, l.nanos, l.zstd_level, l.format),
            asim: l.asim.clone(),
        });
    }
    if let Some(l) = extra_lake {
        all.push(Configured {
            path: "--out".into(),
            config: DestinationConfig::Lake(l.clone()),
            asim: Vec::new(),
        });
    }
    for (i, d) in config.destination.iter().enumerate() {
        all.push(Configured {
            path: format!("destination[{i}]"),
            config: d.clone(),
            asim: Vec::new(),
        });
    }
    all
}

/// One table's route to one destination.
#[derive(Debug)]
pub struct TableRoute {
    pub filter: Option<RowFilter>,
    /// Log Analytics: the DCR input stream and the DCR.
    pub stream: String,
    pub dcr_immutable_id: Option<String>,
    /// `schema = "asim"`: the mapping that turns the table's rows into ASIM rows (after the
    /// `where`, which reads the table's own columns).
    pub asim: Option<&'static Mapping>,
}

/// A destination's routes, by table.
#[derive(Debug, Default)]
pub struct TableRoutes {
    by_table: Vec<Option<TableRoute>>,
    /// A lake's ASIM tables: the rows routed to a mapped table are also written, as ASIM rows,
    /// to its schema's table here.
    asim_tables: Vec<AsimSchema>,
    /// Rows a `where` kept back.
    pub filtered_out: AtomicU64,
}

impl TableRoutes {
    /// Compile a destination's routes; without routes, a lake takes every table whole.
    pub fn compile(d: &Configured) -> Result<TableRoutes> {
        let catalogue = Catalogue::get();
        let mut by_table: Vec<Option<TableRoute>> = catalogue.tables.iter().map(|_| None).collect();
        let routes = d.config.routes();
        let everything = [RouteConfig {
            tables: vec!["*".into()],
            filter: None,
            stream: None,
            dcr_immutable_id: None,
            schema: None,
        }];
        let routes = match (&d.config, routes.is_empty()) {
            (DestinationConfig::Lake(_), true) => &everything[..],
            _ => routes,
        };
        let default_dcr = match &d.config {
            DestinationConfig::Loganalytics(la) => la.dcr_immutable_id.clone(),
            DestinationConfig::Lake(_) => None,
        };
        for (j, r) in routes.iter().enumerate() {
            let at = format!("{}.route[{j}]", d.path);
            for table in expand(&r.tables).with_context(|| format!("{at}.tables"))? {
                let slot = &mut by_table[table.id.0 as usize];
                if slot.is_some() {
                    bail!(
                        "{at}.tables: {} is already in another route of this destination",
                        table.name
                    );
                }
                // The `where` reads the table's own columns, before the ASIM mapping.
                let asim = match r.schema {
                    None => None,
                    Some(RouteSchema::Asim) => {
                        Some(asim_mapping(table).with_context(|| format!("{at}.schema"))?)
                    }
                };
                let filter =
                    match &r.filter {
                        Some(sql) => Some(RowFilter::compile(sql, table).map_err(|e| {
                            anyhow::anyhow!("{at}.where: {e} (table {})", table.name)
                        })?),
                        None => None,
                    };
                let stream = match (&r.stream, asim) {
                    (Some(s), _) => s.clone(),
                    (None, Some(m)) => m.schema.default_stream(),
                    (None, None) => default_stream(table.name),
                };
                *slot = Some(TableRoute {
                    filter,
                    stream,
                    dcr_immutable_id: r.dcr_immutable_id.clone().or(default_dcr.clone()),
                    asim,
                });
            }
        }
        let mut asim_tables = Vec::new();
        for name in &d.asim {
            match AsimSchema::ALL.into_iter().find(|s| s.name() == name) {
                Some(s) if !asim_tables.contains(&s) => asim_tables.push(s),
                Some(_) => bail!("{}.asim: {name} is listed twice", d.path),
                None => bail!(
                    "{}.asim: unknown ASIM schema {name:?} (known: {})",
                    d.path,
                    AsimSchema::ALL.map(AsimSchema::name).join(", ")
                ),
            }
        }
        Ok(TableRoutes {
            by_table,
            asim_tables,
            filtered_out: AtomicU64::new(0),
        })
    }

    pub fn get(&self, table: TableId) -> Option<&TableRoute> {
        self.by_table.get(table.0 as usize).and_then(Option::as_ref)
    }

    /// Tables this destination receives.
    pub fn tables(&self) -> impl Iterator<Item = (TableId, &TableRoute)> {
        self.by_table
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.as_ref().map(|r| (TableId(i as u16), r)))
    }

    /// The rows of `batches` this destination receives.
    pub fn route(&self, batches: &[TableBatch]) -> Result<Vec<TableBatch>> {
        let mut out = Vec::with_capacity(batches.len());
        let mut dropped = 0u64;
        for (table, hour, batch) in batches {
            let Some(route) = self.get(*table) else {
                continue;
            };
            let kept = match &route.filter {
                None => batch.clone(),
                Some(f) => {
                    let kept = f.apply(batch).with_context(|| {
                        format!(
                            "evaluating `{}` on {}",
                            f.sql(),
                            Catalogue::get().table(*table).name
                        )
                    })?;
                    dropped += (batch.num_rows() - kept.num_rows()) as u64;
                    kept
                }
            };
            if kept.num_rows() == 0 {
                continue;
            }
            let catalogue = Catalogue::get();
            if let Some(m) = mapping_for(catalogue.table(*table).name)
                .filter(|m| self.asim_tables.contains(&m.schema))
            {
                let rows = aad_schemas::asim::normalize(m, &kept)
                    .with_context(|| format!("ASIM rows of {}", m.source_table))?;
                out.push((aad_schemas::asim::table_of(m.schema).id, *hour, rows));
            }
            out.push((*table, *hour, kept));
        }
        self.filtered_out.fetch_add(dropped, Ordering::Relaxed);
        Ok(out)
    }
}

/// The ASIM mapping of a table a `schema = "asim"` route names.
fn asim_mapping(table: &Table) -> Result<&'static Mapping> {
    mapping_for(table.name).ok_or_else(|| {
        anyhow::anyhow!(
            "\"asim\" has no mapping for {} (ASIM mappings exist for {})",
            table.name,
            aad_schemas::asim::MAPPINGS
                .iter()
                .map(|m| m.source_table)
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// Table names (or `"*"`) to tables.
fn expand(names: &[String]) -> Result<Vec<&'static Table>> {
    let catalogue = Catalogue::get();
    if names.is_empty() {
        bail!("must name at least one table, or \"*\"");
    }
    let mut out: Vec<&'static Table> = Vec::new();
    for n in names {
        if n == "*" {
            out.extend(catalogue.source_tables());
        } else {
            match catalogue.by_name(n) {
                Some(t) if t.asim.is_some() => bail!(
                    "{n} is an ASIM table: its rows come from a route with schema = \"asim\" (Log Analytics) or from [lake] asim"
                ),
                Some(t) => out.push(t),
                None => bail!(
                    "unknown table {n:?} (known: {})",
                    catalogue
                        .source_tables()
                        .map(|t| t.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        }
    }
    out.sort_by_key(|t| t.id);
    out.dedup_by_key(|t| t.id);
    Ok(out)
}

/// Check the destinations, their routes and the dead-letter place (called by the config's
/// check; errors name the key path).
pub fn check(config: &RunConfig, purpose: Purpose) -> Result<()> {
    let cli_lake = LakeDestinationConfig {
        name: LAKE_NAME.into(),
        out: "--out".into(),
        nanos: false,
        zstd_level: crate::sink::parquet::DEFAULT_ZSTD_LEVEL,
        format: Default::default(),
        route: Vec::new(),
    };
    let extra = matches!(purpose, Purpose::Convert { extra_lake: true }).then_some(&cli_lake);
    let all = configured(config, extra);
    if all.is_empty() {
        bail!("destination: none configured; add [lake] or a [[destination]]");
    }
    let mut names: Vec<&str> = Vec::new();
    let mut lakes: Vec<&str> = Vec::new();
    for d in &all {
        let name = d.config.name();
        if name.trim().is_empty() {
            bail!("{}.name: must not be empty", d.path);
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            bail!("{}.name: {name:?} may hold only letters, digits, - and _ (it names recovery records)", d.path);
        }
        if names.contains(&name) {
            bail!("{}.name: {name:?} is used by another destination", d.path);
        }
        names.push(name);
        match &d.config {
            DestinationConfig::Lake(l) => {
                lakes.push(&d.path);
                if lakes.len() > 1 {
                    bail!(
                        "{}: a second lake destination (besides {}); configure one lake",
                        d.path,
                        lakes[0]
                    );
                }
                crate::store::check(&l.out).with_context(|| format!("{}.out", d.path))?;
                if !(1..=22).contains(&l.zstd_level) {
                    bail!("{}.zstd_level: must be between 1 and 22", d.path);
                }
                if l.nanos && l.format == crate::config::LakeFormat::Delta {
                    bail!("{}.nanos: Delta has no nanosecond timestamp type; format = \"delta\" stores microseconds", d.path);
                }
                for (j, r) in l.route.iter().enumerate() {
                    if r.stream.is_some() || r.dcr_immutable_id.is_some() || r.schema.is_some() {
                        bail!("{}.route[{j}]: stream, dcr_immutable_id and schema are for Log Analytics destinations", d.path);
                    }
                }
            }
            DestinationConfig::Loganalytics(la) => {
                let at = &d.path;
                check_endpoint(&la.endpoint).with_context(|| format!("{at}.endpoint"))?;
                if matches!(
                    la.auth,
                    AuthConfig::ConnectionString { .. } | AuthConfig::Sas { .. }
                ) {
                    bail!("{at}.auth.method: connection strings and SAS tokens are for Event Hubs; the Logs Ingestion API takes an Entra ID token (managed_identity, workload_identity, client_secret, azure_cli)");
                }
                check_auth(&la.auth, &format!("{at}.auth"))?;
                if !la.audience.starts_with("https://") {
                    bail!(
                        "{at}.audience: must be an https:// URL such as https://monitor.azure.com"
                    );
                }
                if !(1..=64).contains(&la.max_concurrency) {
                    bail!("{at}.max_concurrency: must be between 1 and 64");
                }
                if !(4096..=MAX_REQUEST_BYTES).contains(&la.max_request_bytes) {
                    bail!("{at}.max_request_bytes: must be between 4096 and {MAX_REQUEST_BYTES} (the API's limit on one call)");
                }
                positive(
                    la.request_timeout_secs,
                    &format!("{at}.request_timeout_secs"),
                )?;
                positive(la.auth_wait_secs, &format!("{at}.auth_wait_secs"))?;
                if la.route.is_empty() {
                    bail!("{at}.route: a Log Analytics destination needs at least one [[destination.route]]");
                }
                if let Some(dcr) = &la.dcr_immutable_id {
                    check_dcr(dcr).with_context(|| format!("{at}.dcr_immutable_id"))?;
                }
                for (j, r) in la.route.iter().enumerate() {
                    match (&r.dcr_immutable_id, &la.dcr_immutable_id) {
                        (Some(dcr), _) => check_dcr(dcr)
                            .with_context(|| format!("{at}.route[{j}].dcr_immutable_id"))?,
                        (None, Some(_)) => {}
                        (None, None) => bail!(
                            "{at}.route[{j}].dcr_immutable_id: required, since {at} sets none"
                        ),
                    }
                    if let Some(stream) = &r.stream {
                        if !stream.starts_with("Custom-") || stream.len() <= "Custom-".len() {
                            bail!("{at}.route[{j}].stream: {stream:?} must be a DCR input stream, Custom-<name>");
                        }
                    }
                }
            }
        }
    }
    // Compiling the routes checks tables, duplicates and every `where` against every table.
    let mut routed = vec![false; Catalogue::get().tables.len()];
    for d in &all {
        let routes = TableRoutes::compile(d)?;
        for (t, _) in routes.tables() {
            routed[t.0 as usize] = true;
        }
    }
    let catalogue = Catalogue::get();
    for name in &config.drop {
        let Some(t) = catalogue.by_name(name) else {
            bail!("drop: unknown table {name:?}");
        };
        if routed[t.id.0 as usize] {
            bail!("drop: {name} is also routed to a destination; remove one of the two");
        }
    }
    let unrouted: Vec<&str> = catalogue
        .source_tables()
        .filter(|t| !routed[t.id.0 as usize] && !config.drop.iter().any(|d| d == t.name))
        .map(|t| t.name)
        .collect();
    if !unrouted.is_empty() {
        bail!(
            "route: no destination receives {}; route them, or list them in drop = [...] to discard them on purpose",
            unrouted.join(", ")
        );
    }
    if lakes.is_empty()
        && config
            .dead_letter
            .as_ref()
            .is_none_or(|d| d.out.trim().is_empty())
    {
        bail!("dead_letter.out: required when no lake is configured (with a lake, dead letters go under its root)");
    }
    Ok(())
}

/// `https://…`, or `http://` to a loopback address (a local test double or proxy).
fn check_endpoint(endpoint: &str) -> Result<()> {
    let url = url::Url::parse(endpoint).map_err(|e| anyhow::anyhow!("{endpoint:?}: {e}"))?;
    if !url.username().is_empty() || url.password().is_some() || url.query().is_some() {
        bail!("{endpoint:?} must not carry credentials or a query");
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Domain(d)) => d == "localhost",
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            if loopback {
                Ok(())
            } else {
                bail!("{endpoint:?}: http:// is accepted only for loopback addresses; use https://")
            }
        }
        other => bail!("{endpoint:?}: scheme {other} is not https"),
    }
}

fn check_dcr(dcr: &str) -> Result<()> {
    if !dcr.starts_with("dcr-")
        || dcr.len() < 5
        || !dcr[4..].chars().all(|c| c.is_ascii_alphanumeric())
    {
        bail!("{dcr:?} is not a DCR immutable id (dcr-<32 hex digits>)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ASIM: &str = r#"
[lake]
out = "lake"

[[destination]]
name = "sentinel-asim"
kind = "loganalytics"
endpoint = "https://dce.westeurope-1.ingest.monitor.azure.com"
dcr_immutable_id = "dcr-0123456789abcdef0123456789abcdef"
auth = { method = "managed_identity" }

[[destination.route]]
tables = ["SigninLogs", "AADServicePrincipalSignInLogs", "AuditLogs"]
schema = "asim"
where = "ResultType <> '0'"
"#;

    fn convert(text: &str) -> Result<RunConfig> {
        RunConfig::parse_for(text, Purpose::Convert { extra_lake: false })
    }

    #[test]
    fn an_asim_route_posts_to_the_asim_streams_and_filters_on_the_source_columns() {
        let config = convert(ASIM).unwrap();
        let all = configured(&config, None);
        let routes = TableRoutes::compile(&all[1]).unwrap();
        let cat = Catalogue::get();
        let route = |name: &str| routes.get(cat.by_name(name).unwrap().id).unwrap();
        assert_eq!(
            route("SigninLogs").stream,
            "Custom-ASimAuthenticationEventLogs"
        );
        assert_eq!(
            route("AADServicePrincipalSignInLogs").stream,
            "Custom-ASimAuthenticationEventLogs"
        );
        assert_eq!(route("AuditLogs").stream, "Custom-ASimAuditEventLogs");
        assert_eq!(
            route("AuditLogs").asim.unwrap().source_table,
            "AuditLogs",
            "the audit mapping"
        );
        assert!(route("SigninLogs").filter.is_some());
    }

    #[test]
    fn an_asim_route_naming_a_table_without_a_mapping_is_refused() {
        let text = ASIM.replace("\"AuditLogs\"]", "\"AuditLogs\", \"AADProvisioningLogs\"]");
        let e = format!("{:#}", convert(&text).unwrap_err());
        assert!(
            e.contains("destination[0].route[0].schema: \"asim\" has no mapping for AADProvisioningLogs (ASIM mappings exist for SigninLogs, AADNonInteractiveUserSignInLogs, AADServicePrincipalSignInLogs, AADManagedIdentitySignInLogs, AuditLogs)"),
            "{e}"
        );
        let e = format!(
            "{:#}",
            convert(&ASIM.replace("\"asim\"", "\"ocsf\"")).unwrap_err()
        );
        assert!(e.contains("unknown variant `ocsf`, expected `asim`"), "{e}");
        // The ASIM tables are made, not routed; a lake's ASIM schemas are checked by name.
        let e = format!(
            "{:#}",
            convert(&ASIM.replace("\"AuditLogs\"]", "\"ASimAuditEventLogs\"]")).unwrap_err()
        );
        assert!(
            e.contains("destination[0].route[0].tables: ASimAuditEventLogs is an ASIM table"),
            "{e}"
        );
        let e = format!(
            "{:#}",
            convert(&ASIM.replace("out = \"lake\"", "out = \"lake\"\nasim = [\"Audit\"]"))
                .unwrap_err()
        );
        assert!(
            e.contains(
                "lake.asim: unknown ASIM schema \"Audit\" (known: Authentication, AuditEvent)"
            ),
            "{e}"
        );
    }
}

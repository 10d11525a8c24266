//! What a Log Analytics custom table sees of a catalogue table: its columns under names a
//! custom table accepts, with their Log Analytics types. The Logs Ingestion sink, the generated
//! table and DCR templates, and the shipped KQL queries all use this one mapping.
//!
//! The rename rule (one rule, documented in `config/README.md`):
//! - a name with leading underscores (our position columns) drops them and takes the prefix
//!   `Ingest`: `_SequenceNumber` → `IngestSequenceNumber`;
//! - a name a custom table reserves (`TenantId`, `Type`, `Id`/`id`, `UniqueId`, `Title`,
//!   `_ResourceId`, `_SubscriptionId`, compared without case) takes the prefix `Record`:
//!   `Id` → `RecordId`, `TenantId` → `RecordTenantId`;
//! - a name over 45 characters is cut to 45.
//!
//! After the table's own columns, every stream carries [`ORIGINAL_TIME`]: Log Analytics replaces
//! a `TimeGenerated` more than two days old with the time it received the row, so the event's
//! own time travels in a column of its own as well.
//!
//! The deployment is derived here too: [`arm_template`] and [`bicep`] (one `_CL` custom table
//! per catalogue table, a data collection endpoint, and the data collection rules of
//! [`dcr_groups`]), checked into `config/azure/` and kept current by a test; [`schema_text`] is
//! what `aad-ingest schema` prints.

use std::borrow::Cow;

use crate::asim::AsimSchema;
use crate::catalogue::{Catalogue, LaType, Table};
use crate::schema::trailing_columns;

/// Longest column name a custom table accepts.
pub const MAX_COLUMN_NAME: usize = 45;

/// Names a custom table refuses (compared without case).
pub const RESERVED_NAMES: &[&str] = &[
    "TenantId",
    "Type",
    "Id",
    "UniqueId",
    "Title",
    "_ResourceId",
    "_SubscriptionId",
];

/// The extra column holding the event's own time, a copy of `TimeGenerated`.
pub const ORIGINAL_TIME: &str = "OriginalTimeGenerated";

/// The name a column has in a Log Analytics custom table.
pub fn column_name(name: &str) -> Cow<'_, str> {
    let renamed: Cow<'_, str> = if RESERVED_NAMES.iter().any(|r| r.eq_ignore_ascii_case(name)) {
        Cow::Owned(format!("Record{}", name.trim_start_matches('_')))
    } else if name.starts_with('_') {
        Cow::Owned(format!("Ingest{}", name.trim_start_matches('_')))
    } else {
        Cow::Borrowed(name)
    };
    if renamed.len() > MAX_COLUMN_NAME {
        // Names are ASCII, so any byte index is a character boundary.
        Cow::Owned(renamed[..MAX_COLUMN_NAME].to_string())
    } else {
        renamed
    }
}

/// One column of a table's Log Analytics stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamColumn {
    /// The name in the custom table (after the rename rule).
    pub name: String,
    pub la_type: LaType,
    /// The Arrow column (index into the table's Arrow schema) the value comes from.
    pub arrow_index: usize,
}

/// The columns of a table's stream, in order: its Log Analytics columns, the trailing columns,
/// then [`ORIGINAL_TIME`] (from the time column), each renamed by [`column_name`].
pub fn stream_columns(table: &Table) -> Vec<StreamColumn> {
    let own = table
        .columns
        .iter()
        .map(|c| (c.name, c.la_type))
        .chain(trailing_columns(table));
    let mut cols: Vec<StreamColumn> = own
        .enumerate()
        .map(|(arrow_index, (name, la_type))| StreamColumn {
            name: column_name(name).into_owned(),
            la_type,
            arrow_index,
        })
        .collect();
    if let Some(time) = table.time_column() {
        cols.push(StreamColumn {
            name: ORIGINAL_TIME.to_string(),
            la_type: LaType::Datetime,
            arrow_index: time,
        });
    }
    cols
}

/// The default input stream of a table's route: `Custom-<Table>`.
pub fn default_stream(table: &str) -> String {
    format!("Custom-{table}")
}

/// The custom table a table's rows land in: `<Table>_CL`.
pub fn custom_table(table: &str) -> String {
    format!("{table}_CL")
}

// ---------------------------------------------------------------------------------------------
// Templates: the custom tables, the data collection endpoint and the data collection rules.
// ---------------------------------------------------------------------------------------------

/// Limits of one data collection rule and of one ARM deployment that decide how the catalogue's
/// tables are spread over DCRs.
///
/// - Per DCR (Azure Monitor service limits, "Data collection rules": "Maximum number of data
///   flows: 10", "Maximum number of data streams: 10", "Maximum number of characters in a
///   transformation: 15,360"; <https://learn.microsoft.com/azure/azure-monitor/fundamentals/service-limits#data-collection-rules>,
///   source `MicrosoftDocs/azure-monitor-docs`
///   `articles/azure-monitor/fundamentals/includes/azure-monitor-limits-data-collection-rules.md`,
///   ms.date 2025-05-21). That page gives no limit on columns per stream declaration nor on
///   the size of a DCR.
/// - Per table (same page, "Log Analytics workspaces", general workspace limits: "Maximum
///   columns in a table: 500", "Maximum characters for column name: 45"; include
///   `articles/azure-monitor/logs/includes/azure-monitor-limits-workspaces.md`). A stream here
///   feeds one table with transform `source`, so a stream is held to the table's 500 columns.
/// - Per ARM template ("ARM template best practices", template limits: the template ≤ 4 MB,
///   each resource definition ≤ 1 MB, ≤ 800 resources, ≤ 64 outputs;
///   <https://learn.microsoft.com/azure/azure-resource-manager/templates/best-practices>).
///   The 1 MB per resource is the only size bound a DCR resource has, so a DCR is kept under it.
pub mod limits {
    /// Streams declared in one DCR.
    pub const STREAMS_PER_DCR: usize = 10;
    /// Data flows in one DCR.
    pub const DATA_FLOWS_PER_DCR: usize = 10;
    /// Characters in one data flow's `transformKql`.
    pub const TRANSFORM_CHARS: usize = 15_360;
    /// Columns in a Log Analytics table, hence in a stream that feeds one.
    pub const COLUMNS_PER_TABLE: usize = 500;
    /// Bytes of one resource definition in an ARM template (the DCR's own size bound).
    pub const RESOURCE_BYTES: usize = 1_000_000;
    /// Bytes of one ARM template.
    pub const TEMPLATE_BYTES: usize = 4_000_000;
    /// Resources in one ARM template.
    pub const TEMPLATE_RESOURCES: usize = 800;
    /// Outputs of one ARM template.
    pub const TEMPLATE_OUTPUTS: usize = 64;
}

/// API version of `Microsoft.OperationalInsights/workspaces/tables`.
pub const TABLES_API: &str = "2022-10-01";
/// API version of `Microsoft.Insights/dataCollectionEndpoints` and `…/dataCollectionRules`.
pub const DCR_API: &str = "2023-03-11";
/// The transformation of every data flow: the stream already has the table's shape.
pub const TRANSFORM_KQL: &str = "source";
/// The name the DCRs give the workspace destination.
pub const DESTINATION_NAME: &str = "workspace";

/// A column type as a custom table definition (`workspaces/tables`, `schema.columns[].type`)
/// and a DCR stream declaration spell it: `bool` is `boolean` there. Stream declarations know
/// no `guid`, and a `guid` column fed a `string` by the transform `source` would not match, so
/// `guid` (which the lake stores as text anyway) is `string` in both.
pub fn api_type(t: LaType) -> &'static str {
    match t {
        LaType::String | LaType::Guid => "string",
        LaType::Dynamic => "dynamic",
        LaType::Datetime => "datetime",
        LaType::Int => "int",
        LaType::Long => "long",
        LaType::Real => "real",
        LaType::Bool => "boolean",
    }
}

/// The catalogue's tables grouped into data collection rules: in catalogue order, each DCR
/// taking tables until one more would break a limit of [`limits`]. Deterministic: the same
/// catalogue always gives the same groups, and DCR `N` (1-based) is `groups[N - 1]`.
pub fn dcr_groups() -> Vec<Vec<&'static Table>> {
    let mut groups: Vec<Vec<&'static Table>> = Vec::new();
    for table in Catalogue::get().source_tables() {
        let fits = groups.last().is_some_and(|g| {
            let mut with = g.clone();
            with.push(table);
            within_dcr_limits(&with, groups.len())
        });
        match groups.last_mut() {
            Some(g) if fits => g.push(table),
            _ => groups.push(vec![table]),
        }
    }
    groups
}

/// The 1-based DCR a table is in (see [`dcr_groups`]).
pub fn dcr_of(table: &Table) -> Option<usize> {
    dcr_groups()
        .iter()
        .position(|g| g.iter().any(|t| t.id == table.id))
        .map(|i| i + 1)
}

/// Whether one DCR holding `tables` stays within [`limits`].
fn within_dcr_limits(tables: &[&'static Table], n: usize) -> bool {
    tables.len() <= limits::STREAMS_PER_DCR
        && tables.len() <= limits::DATA_FLOWS_PER_DCR
        && TRANSFORM_KQL.len() <= limits::TRANSFORM_CHARS
        && tables
            .iter()
            .all(|t| stream_columns(t).len() <= limits::COLUMNS_PER_TABLE)
        && dcr_resource(n, &tables.iter().map(|t| table_flow(t)).collect::<Vec<_>>())
            .to_json()
            .len()
            <= limits::RESOURCE_BYTES
}

/// The ARM template's name expression of DCR `n`.
fn dcr_name(n: usize) -> String {
    format!("[format('{{0}}-dcr-{{1}}', parameters('namePrefix'), {n})]")
}

/// The ARM expression of DCR `n`'s resource id.
fn dcr_id(n: usize) -> String {
    format!(
        "resourceId('Microsoft.Insights/dataCollectionRules', format('{{0}}-dcr-{{1}}', parameters('namePrefix'), {n}))"
    )
}

const DCE_ID: &str =
    "resourceId('Microsoft.Insights/dataCollectionEndpoints', format('{0}-dce', parameters('namePrefix')))";

/// The name of the template output holding DCR `n`'s immutable id: `dcr1ImmutableId`.
pub fn immutable_id_output(n: usize) -> String {
    format!("dcr{n}ImmutableId")
}

/// The name of the template output holding the DCE's logs ingestion endpoint.
pub const ENDPOINT_OUTPUT: &str = "logsIngestionEndpoint";

/// A new line indented to `depth`.
fn pad(out: &mut String, depth: usize) {
    out.push('\n');
    out.extend(std::iter::repeat_n("  ", depth));
}

/// A JSON value whose objects keep their keys in the order written, so the generated files are
/// stable byte for byte.
enum Json {
    Str(String),
    Int(i64),
    Arr(Vec<Json>),
    Obj(Vec<(&'static str, Json)>),
    /// An object whose keys are data (stream names).
    Map(Vec<(String, Json)>),
}

impl Json {
    fn s(v: impl Into<String>) -> Json {
        Json::Str(v.into())
    }

    fn to_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, 0);
        out
    }

    /// `{}` when empty, else one `"key": value` a line, indented like the rest.
    fn write_object<'a>(
        fields: impl ExactSizeIterator<Item = (&'a str, &'a Json)>,
        out: &mut String,
        depth: usize,
    ) {
        if fields.len() == 0 {
            out.push_str("{}");
            return;
        }
        out.push('{');
        for (i, (k, v)) in fields.enumerate() {
            if i > 0 {
                out.push(',');
            }
            pad(out, depth + 1);
            out.push_str(&quote(k));
            out.push_str(": ");
            v.write(out, depth + 1);
        }
        pad(out, depth);
        out.push('}');
    }

    fn write(&self, out: &mut String, depth: usize) {
        match self {
            Json::Str(v) => out.push_str(&quote(v)),
            Json::Int(v) => out.push_str(&v.to_string()),
            Json::Arr(items) if items.is_empty() => out.push_str("[]"),
            Json::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    pad(out, depth + 1);
                    item.write(out, depth + 1);
                }
                pad(out, depth);
                out.push(']');
            }
            Json::Obj(fields) => {
                Self::write_object(fields.iter().map(|(k, v)| (*k, v)), out, depth)
            }
            Json::Map(fields) => {
                Self::write_object(fields.iter().map(|(k, v)| (k.as_str(), v)), out, depth)
            }
        }
    }
}

/// A JSON string literal.
fn quote(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// `[{"name": …, "type": …}, …]`: the columns of a table's stream, which are also the columns
/// of its custom table.
fn columns_json(table: &Table) -> Json {
    stream_columns_json(stream_columns(table))
}

fn stream_columns_json(columns: Vec<StreamColumn>) -> Json {
    Json::Arr(
        columns
            .into_iter()
            .map(|c| {
                Json::Obj(vec![
                    ("name", Json::Str(c.name)),
                    ("type", Json::s(api_type(c.la_type))),
                ])
            })
            .collect(),
    )
}

fn table_resource(table: &Table) -> Json {
    let cl = custom_table(table.name);
    Json::Obj(vec![
        (
            "type",
            Json::s("Microsoft.OperationalInsights/workspaces/tables"),
        ),
        ("apiVersion", Json::s(TABLES_API)),
        (
            "name",
            Json::s(format!(
                "[format('{{0}}/{{1}}', parameters('workspaceName'), '{cl}')]"
            )),
        ),
        (
            "properties",
            Json::Obj(vec![
                ("plan", Json::s("Analytics")),
                (
                    "retentionInDays",
                    Json::s("[parameters('retentionInDays')]"),
                ),
                (
                    "schema",
                    Json::Obj(vec![
                        ("name", Json::s(cl)),
                        ("columns", columns_json(table)),
                    ]),
                ),
            ]),
        ),
    ])
}

fn table_id(table: &Table) -> String {
    format!(
        "[resourceId('Microsoft.OperationalInsights/workspaces/tables', parameters('workspaceName'), '{}')]",
        custom_table(table.name)
    )
}

fn dce_resource() -> Json {
    Json::Obj(vec![
        (
            "type",
            Json::s("Microsoft.Insights/dataCollectionEndpoints"),
        ),
        ("apiVersion", Json::s(DCR_API)),
        (
            "name",
            Json::s("[format('{0}-dce', parameters('namePrefix'))]"),
        ),
        ("location", Json::s("[parameters('location')]")),
        (
            "properties",
            Json::Obj(vec![(
                "networkAcls",
                Json::Obj(vec![("publicNetworkAccess", Json::s("Enabled"))]),
            )]),
        ),
    ])
}

/// One data flow of a DCR: an input stream with its columns into an output stream.
struct Flow {
    stream: String,
    columns: Vec<StreamColumn>,
    output: String,
    /// The custom table the flow writes, which the DCR must wait for; `None` for built-in
    /// tables (the ASIM ones).
    table: Option<&'static Table>,
    /// The Bicep variable holding the columns.
    bicep_columns: String,
}

/// A catalogue table's flow: `Custom-<Table>` into `Custom-<Table>_CL`.
fn table_flow(t: &'static Table) -> Flow {
    Flow {
        stream: default_stream(t.name),
        columns: stream_columns(t),
        output: format!("Custom-{}", custom_table(t.name)),
        table: Some(t),
        bicep_columns: format!("columns{}", t.name),
    }
}

/// An ASIM schema's flow: `Custom-<ASIM table>` into the built-in `Microsoft-<ASIM table>`.
fn asim_flow(schema: AsimSchema) -> Flow {
    Flow {
        stream: schema.default_stream(),
        columns: crate::asim::stream_columns(schema),
        output: schema.output_stream(),
        table: None,
        bicep_columns: format!("columns{}", schema.table()),
    }
}

/// The flows of the DCR after [`dcr_groups`]'s, which carries the ASIM streams.
fn asim_flows() -> Vec<Flow> {
    AsimSchema::ALL.into_iter().map(asim_flow).collect()
}

/// The 1-based DCR that carries the ASIM streams: the one after [`dcr_groups`]'s.
pub fn asim_dcr() -> usize {
    dcr_groups().len() + 1
}

/// DCR `n` (1-based) carrying `flows`.
fn dcr_resource(n: usize, flows: &[Flow]) -> Json {
    let depends = flows
        .iter()
        .filter_map(|f| f.table.map(|t| Json::s(table_id(t))))
        .chain([Json::s(format!("[{DCE_ID}]"))])
        .collect();
    let streams = flows
        .iter()
        .map(|f| {
            (
                f.stream.clone(),
                Json::Obj(vec![("columns", stream_columns_json(f.columns.clone()))]),
            )
        })
        .collect();
    let flows = flows
        .iter()
        .map(|f| {
            Json::Obj(vec![
                ("streams", Json::Arr(vec![Json::s(f.stream.clone())])),
                ("destinations", Json::Arr(vec![Json::s(DESTINATION_NAME)])),
                ("transformKql", Json::s(TRANSFORM_KQL)),
                ("outputStream", Json::s(f.output.clone())),
            ])
        })
        .collect();
    Json::Obj(vec![
        ("type", Json::s("Microsoft.Insights/dataCollectionRules")),
        ("apiVersion", Json::s(DCR_API)),
        ("name", Json::s(dcr_name(n))),
        ("location", Json::s("[parameters('location')]")),
        ("dependsOn", Json::Arr(depends)),
        (
            "properties",
            Json::Obj(vec![
                ("dataCollectionEndpointId", Json::s(format!("[{DCE_ID}]"))),
                ("streamDeclarations", Json::Map(streams)),
                (
                    "destinations",
                    Json::Obj(vec![(
                        "logAnalytics",
                        Json::Arr(vec![Json::Obj(vec![
                            (
                                "workspaceResourceId",
                                Json::s("[resourceId('Microsoft.OperationalInsights/workspaces', parameters('workspaceName'))]"),
                            ),
                            ("name", Json::s(DESTINATION_NAME)),
                        ])]),
                    )]),
                ),
                ("dataFlows", Json::Arr(flows)),
            ]),
        ),
    ])
}

/// Marks the generated files carry.
const GENERATED: &str = "Generated from the aad-schemas catalogue by `UPDATE_TEMPLATES=1 cargo test -p aad-schemas --lib loganalytics`; do not edit.";

/// One ARM deployment template (resource group scope) for an existing workspace: a `_CL` custom
/// table per catalogue table, one data collection endpoint, and the data collection rules of
/// [`dcr_groups`] in order (`<namePrefix>-dcr-1`, `-2`, …), each declaring `Custom-<Table>` and
/// a data flow into `Custom-<Table>_CL`. Outputs: [`ENDPOINT_OUTPUT`] and
/// [`immutable_id_output`]`(n)` per DCR.
pub fn arm_template() -> String {
    let groups = dcr_groups();
    let param = |ty: &str, default: Option<Json>, description: &str| {
        let mut p = vec![("type", Json::s(ty))];
        if let Some(d) = default {
            p.push(("defaultValue", d));
        }
        p.push((
            "metadata",
            Json::Obj(vec![("description", Json::s(description))]),
        ));
        Json::Obj(p)
    };
    let mut resources: Vec<Json> = Catalogue::get()
        .source_tables()
        .map(table_resource)
        .collect();
    resources.push(dce_resource());
    resources.extend(groups.iter().enumerate().map(|(i, g)| {
        let flows: Vec<Flow> = g.iter().map(|t| table_flow(t)).collect();
        dcr_resource(i + 1, &flows)
    }));
    resources.push(dcr_resource(asim_dcr(), &asim_flows()));
    let mut outputs: Vec<(String, Json)> = vec![(
        ENDPOINT_OUTPUT.to_string(),
        Json::Obj(vec![
            ("type", Json::s("string")),
            (
                "value",
                Json::s(format!(
                    "[reference({DCE_ID}, '{DCR_API}').logsIngestion.endpoint]"
                )),
            ),
        ]),
    )];
    outputs.extend((1..=asim_dcr()).map(|n| {
        (
            immutable_id_output(n),
            Json::Obj(vec![
                ("type", Json::s("string")),
                (
                    "value",
                    Json::s(format!(
                        "[reference({}, '{DCR_API}').immutableId]",
                        dcr_id(n)
                    )),
                ),
            ]),
        )
    }));
    let template = Json::Obj(vec![
        (
            "$schema",
            Json::s(
                "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            ),
        ),
        ("contentVersion", Json::s("1.0.0.0")),
        (
            "metadata",
            Json::Obj(vec![("description", Json::s(GENERATED))]),
        ),
        (
            "parameters",
            Json::Obj(vec![
                (
                    "workspaceName",
                    param(
                        "string",
                        None,
                        "The existing Log Analytics workspace, in this resource group.",
                    ),
                ),
                (
                    "location",
                    param(
                        "string",
                        Some(Json::s("[resourceGroup().location]")),
                        "Region of the data collection endpoint and rules: the workspace's region.",
                    ),
                ),
                (
                    "namePrefix",
                    param(
                        "string",
                        Some(Json::s("aad-ingest")),
                        "Names: <namePrefix>-dce, <namePrefix>-dcr-1, <namePrefix>-dcr-2, ...",
                    ),
                ),
                (
                    "retentionInDays",
                    param(
                        "int",
                        Some(Json::Int(90)),
                        "Interactive retention of the _CL tables.",
                    ),
                ),
            ]),
        ),
        ("resources", Json::Arr(resources)),
        ("outputs", Json::Map(outputs)),
    ]);
    let mut text = template.to_json();
    text.push('\n');
    text
}

/// A Bicep string literal.
fn bicep_str(s: &str) -> String {
    let escaped = s
        .replace('\\', "\\\\")
        .replace('\'', "\\'")
        .replace("${", "\\${");
    format!("'{escaped}'")
}

/// The same deployment as [`arm_template`], as a Bicep file: the same parameters, resources
/// (tables, DCE, DCRs in order), names, properties and outputs.
pub fn bicep() -> String {
    use std::fmt::Write;
    let groups = dcr_groups();
    let mut b = String::new();
    let _ = writeln!(b, "// {GENERATED}");
    b.push_str(
        "// One _CL custom table per catalogue table, one data collection endpoint, and the data\n\
         // collection rules that carry the Custom-<Table> streams into them.\n\n",
    );
    b.push_str(
        "@description('The existing Log Analytics workspace, in this resource group.')\n\
         param workspaceName string\n\n\
         @description('Region of the data collection endpoint and rules: the workspace\\'s region.')\n\
         param location string = resourceGroup().location\n\n\
         @description('Names: <namePrefix>-dce, <namePrefix>-dcr-1, <namePrefix>-dcr-2, ...')\n\
         param namePrefix string = 'aad-ingest'\n\n\
         @description('Interactive retention of the _CL tables.')\n\
         param retentionInDays int = 90\n\n",
    );
    let _ = writeln!(
        b,
        "resource workspace 'Microsoft.OperationalInsights/workspaces@{TABLES_API}' existing = {{\n  name: workspaceName\n}}\n"
    );
    // The columns of each table's stream, which are also the columns of its custom table.
    let mut dcrs: Vec<Vec<Flow>> = groups
        .iter()
        .map(|g| g.iter().map(|t| table_flow(t)).collect())
        .collect();
    dcrs.push(asim_flows());
    for f in dcrs.iter().flatten() {
        let _ = writeln!(b, "var {} = [", f.bicep_columns);
        for c in &f.columns {
            let _ = writeln!(
                b,
                "  {{\n    name: {}\n    type: {}\n  }}",
                bicep_str(&c.name),
                bicep_str(api_type(c.la_type))
            );
        }
        b.push_str("]\n\n");
    }
    for t in Catalogue::get().source_tables() {
        let cl = bicep_str(&custom_table(t.name));
        let _ = writeln!(
            b,
            "resource table{name} 'Microsoft.OperationalInsights/workspaces/tables@{TABLES_API}' = {{\n  \
             parent: workspace\n  name: {cl}\n  properties: {{\n    plan: 'Analytics'\n    \
             retentionInDays: retentionInDays\n    schema: {{\n      name: {cl}\n      \
             columns: columns{name}\n    }}\n  }}\n}}\n",
            name = t.name
        );
    }
    let _ = writeln!(
        b,
        "resource dce 'Microsoft.Insights/dataCollectionEndpoints@{DCR_API}' = {{\n  \
         name: '${{namePrefix}}-dce'\n  location: location\n  properties: {{\n    \
         networkAcls: {{\n      publicNetworkAccess: 'Enabled'\n    }}\n  }}\n}}\n"
    );
    for (i, g) in dcrs.iter().enumerate() {
        let n = i + 1;
        let _ = writeln!(
            b,
            "resource dcr{n} 'Microsoft.Insights/dataCollectionRules@{DCR_API}' = {{\n  \
             name: '${{namePrefix}}-dcr-{n}'\n  location: location\n  dependsOn: ["
        );
        for t in g.iter().filter_map(|f| f.table) {
            let _ = writeln!(b, "    table{}", t.name);
        }
        b.push_str("  ]\n  properties: {\n    dataCollectionEndpointId: dce.id\n    streamDeclarations: {\n");
        for f in g {
            let _ = writeln!(
                b,
                "      {}: {{\n        columns: {}\n      }}",
                bicep_str(&f.stream),
                f.bicep_columns
            );
        }
        let _ = writeln!(
            b,
            "    }}\n    destinations: {{\n      logAnalytics: [\n        {{\n          \
             workspaceResourceId: workspace.id\n          name: {}\n        }}\n      ]\n    }}\n    \
             dataFlows: [",
            bicep_str(DESTINATION_NAME)
        );
        for f in g {
            let _ = writeln!(
                b,
                "      {{\n        streams: [\n          {}\n        ]\n        destinations: [\n          {}\n        ]\n        \
                 transformKql: {}\n        outputStream: {}\n      }}",
                bicep_str(&f.stream),
                bicep_str(DESTINATION_NAME),
                bicep_str(TRANSFORM_KQL),
                bicep_str(&f.output)
            );
        }
        b.push_str("    ]\n  }\n}\n\n");
    }
    let _ = writeln!(
        b,
        "output {ENDPOINT_OUTPUT} string = dce.properties.logsIngestion.endpoint"
    );
    for n in 1..=dcrs.len() {
        let _ = writeln!(
            b,
            "output {} string = dcr{n}.properties.immutableId",
            immutable_id_output(n)
        );
    }
    b
}

/// What `aad-ingest schema` prints: per table, its custom table's columns and types, its
/// stream, its data flow, its DCR, and the renames the rule applied; then the ASIM streams
/// those tables can feed, with their data flows into the built-in ASIM tables.
pub fn schema_text(tables: &[&Table]) -> String {
    use std::fmt::Write;
    let groups = dcr_groups();
    let mut s = String::new();
    for (i, t) in tables.iter().filter(|t| t.asim.is_none()).enumerate() {
        if i > 0 {
            s.push('\n');
        }
        let cl = custom_table(t.name);
        let stream = default_stream(t.name);
        let _ = writeln!(s, "{} -> {cl}", t.name);
        match groups.iter().position(|g| g.iter().any(|x| x.id == t.id)) {
            Some(g) => {
                let n = g + 1;
                let _ = writeln!(
                    s,
                    "  DCR:       {n} of {} (<namePrefix>-dcr-{n}; immutable id in output {})",
                    groups.len(),
                    immutable_id_output(n)
                );
            }
            None => {
                let _ = writeln!(s, "  DCR:       none (not in the catalogue)");
            }
        }
        let _ = writeln!(s, "  stream:    {stream}");
        let _ = writeln!(
            s,
            "  data flow: {stream} -> Custom-{cl} (transformKql: {TRANSFORM_KQL})"
        );
        let own = t
            .columns
            .iter()
            .map(|c| c.name)
            .chain(trailing_columns(t).into_iter().map(|(n, _)| n));
        let renames: Vec<String> = own
            .filter_map(|n| match column_name(n) {
                Cow::Owned(to) => Some(format!("{n} -> {to}")),
                Cow::Borrowed(_) => None,
            })
            .collect();
        let _ = writeln!(
            s,
            "  renamed:   {}",
            if renames.is_empty() {
                "none".to_string()
            } else {
                renames.join(", ")
            }
        );
        let cols = stream_columns(t);
        let _ = writeln!(s, "  columns ({}):", cols.len());
        let width = cols.iter().map(|c| c.name.len()).max().unwrap_or(0);
        let time = t.time_column();
        for c in &cols {
            let note = if c.name == ORIGINAL_TIME {
                time.map(|i| format!("  (copy of {})", t.columns[i].name))
                    .unwrap_or_default()
            } else {
                String::new()
            };
            let _ = writeln!(s, "    {:width$}  {}{note}", c.name, api_type(c.la_type));
        }
    }
    // The ASIM streams the listed tables can feed (a route with schema = "asim").
    for schema in AsimSchema::ALL {
        let sources: Vec<&crate::asim::Mapping> = crate::asim::MAPPINGS
            .iter()
            .copied()
            .filter(|m| m.schema == schema && tables.iter().any(|t| t.name == m.source_table))
            .collect();
        if sources.is_empty() {
            continue;
        }
        let stream = schema.default_stream();
        let _ = writeln!(
            s,
            "\nASIM {} -> {} (built-in table)",
            schema.name(),
            schema.table()
        );
        let _ = writeln!(
            s,
            "  DCR:       {n} (<namePrefix>-dcr-{n}; immutable id in output {})",
            immutable_id_output(asim_dcr()),
            n = asim_dcr()
        );
        let _ = writeln!(s, "  stream:    {stream}");
        let _ = writeln!(
            s,
            "  data flow: {stream} -> {} (transformKql: {TRANSFORM_KQL})",
            schema.output_stream()
        );
        for m in &sources {
            let _ = writeln!(
                s,
                "  from:      {} by {} {} (Azure/Azure-Sentinel@{})",
                m.source_table,
                m.parser.path,
                m.parser.version,
                &m.parser.commit[..12]
            );
        }
        let cols = crate::asim::stream_columns(schema);
        let _ = writeln!(s, "  columns ({}):", cols.len());
        let width = cols.iter().map(|c| c.name.len()).max().unwrap_or(0);
        for c in &cols {
            let _ = writeln!(s, "    {:width$}  {}", c.name, api_type(c.la_type));
        }
    }
    s
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::Catalogue;

    #[test]
    fn the_rule_renames_reserved_underscored_and_long_names() {
        assert_eq!(column_name("TenantId"), "RecordTenantId");
        assert_eq!(column_name("Id"), "RecordId");
        assert_eq!(column_name("id"), "Recordid");
        assert_eq!(column_name("_ResourceId"), "RecordResourceId");
        assert_eq!(column_name("_SequenceNumber"), "IngestSequenceNumber");
        assert_eq!(column_name("UserPrincipalName"), "UserPrincipalName");
        let long = "A".repeat(50);
        assert_eq!(column_name(&long).len(), 45);
    }

    #[test]
    fn every_stream_has_unique_acceptable_names() {
        for t in Catalogue::get().source_tables() {
            let cols = stream_columns(t);
            let mut seen = std::collections::HashSet::new();
            for c in &cols {
                assert!(c.name.len() <= MAX_COLUMN_NAME, "{}.{}", t.name, c.name);
                assert!(!c.name.starts_with('_'), "{}.{}", t.name, c.name);
                assert!(
                    !RESERVED_NAMES
                        .iter()
                        .any(|r| r.eq_ignore_ascii_case(&c.name)),
                    "{}.{}",
                    t.name,
                    c.name
                );
                assert!(
                    seen.insert(c.name.to_ascii_lowercase()),
                    "{} has {} twice",
                    t.name,
                    c.name
                );
            }
            assert!(cols.len() <= 500, "{}", t.name);
        }
    }

    use serde_json::Value;

    fn template() -> Value {
        serde_json::from_str(&arm_template()).expect("the ARM template is JSON")
    }

    fn resources_of<'a>(t: &'a Value, ty: &str) -> Vec<&'a Value> {
        t["resources"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["type"] == ty)
            .collect()
    }

    fn expected_columns(t: &Table) -> Vec<(String, String)> {
        stream_columns(t)
            .into_iter()
            .map(|c| (c.name, api_type(c.la_type).to_string()))
            .collect()
    }

    fn columns_of(v: &Value) -> Vec<(String, String)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let keys: Vec<&String> = c.as_object().unwrap().keys().collect();
                assert_eq!(keys, ["name", "type"], "{c}");
                (
                    c["name"].as_str().unwrap().to_string(),
                    c["type"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn the_template_has_one_table_per_catalogue_table_with_its_stream_columns() {
        let t = template();
        assert_eq!(
            t["$schema"],
            "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
        );
        let params = &t["parameters"];
        assert_eq!(params["workspaceName"]["type"], "string");
        assert_eq!(
            params["location"]["defaultValue"],
            "[resourceGroup().location]"
        );
        assert_eq!(params["namePrefix"]["defaultValue"], "aad-ingest");
        assert_eq!(params["retentionInDays"]["type"], "int");
        assert_eq!(params["retentionInDays"]["defaultValue"], 90);

        let tables = resources_of(&t, "Microsoft.OperationalInsights/workspaces/tables");
        let cat: Vec<&Table> = Catalogue::get().source_tables().collect();
        assert_eq!(tables.len(), cat.len());
        for (r, table) in tables.iter().zip(cat) {
            let cl = custom_table(table.name);
            assert_eq!(r["apiVersion"], TABLES_API);
            assert_eq!(
                r["name"],
                format!("[format('{{0}}/{{1}}', parameters('workspaceName'), '{cl}')]")
            );
            let schema = &r["properties"]["schema"];
            assert_eq!(schema["name"], cl.as_str());
            assert_eq!(columns_of(&schema["columns"]), expected_columns(table));
            assert_eq!(
                r["properties"]["retentionInDays"],
                "[parameters('retentionInDays')]"
            );
            // A custom table needs a TimeGenerated datetime column.
            assert!(columns_of(&schema["columns"])
                .contains(&("TimeGenerated".to_string(), "datetime".to_string())));
        }
        let dces = resources_of(&t, "Microsoft.Insights/dataCollectionEndpoints");
        assert_eq!(dces.len(), 1);
        assert_eq!(
            dces[0]["name"],
            "[format('{0}-dce', parameters('namePrefix'))]"
        );
        assert_eq!(dces[0]["apiVersion"], DCR_API);
    }

    #[test]
    fn the_last_dcr_carries_each_asim_stream_into_its_built_in_table() {
        let t = template();
        let dcrs = resources_of(&t, "Microsoft.Insights/dataCollectionRules");
        let n = asim_dcr();
        let dcr = dcrs.last().unwrap();
        assert_eq!(dcr["name"], dcr_name(n));
        // Built-in tables: the DCR waits for the DCE only.
        assert_eq!(dcr["dependsOn"], serde_json::json!([format!("[{DCE_ID}]")]));
        let p = &dcr["properties"];
        let flows = p["dataFlows"].as_array().unwrap();
        assert_eq!(flows.len(), 2);
        for (flow, (stream, output)) in flows.iter().zip([
            (
                "Custom-ASimAuthenticationEventLogs",
                "Microsoft-ASimAuthenticationEventLogs",
            ),
            ("Custom-ASimAuditEventLogs", "Microsoft-ASimAuditEventLogs"),
        ]) {
            assert_eq!(flow["streams"], serde_json::json!([stream]));
            assert_eq!(flow["outputStream"], output);
            assert_eq!(flow["transformKql"], TRANSFORM_KQL);
            let cols = columns_of(&p["streamDeclarations"][stream]["columns"]);
            assert!(cols.contains(&("TimeGenerated".into(), "datetime".into())));
            assert!(cols.contains(&("EventResult".into(), "string".into())));
            assert!(cols.contains(&("EventCount".into(), "int".into())));
            assert!(cols.contains(&("AdditionalFields".into(), "dynamic".into())));
        }
        assert!(t["outputs"][immutable_id_output(n)].is_object());
        assert!(bicep().contains(&format!(
            "output {} string = dcr{n}.properties.immutableId",
            immutable_id_output(n)
        )));
        assert!(bicep().contains("outputStream: 'Microsoft-ASimAuditEventLogs'"));
    }

    #[test]
    fn every_dcr_is_within_the_limits_and_every_table_is_in_exactly_one() {
        let text = arm_template();
        let t = template();
        let dcrs = resources_of(&t, "Microsoft.Insights/dataCollectionRules");
        let groups = dcr_groups();
        // The catalogue's DCRs, then the one carrying the ASIM streams.
        assert_eq!(dcrs.len(), groups.len() + 1);
        assert_eq!(asim_dcr(), groups.len() + 1);
        let mut seen: Vec<String> = Vec::new();
        for (i, (dcr, group)) in dcrs.iter().zip(&groups).enumerate() {
            let n = i + 1;
            // In DCR order: the test double hands out immutable ids by position.
            assert_eq!(dcr["name"], dcr_name(n));
            assert_eq!(dcr["apiVersion"], DCR_API);
            let size = serde_json::to_string(dcr).unwrap().len();
            assert!(size <= limits::RESOURCE_BYTES, "dcr {n}: {size} bytes");
            let p = &dcr["properties"];
            assert_eq!(p["dataCollectionEndpointId"], format!("[{DCE_ID}]"));
            let declared: Vec<&String> = p["streamDeclarations"]
                .as_object()
                .unwrap()
                .keys()
                .collect();
            let flows = p["dataFlows"].as_array().unwrap();
            assert!(declared.len() <= limits::STREAMS_PER_DCR, "dcr {n}");
            assert!(flows.len() <= limits::DATA_FLOWS_PER_DCR, "dcr {n}");
            let mut flowing: Vec<&str> = flows
                .iter()
                .flat_map(|f| f["streams"].as_array().unwrap())
                .map(|s| s.as_str().unwrap())
                .collect();
            flowing.sort_unstable();
            let mut declared_sorted: Vec<&str> = declared.iter().map(|s| s.as_str()).collect();
            declared_sorted.sort_unstable();
            assert_eq!(declared_sorted, flowing, "dcr {n}: declared vs flowing");
            let depends: Vec<&str> = dcr["dependsOn"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_str().unwrap())
                .collect();
            assert!(depends.contains(&format!("[{DCE_ID}]").as_str()));
            assert_eq!(
                p["destinations"]["logAnalytics"][0]["name"],
                DESTINATION_NAME
            );
            for (flow, table) in flows.iter().zip(group) {
                let stream = default_stream(table.name);
                assert_eq!(flow["streams"], serde_json::json!([stream]));
                assert_eq!(flow["destinations"], serde_json::json!([DESTINATION_NAME]));
                let kql = flow["transformKql"].as_str().unwrap();
                assert!(kql.len() <= limits::TRANSFORM_CHARS);
                assert_eq!(
                    flow["outputStream"],
                    format!("Custom-{}", custom_table(table.name))
                );
                let cols = &p["streamDeclarations"][&stream]["columns"];
                assert_eq!(columns_of(cols), expected_columns(table), "{stream}");
                assert!(columns_of(cols).len() <= limits::COLUMNS_PER_TABLE);
                assert!(depends.contains(&table_id(table).as_str()), "{stream}");
                seen.push(table.name.to_string());
            }
            let id = &t["outputs"][immutable_id_output(n)];
            assert_eq!(id["type"], "string");
            assert_eq!(
                id["value"],
                format!("[reference({}, '{DCR_API}').immutableId]", dcr_id(n))
            );
        }
        // Every table in exactly one DCR, in catalogue order.
        let all: Vec<String> = Catalogue::get()
            .source_tables()
            .map(|t| t.name.to_string())
            .collect();
        assert_eq!(seen, all);
        // DCR resources follow the tables and the DCE in the resources array.
        let types: Vec<&str> = t["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["type"].as_str().unwrap())
            .collect();
        let first_dcr = types
            .iter()
            .position(|t| *t == "Microsoft.Insights/dataCollectionRules")
            .unwrap();
        assert!(types[first_dcr..]
            .iter()
            .all(|t| *t == "Microsoft.Insights/dataCollectionRules"));
        assert!(t["outputs"][ENDPOINT_OUTPUT]["value"]
            .as_str()
            .unwrap()
            .ends_with(".logsIngestion.endpoint]"));
        // The deployment as a whole.
        assert!(text.len() <= limits::TEMPLATE_BYTES);
        assert!(types.len() <= limits::TEMPLATE_RESOURCES);
        assert!(t["outputs"].as_object().unwrap().len() <= limits::TEMPLATE_OUTPUTS);
        // Today's catalogue: 13 tables, 10 streams per DCR.
        assert_eq!(
            groups.iter().map(Vec::len).collect::<Vec<_>>(),
            [10, Catalogue::get().source_tables().count() - 10]
        );
        assert_eq!(
            dcr_of(Catalogue::get().by_name("SigninLogs").unwrap()),
            Some(1)
        );
    }

    #[test]
    fn template_columns_are_acceptable_and_typed_as_the_api_spells_them() {
        let t = template();
        let allowed = [
            "string", "int", "long", "real", "boolean", "datetime", "dynamic",
        ];
        let mut any_bool = false;
        let tables = resources_of(&t, "Microsoft.OperationalInsights/workspaces/tables");
        let dcrs = resources_of(&t, "Microsoft.Insights/dataCollectionRules");
        let stream_lists = dcrs.iter().flat_map(|d| {
            d["properties"]["streamDeclarations"]
                .as_object()
                .unwrap()
                .values()
                .map(|s| &s["columns"])
        });
        for cols in tables
            .iter()
            .map(|r| &r["properties"]["schema"]["columns"])
            .chain(stream_lists)
        {
            let mut seen = std::collections::HashSet::new();
            let cols = columns_of(cols);
            assert!(cols.len() <= limits::COLUMNS_PER_TABLE);
            for (name, ty) in cols {
                assert!(allowed.contains(&ty.as_str()), "{name}: {ty}");
                any_bool |= ty == "boolean";
                assert!(name.len() <= MAX_COLUMN_NAME, "{name}");
                assert!(!name.starts_with('_'), "{name}");
                assert!(
                    !RESERVED_NAMES.iter().any(|r| r.eq_ignore_ascii_case(&name)),
                    "{name}"
                );
                assert!(
                    name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                    "{name}"
                );
                assert!(seen.insert(name.to_ascii_lowercase()), "{name} twice");
            }
        }
        // The catalogue has bool columns (IsInteractive, …): spelled `boolean`, never `bool`.
        assert!(any_bool);
        assert!(!arm_template().contains("\"type\": \"bool\""));
        assert!(!bicep().contains("type: 'bool'"));
        assert_eq!(api_type(LaType::Bool), "boolean");
        assert_eq!(api_type(LaType::Guid), "string");
    }

    #[test]
    fn the_bicep_file_declares_what_the_template_declares() {
        let b = bicep();
        let groups = dcr_groups();
        assert_eq!(b.matches('{').count(), b.matches('}').count());
        assert_eq!(b.matches('[').count(), b.matches(']').count());
        for p in [
            "param workspaceName string",
            "param location string = resourceGroup().location",
            "param namePrefix string = 'aad-ingest'",
            "param retentionInDays int = 90",
            "output logsIngestionEndpoint string = dce.properties.logsIngestion.endpoint",
        ] {
            assert!(b.contains(p), "{p}");
        }
        // The column lists, parsed back.
        for t in Catalogue::get().source_tables() {
            let start = b
                .find(&format!("var columns{} = [\n", t.name))
                .unwrap_or_else(|| panic!("{}", t.name));
            let block = &b[start..start + b[start..].find("\n]\n").unwrap()];
            let names: Vec<&str> = block
                .lines()
                .filter_map(|l| l.trim().strip_prefix("name: '"))
                .map(|l| l.trim_end_matches('\''))
                .collect();
            let types: Vec<&str> = block
                .lines()
                .filter_map(|l| l.trim().strip_prefix("type: '"))
                .map(|l| l.trim_end_matches('\''))
                .collect();
            let parsed: Vec<(String, String)> = names
                .into_iter()
                .zip(types)
                .map(|(n, t)| (n.to_string(), t.to_string()))
                .collect();
            assert_eq!(parsed, expected_columns(t), "{}", t.name);
            assert_eq!(b.matches(&format!("resource table{} '", t.name)).count(), 1);
            // Declared once and sent once.
            assert_eq!(
                b.matches(&format!("'{}'", default_stream(t.name))).count(),
                2
            );
            assert_eq!(
                b.matches(&format!("'Custom-{}'", custom_table(t.name)))
                    .count(),
                1
            );
        }
        for n in 1..=groups.len() {
            assert!(b.contains(&format!(
                "resource dcr{n} 'Microsoft.Insights/dataCollectionRules@{DCR_API}'"
            )));
            assert!(b.contains(&format!("name: '${{namePrefix}}-dcr-{n}'")));
            assert!(b.contains(&format!(
                "output {} string = dcr{n}.properties.immutableId",
                immutable_id_output(n)
            )));
        }
        // DCRs in order.
        let at: Vec<usize> = (1..=groups.len())
            .map(|n| b.find(&format!("resource dcr{n} ")).unwrap())
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn schema_text_says_where_each_table_goes() {
        let cat = Catalogue::get();
        let signin = cat.by_name("SigninLogs").unwrap();
        let risky = cat.by_name("AADRiskyUsers").unwrap();
        let text = schema_text(&[signin, risky]);
        assert!(text.contains("SigninLogs -> SigninLogs_CL\n"), "{text}");
        assert!(text.contains("  stream:    Custom-SigninLogs\n"), "{text}");
        assert!(text.contains(
            "  data flow: Custom-SigninLogs -> Custom-SigninLogs_CL (transformKql: source)\n"
        ));
        assert!(text.contains("  DCR:       1 of 2 (<namePrefix>-dcr-1; immutable id in output dcr1ImmutableId)\n"), "{text}");
        assert!(text.contains("Id -> RecordId"), "{text}");
        assert!(text.contains("TenantId -> RecordTenantId"), "{text}");
        assert!(
            text.contains("_SequenceNumber -> IngestSequenceNumber"),
            "{text}"
        );
        assert!(text.contains("(copy of TimeGenerated)"), "{text}");
        assert!(text.contains(&format!("  columns ({}):\n", stream_columns(signin).len())));
        let is_deleted = text
            .lines()
            .find(|l| l.trim_start().starts_with("IsDeleted "))
            .unwrap();
        assert!(is_deleted.ends_with(" boolean"), "{is_deleted}");
    }

    const README_BEGIN: &str = "<!-- BEGIN GENERATED: DCRs -->\n";
    const README_END: &str = "<!-- END GENERATED: DCRs -->\n";

    /// The README's table of which table goes through which DCR.
    fn readme_dcrs() -> String {
        let mut s = String::from(
            "| table | custom table | stream | DCR | immutable id output |\n|---|---|---|---|---|\n",
        );
        for (i, g) in dcr_groups().iter().enumerate() {
            for t in g {
                s.push_str(&format!(
                    "| {} | `{}` | `{}` | `<namePrefix>-dcr-{n}` | `{}` |\n",
                    t.name,
                    custom_table(t.name),
                    default_stream(t.name),
                    immutable_id_output(i + 1),
                    n = i + 1,
                ));
            }
        }
        // The ASIM streams (routes with schema = "asim") flow into built-in tables.
        let n = asim_dcr();
        for schema in AsimSchema::ALL {
            let sources: Vec<&str> = crate::asim::MAPPINGS
                .iter()
                .filter(|m| m.schema == schema)
                .map(|m| m.source_table)
                .collect();
            s.push_str(&format!(
                "| {} as ASIM {} | `{}` (built-in) | `{}` | `<namePrefix>-dcr-{n}` | `{}` |\n",
                sources.join(", "),
                schema.name(),
                schema.table(),
                schema.default_stream(),
                immutable_id_output(n),
            ));
        }
        s
    }

    /// `config/azure/README.md` with its generated section replaced by `section`.
    fn with_readme_section(readme: &str, section: &str) -> Option<String> {
        let start = readme.find(README_BEGIN)? + README_BEGIN.len();
        let end = start + readme[start..].find(README_END)?;
        Some(format!("{}{section}{}", &readme[..start], &readme[end..]))
    }

    /// `config/azure/loganalytics.{json,bicep}` and the DCR table of `config/azure/README.md`
    /// are this module's output. After a catalogue change:
    /// `UPDATE_TEMPLATES=1 cargo test -p aad-schemas --lib loganalytics`.
    #[test]
    fn the_generated_files_are_current() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/azure");
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap_or_default();
        let readme = with_readme_section(&readme, &readme_dcrs())
            .expect("config/azure/README.md has the generated DCR section markers");
        let files = [
            ("loganalytics.json", arm_template()),
            ("loganalytics.bicep", bicep()),
            ("README.md", readme),
        ];
        let update = std::env::var_os("UPDATE_TEMPLATES").is_some_and(|v| v == "1");
        for (name, want) in files {
            let path = dir.join(name);
            if update {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &want).unwrap();
                continue;
            }
            let have = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                have == want,
                "{} is stale: run `UPDATE_TEMPLATES=1 cargo test -p aad-schemas --lib loganalytics`",
                path.display()
            );
        }
    }
}

//! The table catalogue: one declarative column list per Log Analytics table.
//!
//! This is the single source of truth. The Arrow schema ([`crate::arrow_schema_for`]), the
//! normalizer ([`crate::normalize`]), the Parquet writer's per-column settings, the Log
//! Analytics templates ([`crate::loganalytics`]) and the generated docs all read it. Column
//! names, order and Log Analytics types follow the Azure Monitor table reference (see
//! `shared/reference/entra-log-formats.md` §c); each column also says where in an Event Hub
//! record its value comes from, and carries every per-column property as a mark on its
//! declaration (`.time()`, `.identifier()`, `.json_text()`).
//!
//! Source rules, applied by the normalizer in priority order:
//! - the sources listed for the column (`Top` = a key of the record, `Prop` = a key of
//!   `properties`); a column without an explicit list takes `properties.<lowerCamel(name)>`;
//! - then the column's own name as a top-level key, so that records already shaped like Log
//!   Analytics rows (PascalCase, no `properties`, quirk §d.10) land in the same columns;
//! - then derived values (tenant and provider from `resourceId`), which consume nothing.

use std::sync::OnceLock;

/// A Log Analytics column type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LaType {
    String,
    /// Any JSON value, kept as UTF-8 JSON text (Parquet JSON logical type).
    Dynamic,
    Datetime,
    Int,
    Long,
    Real,
    Bool,
    Guid,
}

impl LaType {
    /// The KQL name of the type, as the Azure Monitor table reference lists columns. Custom
    /// table definitions and DCR stream declarations spell some differently (`boolean`):
    /// [`crate::loganalytics::api_type`].
    pub fn la_name(self) -> &'static str {
        match self {
            LaType::String => "string",
            LaType::Dynamic => "dynamic",
            LaType::Datetime => "datetime",
            LaType::Int => "int",
            LaType::Long => "long",
            LaType::Real => "real",
            LaType::Bool => "bool",
            LaType::Guid => "guid",
        }
    }
}

/// Where a column's value comes from in an Event Hub record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A key of the record itself (`time`, `tenantId`, `Level`, …).
    Top(&'static str),
    /// A key of the record's `properties` object.
    Prop(&'static str),
    /// The provider segment of the record's `resourceId` (`Microsoft.aadiam`).
    ProviderFromResourceId,
    /// The tenant GUID inside the record's `resourceId` (`/tenants/<id>/…`), quirk §d.20.
    TenantFromResourceId,
}

/// One column of a table, as declared.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: &'static str,
    pub la_type: LaType,
    /// Sources in priority order, the column's own top-level name last but one, derived last.
    pub sources: Vec<Source>,
    /// Values are JSON documents (`dynamic`, or a `string` column Log Analytics fills with
    /// serialized objects or arrays, declared with `.json_text()`): large and nearly all
    /// distinct, so writers skip dictionaries and statistics for them.
    pub holds_json: bool,
    /// Values are identifiers, nearly all distinct (declared with `.identifier()`): a dictionary
    /// only costs time and min/max statistics prune nothing, so writers skip both.
    pub distinct_values: bool,
    /// The table's event time, which partitions rows and becomes Log Analytics'
    /// `TimeGenerated` (declared with `.time()`; at most one per table).
    pub is_time: bool,
}

/// Identifies a table in the catalogue (index into [`Catalogue::tables`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableId(pub u16);

/// A table: its Log Analytics name, the diagnostic-setting categories routed to it, and columns.
#[derive(Debug, Clone)]
pub struct Table {
    pub id: TableId,
    pub name: &'static str,
    /// The category as Entra sends it; the first is canonical.
    pub categories: &'static [&'static str],
    /// The Log Analytics columns, in Log Analytics order.
    pub columns: Vec<Column>,
    /// True for the catch-all table of records whose category is not in the catalogue.
    pub is_unknown: bool,
    /// An ASIM table: its rows are made from other tables' rows by [`crate::asim::normalize`]
    /// (for a lake that asks for them), never from records. Its columns are the schema's
    /// ([`crate::asim::AsimSchema::columns`]) but `AdditionalFields`, which every table carries.
    pub asim: Option<crate::asim::AsimSchema>,
}

impl Table {
    /// Index of a column by name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// Index of the table's time column (the one declared with `.time()`), if it has one.
    pub fn time_column(&self) -> Option<usize> {
        self.columns.iter().position(|c| c.is_time)
    }
}

/// Columns every table carries after its Log Analytics columns, so that nothing is lost and
/// every row can be traced to its origin.
pub mod extra {
    /// JSON object of every field of the record that no column took (or could not be coerced).
    pub const ADDITIONAL_FIELDS: &str = "AdditionalFields";
    /// Where the message came from: input file path / URL, or `eventhubs://<namespace>/<hub>`.
    pub const SOURCE: &str = "_Source";
    /// Event Hubs partition id; null for files.
    pub const PARTITION: &str = "_Partition";
    /// Event Hubs sequence number of the message, or its 1-based line number in a file.
    pub const SEQUENCE_NUMBER: &str = "_SequenceNumber";
    /// Index of the record inside its message (`records[i]`), 0 for a bare record.
    pub const RECORD_INDEX: &str = "_RecordIndex";
    /// When Event Hubs enqueued the message; null for files.
    pub const ENQUEUED_TIME: &str = "_EnqueuedTime";
    /// Name of the column holding the whole record in the unknown-category table.
    pub const RAW_RECORD: &str = "RawRecord";
}

/// The name of the table that receives records whose category is not in the catalogue.
pub const UNKNOWN_TABLE: &str = "UnknownCategoryLogs";

/// All tables.
#[derive(Debug)]
pub struct Catalogue {
    pub tables: Vec<Table>,
}

impl Catalogue {
    /// The catalogue, built once.
    pub fn get() -> &'static Catalogue {
        static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
        CATALOGUE.get_or_init(build)
    }

    pub fn table(&self, id: TableId) -> &Table {
        &self.tables[id.0 as usize]
    }

    pub fn by_name(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// The tables records land in: every table but the ASIM ones.
    pub fn source_tables(&self) -> impl Iterator<Item = &Table> {
        self.tables.iter().filter(|t| t.asim.is_none())
    }

    /// The table for a record's `category`, matched case-insensitively against the categories
    /// Entra sends, their known aliases, and the table names themselves (quirk §d.21).
    pub fn table_for_category(&self, category: &str) -> Option<TableId> {
        self.tables
            .iter()
            .filter(|t| !t.is_unknown && t.asim.is_none())
            .find(|t| {
                t.name.eq_ignore_ascii_case(category)
                    || t.categories
                        .iter()
                        .any(|c| c.eq_ignore_ascii_case(category))
            })
            .map(|t| t.id)
    }

    pub fn unknown_table(&self) -> TableId {
        self.tables
            .iter()
            .find(|t| t.is_unknown)
            .expect("unknown table")
            .id
    }
}

use LaType::{Bool, Datetime, Dynamic, Int, Long, String as Str};
use Source::{Prop, ProviderFromResourceId, Top};

/// A column declaration before defaults are applied. Every per-column fact is declared here,
/// on the column, with the marks below: `c("Id", Str).identifier()`.
struct Decl {
    name: &'static str,
    la_type: LaType,
    sources: &'static [Source],
    json_text: bool,
    identifier: bool,
    time: bool,
}

const fn c(name: &'static str, la_type: LaType) -> Decl {
    s(name, la_type, &[])
}

const fn s(name: &'static str, la_type: LaType, sources: &'static [Source]) -> Decl {
    Decl {
        name,
        la_type,
        sources,
        json_text: false,
        identifier: false,
        time: false,
    }
}

impl Decl {
    /// A `string` column whose values are serialized objects or arrays (reference §c: "string
    /// (serialized JSON) even in SigninLogs"): [`Column::holds_json`]. (`dynamic` columns hold
    /// JSON without the mark.)
    const fn json_text(mut self) -> Decl {
        self.json_text = true;
        self
    }

    /// An identifier column, nearly every value distinct: [`Column::distinct_values`].
    const fn identifier(mut self) -> Decl {
        self.identifier = true;
        self
    }

    /// The table's time column: [`Column::is_time`], [`Table::time_column`].
    const fn time(mut self) -> Decl {
        self.time = true;
        self
    }
}

/// `IPAddress` → `ipAddress`, `ATContent` → `atContent`, `AppId` → `appId`.
pub fn lower_camel(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let upper_run = chars.iter().take_while(|c| c.is_ascii_uppercase()).count();
    let lower_n = match upper_run {
        0 => 0,
        n if n == chars.len() => n,
        1 => 1,
        // "IPAddress": keep the 'A' that starts the next word.
        n => n - 1,
    };
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < lower_n {
                c.to_ascii_lowercase()
            } else {
                *c
            }
        })
        .collect()
}

fn column(decl: &Decl) -> Column {
    let mut sources: Vec<Source> = if decl.sources.is_empty() {
        vec![Prop(Box::leak(lower_camel(decl.name).into_boxed_str()))]
    } else {
        decl.sources.to_vec()
    };
    // Log-Analytics-shaped records carry the column name itself; derived sources stay last.
    let own = Top(decl.name);
    if !sources.contains(&own) {
        let at = sources
            .iter()
            .position(|s| matches!(s, ProviderFromResourceId | Source::TenantFromResourceId))
            .unwrap_or(sources.len());
        sources.insert(at, own);
    }
    debug_assert!(
        !decl.json_text || decl.la_type == LaType::String,
        "{}: only string columns take .json_text()",
        decl.name
    );
    debug_assert!(
        !decl.time || decl.la_type == LaType::Datetime,
        "{}: the time column is a datetime",
        decl.name
    );
    Column {
        name: decl.name,
        la_type: decl.la_type,
        sources,
        holds_json: decl.la_type == LaType::Dynamic || decl.json_text,
        distinct_values: decl.identifier,
        is_time: decl.time,
    }
}

// Sources shared by many tables.
const TIME: &[Source] = &[
    Top("time"),
    Top("TimeGenerated"),
    Prop("createdDateTime"),
    Top("CreatedDateTime"),
];
const AAD_TENANT: &[Source] = &[
    Top("tenantId"),
    Prop("tenantId"),
    Source::TenantFromResourceId,
];
/// `TenantId` in Log Analytics is the workspace; a lake has none, so tables without an
/// `AADTenantId` column keep the Entra tenant here (documented choice).
const TENANT_AS_WORKSPACE: &[Source] = &[
    Top("TenantId"),
    Top("tenantId"),
    Prop("tenantId"),
    Source::TenantFromResourceId,
];
const CATEGORY: &[Source] = &[Top("category"), Top("Category")];
const CORRELATION: &[Source] = &[Top("correlationId"), Prop("correlationId")];
const DURATION: &[Source] = &[Top("durationMs")];
const ID: &[Source] = &[Prop("id")];
const IDENTITY: &[Source] = &[Top("identity")];
const IP: &[Source] = &[Top("callerIpAddress"), Prop("ipAddress")];
const LEVEL: &[Source] = &[Top("Level"), Top("level")];
const LOCATION: &[Source] = &[Top("location")];
const LOCATION_DETAILS: &[Source] = &[Prop("location")];
const OP_NAME: &[Source] = &[Top("operationName")];
const OP_VERSION: &[Source] = &[Top("operationVersion")];
const RESULT_TYPE: &[Source] = &[Top("resultType")];
const RESULT_SIGNATURE: &[Source] = &[Top("resultSignature")];
const RESULT_DESCRIPTION: &[Source] = &[Top("resultDescription")];
const RESOURCE_ID: &[Source] = &[Top("resourceId")];
const RESOURCE_IDENTITY: &[Source] = &[Prop("resourceId")];
const PROVIDER: &[Source] = &[ProviderFromResourceId];
const PROCESSING_TIME: &[Source] = &[Prop("processingTimeInMilliseconds")];
const CA_POLICIES: &[Source] = &[Prop("appliedConditionalAccessPolicies")];
const RISK_V2: &[Source] = &[Prop("riskEventTypes_v2")];

fn build() -> Catalogue {
    // Sign-in columns common to the user sign-in tables, by name; the type differs per table
    // (quirk §d.22), so each table lists its own.
    let signin: Vec<Decl> = vec![
        s("AADTenantId", Str, AAD_TENANT),
        c("AlternateSignInName", Str),
        c("AppDisplayName", Str),
        c("AppId", Str),
        s(
            "AppliedConditionalAccessPolicies",
            Str,
            &[Top("AppliedConditionalAccessPolicies")],
        )
        .json_text(),
        c("AppliedEventListeners", Dynamic),
        c("AuthenticationContextClassReferences", Str).json_text(),
        c("AuthenticationDetails", Str).json_text(),
        c("AuthenticationMethodsUsed", Str),
        c("AuthenticationProcessingDetails", Str).json_text(),
        c("AuthenticationProtocol", Str),
        c("AuthenticationRequirement", Str),
        c("AuthenticationRequirementPolicies", Str).json_text(),
        c("AutonomousSystemNumber", Str),
        s("Category", Str, CATEGORY),
        c("ClientAppUsed", Str),
        s("ConditionalAccessPolicies", Dynamic, CA_POLICIES),
        c("ConditionalAccessStatus", Str),
        s("CorrelationId", Str, CORRELATION).identifier(),
        c("CreatedDateTime", Datetime),
        c("CrossTenantAccessType", Str),
        c("DeviceDetail", Dynamic),
        s("DurationMs", Long, DURATION),
        c("FlaggedForReview", Bool),
        c("HomeTenantId", Str),
        s("Id", Str, ID).identifier(),
        s("Identity", Str, IDENTITY),
        s("IPAddress", Str, IP),
        c("IPAddressFromResourceProvider", Str),
        c("IsInteractive", Bool),
        c("IsRisky", Bool),
        s("Level", Str, LEVEL),
        s("Location", Str, LOCATION),
        s("LocationDetails", Dynamic, LOCATION_DETAILS),
        c("MfaDetail", Dynamic),
        c("NetworkLocationDetails", Str).json_text(),
        s("OperationName", Str, OP_NAME),
        s("OperationVersion", Str, OP_VERSION),
        c("OriginalRequestId", Str).identifier(),
        s("ProcessingTimeInMilliseconds", Str, PROCESSING_TIME),
        s("Resource", Str, &[Top("Resource")]),
        c("ResourceDisplayName", Str),
        s("ResourceGroup", Str, PROVIDER),
        s("ResourceId", Str, RESOURCE_ID),
        s("ResourceIdentity", Str, RESOURCE_IDENTITY),
        s("ResourceProvider", Str, PROVIDER),
        c("ResourceServicePrincipalId", Str),
        c("ResourceTenantId", Str),
        s("ResultDescription", Str, RESULT_DESCRIPTION),
        s("ResultSignature", Str, RESULT_SIGNATURE),
        s("ResultType", Str, RESULT_TYPE),
        c("RiskDetail", Str),
        c("RiskEventTypes", Str),
        s("RiskEventTypes_V2", Str, RISK_V2),
        c("RiskLevel", Str),
        c("RiskLevelAggregated", Str),
        c("RiskLevelDuringSignIn", Str),
        c("RiskState", Str),
        c("ServicePrincipalId", Str),
        c("ServicePrincipalName", Str),
        c("SessionLifetimePolicies", Str).json_text(),
        c("SignInIdentifier", Str),
        c("SignInIdentifierType", Str),
        c("Status", Dynamic),
        s("TimeGenerated", Datetime, TIME).time(),
        c("TokenIssuerName", Str),
        c("TokenIssuerType", Str),
        c("UniqueTokenIdentifier", Str).identifier(),
        c("UserAgent", Str),
        c("UserDisplayName", Str),
        c("UserId", Str),
        c("UserPrincipalName", Str),
        c("UserType", Str),
    ];

    let non_interactive: Vec<Decl> = vec![
        c("AlternateSignInName", Str),
        c("AppDisplayName", Str),
        c("AppId", Str),
        c("AppliedEventListeners", Dynamic),
        c("AuthenticationContextClassReferences", Str).json_text(),
        c("AuthenticationDetails", Str).json_text(),
        c("AuthenticationMethodsUsed", Str),
        c("AuthenticationProcessingDetails", Str).json_text(),
        c("AuthenticationProtocol", Str),
        c("AuthenticationRequirement", Str),
        c("AuthenticationRequirementPolicies", Str).json_text(),
        c("AutonomousSystemNumber", Str),
        s("Category", Str, CATEGORY),
        c("ClientAppUsed", Str),
        s("ConditionalAccessPolicies", Str, CA_POLICIES).json_text(),
        c("ConditionalAccessStatus", Str),
        s("CorrelationId", Str, CORRELATION).identifier(),
        c("CreatedDateTime", Datetime),
        c("CrossTenantAccessType", Str),
        c("DeviceDetail", Str).json_text(),
        s("DurationMs", Long, DURATION),
        c("HomeTenantId", Str),
        s("Id", Str, ID).identifier(),
        s("Identity", Str, IDENTITY),
        s("IPAddress", Str, IP),
        c("IsInteractive", Bool),
        c("IsRisky", Bool),
        s("Level", Str, LEVEL),
        s("Location", Str, LOCATION),
        s("LocationDetails", Str, LOCATION_DETAILS).json_text(),
        c("MfaDetail", Str).json_text(),
        c("NetworkLocationDetails", Str).json_text(),
        s("OperationName", Str, OP_NAME),
        s("OperationVersion", Str, OP_VERSION),
        c("OriginalRequestId", Str).identifier(),
        s("ProcessingTimeInMs", Str, PROCESSING_TIME),
        c("ResourceDisplayName", Str),
        s("ResourceGroup", Str, PROVIDER),
        s("ResourceIdentity", Str, RESOURCE_IDENTITY),
        c("ResourceServicePrincipalId", Str),
        c("ResourceTenantId", Str),
        s("ResultDescription", Str, RESULT_DESCRIPTION),
        s("ResultSignature", Str, RESULT_SIGNATURE),
        s("ResultType", Str, RESULT_TYPE),
        c("RiskDetail", Str),
        c("RiskEventTypes", Str),
        s("RiskEventTypes_V2", Str, RISK_V2),
        c("RiskLevelAggregated", Str),
        c("RiskLevelDuringSignIn", Str),
        c("RiskState", Str),
        c("ServicePrincipalId", Str),
        c("SessionLifetimePolicies", Str).json_text(),
        c("SignInEventTypes", Str),
        c("SignInIdentifierType", Str),
        c("Status", Str).json_text(),
        s("TenantId", Str, TENANT_AS_WORKSPACE),
        s("TimeGenerated", Datetime, TIME).time(),
        c("TokenIssuerName", Str),
        c("TokenIssuerType", Str),
        c("UniqueTokenIdentifier", Str).identifier(),
        c("UserAgent", Str),
        c("UserDisplayName", Str),
        c("UserId", Str),
        c("UserPrincipalName", Str),
        c("UserType", Str),
    ];

    // AADServicePrincipalSignInLogs and AADManagedIdentitySignInLogs share one column list.
    let service_principal = || -> Vec<Decl> {
        vec![
            c("AppId", Str),
            c("AuthenticationContextClassReferences", Str).json_text(),
            c("AuthenticationProcessingDetails", Str).json_text(),
            s("Category", Str, CATEGORY),
            s("ConditionalAccessPolicies", Str, CA_POLICIES).json_text(),
            c("ConditionalAccessStatus", Str),
            s("CorrelationId", Str, CORRELATION).identifier(),
            s("DurationMs", Long, DURATION),
            c("FederatedCredentialId", Str),
            s("Id", Str, ID).identifier(),
            s("Identity", Str, IDENTITY),
            s("IPAddress", Str, IP),
            s("Level", Str, LEVEL),
            s("Location", Str, LOCATION),
            s("LocationDetails", Str, LOCATION_DETAILS).json_text(),
            s("OperationName", Str, OP_NAME),
            s("OperationVersion", Str, OP_VERSION),
            c("ResourceDisplayName", Str),
            s("ResourceGroup", Str, PROVIDER),
            s("ResourceIdentity", Str, RESOURCE_IDENTITY),
            c("ResourceServicePrincipalId", Str),
            s("ResultDescription", Str, RESULT_DESCRIPTION),
            s("ResultSignature", Str, RESULT_SIGNATURE),
            s("ResultType", Str, RESULT_TYPE),
            c("ServicePrincipalCredentialKeyId", Str),
            c("ServicePrincipalCredentialThumbprint", Str),
            c("ServicePrincipalId", Str),
            c("ServicePrincipalName", Str),
            s("TenantId", Str, TENANT_AS_WORKSPACE),
            s("TimeGenerated", Datetime, TIME).time(),
            c("UniqueTokenIdentifier", Str).identifier(),
        ]
    };

    let adfs: Vec<Decl> = vec![
        c("AlternateSignInName", Str),
        c("AppDisplayName", Str),
        c("AppId", Str),
        c("AuthenticationDetails", Str).json_text(),
        c("AuthenticationProcessingDetails", Str).json_text(),
        c("AuthenticationRequirement", Str),
        c("AuthenticationRequirementPolicies", Str).json_text(),
        s("Category", Str, CATEGORY),
        s("ConditionalAccessPolicies", Str, CA_POLICIES).json_text(),
        c("ConditionalAccessStatus", Str),
        s("CorrelationId", Str, CORRELATION).identifier(),
        c("CreatedDateTime", Datetime),
        c("DeviceDetail", Str).json_text(),
        s("DurationMs", Long, DURATION),
        s("Id", Str, ID).identifier(),
        s("Identity", Str, IDENTITY),
        s("IPAddress", Str, IP),
        c("IsInteractive", Bool),
        s("Level", Str, LEVEL),
        s("Location", Str, LOCATION),
        c("NetworkLocationDetails", Str).json_text(),
        s("OperationName", Str, OP_NAME),
        s("OperationVersion", Str, OP_VERSION),
        c("OriginalRequestId", Str).identifier(),
        s("ProcessingTimeInMs", Str, PROCESSING_TIME),
        c("Requirement", Str),
        c("ResourceDisplayName", Str),
        s("ResourceGroup", Str, PROVIDER),
        s("ResourceIdentity", Str, RESOURCE_IDENTITY),
        c("ResourceTenantId", Str),
        s("ResultDescription", Str, RESULT_DESCRIPTION),
        s("ResultSignature", Str, RESULT_SIGNATURE),
        s("ResultType", Str, RESULT_TYPE),
        s("Status", Str, &[Prop("status")]).json_text(),
        s("TenantId", Str, TENANT_AS_WORKSPACE),
        s("TimeGenerated", Datetime, TIME).time(),
        c("TokenIssuerName", Str),
        c("TokenIssuerType", Str),
        c("UniqueTokenIdentifier", Str).identifier(),
        c("UserAgent", Str),
        c("UserDisplayName", Str),
        c("UserId", Str),
        c("UserPrincipalName", Str),
    ];

    let audit: Vec<Decl> = vec![
        s("AADOperationType", Str, &[Prop("operationType")]),
        s("AADTenantId", Str, AAD_TENANT),
        c("ActivityDateTime", Datetime),
        c("ActivityDisplayName", Str),
        c("AdditionalDetails", Dynamic),
        // Holds properties.category (UserManagement, …), as KQL queries expect (§c.y, §d.32).
        s("Category", Str, &[Prop("category")]),
        s("CorrelationId", Str, CORRELATION).identifier(),
        s("DurationMs", Long, DURATION),
        s("Id", Str, ID).identifier(),
        s("Identity", Str, &[Top("identity"), Prop("identity")]),
        c("InitiatedBy", Dynamic),
        s("Level", Str, LEVEL),
        s("Location", Str, LOCATION),
        c("LoggedByService", Str),
        s(
            "OperationName",
            Str,
            &[Top("operationName"), Prop("operationName")],
        ),
        s("OperationVersion", Str, OP_VERSION),
        s("Resource", Str, &[Top("Resource")]),
        s("ResourceGroup", Str, PROVIDER),
        s("ResourceId", Str, RESOURCE_ID),
        s("ResourceProvider", Str, PROVIDER),
        c("Result", Str),
        s(
            "ResultDescription",
            Str,
            &[Top("resultDescription"), Prop("resultDescription")],
        ),
        c("ResultReason", Str),
        s("ResultSignature", Str, RESULT_SIGNATURE),
        s("ResultType", Str, &[Top("resultType"), Prop("resultType")]),
        c("TargetResources", Dynamic),
        s(
            "TimeGenerated",
            Datetime,
            &[Top("time"), Top("TimeGenerated"), Prop("activityDateTime")],
        )
        .time(),
    ];

    let provisioning: Vec<Decl> = vec![
        s("AADTenantId", Str, AAD_TENANT),
        s("Category", Str, CATEGORY),
        c("ChangeId", Str).identifier(),
        s("CorrelationId", Str, CORRELATION).identifier(),
        c("CycleId", Str),
        s(
            "DurationMs",
            Long,
            &[Top("durationMs"), Prop("durationInMilliseconds")],
        ),
        s("Id", Str, ID).identifier(),
        c("InitiatedBy", Str).json_text(),
        c("JobId", Str),
        c("ModifiedProperties", Str).json_text(),
        s("OperationName", Str, OP_NAME),
        s("OperationVersion", Str, OP_VERSION),
        c("ProvisioningAction", Str),
        c("ProvisioningStatusInfo", Str).json_text(),
        c("ProvisioningSteps", Str).json_text(),
        s("ResultDescription", Str, RESULT_DESCRIPTION),
        s("ResultSignature", Str, RESULT_SIGNATURE),
        s("ResultType", Str, RESULT_TYPE),
        c("ServicePrincipal", Str).json_text(),
        c("SourceIdentity", Str).json_text(),
        // The source system of the provisioning cycle; a lake has no agent `SourceSystem`.
        c("SourceSystem", Str).json_text(),
        c("TargetIdentity", Str).json_text(),
        c("TargetSystem", Str).json_text(),
        s("TenantId", Str, &[Top("TenantId")]),
        s(
            "TimeGenerated",
            Datetime,
            &[Top("time"), Top("TimeGenerated"), Prop("activityDateTime")],
        )
        .time(),
    ];

    let risky_users: Vec<Decl> = vec![
        s("CorrelationId", Str, CORRELATION).identifier(),
        s("Id", Str, ID).identifier(),
        c("IsDeleted", Bool),
        c("IsProcessing", Bool),
        s("OperationName", Str, OP_NAME),
        c("RiskDetail", Str),
        c("RiskLastUpdatedDateTime", Datetime),
        c("RiskLevel", Str),
        c("RiskState", Str),
        s("TenantId", Str, TENANT_AS_WORKSPACE),
        s(
            "TimeGenerated",
            Datetime,
            &[
                Top("time"),
                Top("TimeGenerated"),
                Prop("riskLastUpdatedDateTime"),
            ],
        )
        .time(),
        c("UserDisplayName", Str),
        c("UserPrincipalName", Str),
    ];

    // In risk events the record-level correlationId is the detection hash (= Id); the sign-in
    // correlation is properties.correlationId.
    const RISK_CORRELATION: &[Source] = &[Prop("correlationId"), Top("correlationId")];
    const RISK_TIME: &[Source] = &[Top("time"), Top("TimeGenerated"), Prop("detectedDateTime")];
    let user_risk_events: Vec<Decl> = vec![
        c("Activity", Str),
        c("ActivityDateTime", Datetime),
        c("AdditionalInfo", Dynamic),
        s("CorrelationId", Str, RISK_CORRELATION).identifier(),
        c("DetectedDateTime", Datetime),
        c("DetectionTimingType", Str),
        s("Id", Str, ID).identifier(),
        s("IpAddress", Str, &[Prop("ipAddress")]),
        c("LastUpdatedDateTime", Datetime),
        s("Location", Dynamic, LOCATION_DETAILS),
        s("OperationName", Str, OP_NAME),
        c("RequestId", Str).identifier(),
        c("RiskDetail", Str),
        c("RiskEventType", Str),
        c("RiskLevel", Str),
        c("RiskState", Str),
        c("Source", Str),
        s("TenantId", Str, TENANT_AS_WORKSPACE),
        s("TimeGenerated", Datetime, RISK_TIME).time(),
        c("TokenIssuerType", Str),
        c("UserDisplayName", Str),
        c("UserId", Str),
        c("UserPrincipalName", Str),
    ];

    let risky_sps: Vec<Decl> = vec![
        c("AccountEnabled", Bool),
        c("AppId", Str),
        s("CorrelationId", Str, CORRELATION).identifier(),
        c("DisplayName", Str),
        s("Id", Str, ID).identifier(),
        c("IsProcessing", Bool),
        s("OperationName", Str, OP_NAME),
        c("RiskDetail", Str),
        c("RiskLastUpdatedDateTime", Datetime),
        c("RiskLevel", Str),
        c("RiskState", Str),
        c("ServicePrincipalType", Str),
        s("TenantId", Str, TENANT_AS_WORKSPACE),
        s(
            "TimeGenerated",
            Datetime,
            &[
                Top("time"),
                Top("TimeGenerated"),
                Prop("riskLastUpdatedDateTime"),
            ],
        )
        .time(),
    ];

    let sp_risk_events: Vec<Decl> = vec![
        c("Activity", Str),
        c("ActivityDateTime", Datetime),
        c("AdditionalInfo", Dynamic),
        c("AppId", Str),
        s("CorrelationId", Str, RISK_CORRELATION).identifier(),
        c("DetectedDateTime", Datetime),
        c("DetectionTimingType", Str),
        s("Id", Str, ID).identifier(),
        s("IpAddress", Str, &[Prop("ipAddress")]),
        c("KeyIds", Dynamic),
        c("LastUpdatedDateTime", Datetime),
        s("Location", Dynamic, LOCATION_DETAILS),
        s("OperationName", Str, OP_NAME),
        c("RequestId", Str).identifier(),
        c("RiskDetail", Str),
        c("RiskEventType", Str),
        c("RiskLevel", Str),
        c("RiskState", Str),
        c("ServicePrincipalDisplayName", Str),
        c("ServicePrincipalId", Str),
        c("Source", Str),
        s("TenantId", Str, TENANT_AS_WORKSPACE),
        s("TimeGenerated", Datetime, RISK_TIME).time(),
        c("TokenIssuerType", Str),
    ];

    let graph: Vec<Decl> = vec![
        s(
            "AadTenantId",
            Str,
            &[
                Top("tenantId"),
                Prop("tenantId"),
                Source::TenantFromResourceId,
            ],
        ),
        c("ApiVersion", Str),
        c("AppId", Str),
        c("ATContent", Str),
        c("ClientAuthMethod", Int),
        c("ClientRequestId", Str).identifier(),
        s("DurationMs", Int, &[Prop("durationMs"), Top("durationMs")]),
        c("IdentityProvider", Str),
        s(
            "IPAddress",
            Str,
            &[Prop("ipAddress"), Top("callerIpAddress")],
        ),
        s("Location", Str, &[Prop("location"), Top("location")]),
        c("OperationId", Str).identifier(),
        c("RequestId", Str).identifier(),
        c("RequestMethod", Str),
        c("RequestUri", Str),
        c("ResponseSizeBytes", Int),
        c("ResponseStatusCode", Int),
        c("Roles", Str),
        c("Scopes", Str),
        c("ServicePrincipalId", Str),
        c("SignInActivityId", Str).identifier(),
        s("TenantId", Str, &[Top("TenantId")]),
        s(
            "TimeGenerated",
            Datetime,
            &[Prop("timeGenerated"), Top("time"), Top("TimeGenerated")],
        )
        .time(),
        c("TokenIssuedAt", Datetime),
        c("UserAgent", Str),
        c("UserId", Str),
        c("Wids", Str),
    ];

    let unknown: Vec<Decl> = vec![
        s("TimeGenerated", Datetime, TIME).time(),
        s("Category", Str, CATEGORY),
    ];

    let defs: Vec<(&'static str, &'static [&'static str], Vec<Decl>, bool)> = vec![
        ("SigninLogs", &["SignInLogs"], signin, false),
        (
            "AADNonInteractiveUserSignInLogs",
            &["NonInteractiveUserSignInLogs"],
            non_interactive,
            false,
        ),
        (
            "AADServicePrincipalSignInLogs",
            &[
                "ServicePrincipalSignInLogs",
                "MicrosoftServicePrincipalSignInLogs",
            ],
            service_principal(),
            false,
        ),
        (
            "AADManagedIdentitySignInLogs",
            &["ManagedIdentitySignInLogs"],
            service_principal(),
            false,
        ),
        ("ADFSSignInLogs", &["ADFSSignInLogs"], adfs, false),
        ("AuditLogs", &["AuditLogs", "Audit"], audit, false),
        (
            "AADProvisioningLogs",
            &["ProvisioningLogs"],
            provisioning,
            false,
        ),
        ("AADRiskyUsers", &["RiskyUsers"], risky_users, false),
        (
            "AADUserRiskEvents",
            &["UserRiskEvents"],
            user_risk_events,
            false,
        ),
        (
            "AADRiskyServicePrincipals",
            &["RiskyServicePrincipals"],
            risky_sps,
            false,
        ),
        (
            "AADServicePrincipalRiskEvents",
            &["ServicePrincipalRiskEvents"],
            sp_risk_events,
            false,
        ),
        (
            "MicrosoftGraphActivityLogs",
            &["MicrosoftGraphActivityLogs"],
            graph,
            false,
        ),
        (UNKNOWN_TABLE, &[], unknown, true),
    ];

    let mut tables: Vec<Table> = defs
        .into_iter()
        .enumerate()
        .map(|(i, (name, categories, decls, is_unknown))| {
            debug_assert!(
                decls.iter().filter(|d| d.time).count() <= 1,
                "{name} declares more than one time column"
            );
            Table {
                id: TableId(i as u16),
                name,
                categories,
                columns: decls.iter().map(column).collect(),
                is_unknown,
                asim: None,
            }
        })
        .collect();
    // The ASIM tables, last: their columns are the ASIM schema's (declared beside the mapping).
    for schema in crate::asim::AsimSchema::ALL {
        tables.push(Table {
            id: TableId(tables.len() as u16),
            name: schema.table(),
            categories: &[],
            columns: schema
                .columns()
                .iter()
                .filter(|(name, _)| *name != extra::ADDITIONAL_FIELDS)
                .map(|&(name, la_type)| Column {
                    name,
                    la_type,
                    sources: vec![Top(name)],
                    holds_json: la_type == LaType::Dynamic,
                    distinct_values: false,
                    is_time: name == "TimeGenerated",
                })
                .collect(),
            is_unknown: false,
            asim: Some(schema),
        });
    }
    Catalogue { tables }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_camel_handles_acronyms() {
        assert_eq!(lower_camel("IPAddress"), "ipAddress");
        assert_eq!(lower_camel("ATContent"), "atContent");
        assert_eq!(lower_camel("AppId"), "appId");
        assert_eq!(lower_camel("IsRisky"), "isRisky");
        assert_eq!(
            lower_camel("IPAddressFromResourceProvider"),
            "ipAddressFromResourceProvider"
        );
    }

    #[test]
    fn categories_route_case_insensitively() {
        let cat = Catalogue::get();
        let name = |c: &str| cat.table_for_category(c).map(|t| cat.table(t).name);
        assert_eq!(name("SignInLogs"), Some("SigninLogs"));
        assert_eq!(
            name("NonInteractiveUserSIgnInLogs"),
            Some("AADNonInteractiveUserSignInLogs")
        );
        assert_eq!(
            name("MicrosoftServicePrincipalSignInLogs"),
            Some("AADServicePrincipalSignInLogs")
        );
        assert_eq!(name("Audit"), Some("AuditLogs"));
        assert_eq!(name("AADRiskyUsers"), Some("AADRiskyUsers"));
        assert_eq!(name("NetworkAccessTrafficLogs"), None);
    }

    /// The per-column marks reproduce the name lists they replaced, table by table, so the
    /// Parquet writer picks dictionaries and statistics exactly as before.
    #[test]
    fn column_marks_match_the_lists_they_replaced() {
        // The Parquet writer's former `PLAIN_COLUMNS`, applied by name to every table.
        const OLD_PLAIN: &[&str] = &[
            "Id",
            "CorrelationId",
            "UniqueTokenIdentifier",
            "OriginalRequestId",
            "RequestId",
            "ClientRequestId",
            "OperationId",
            "SignInActivityId",
            "ChangeId",
        ];
        // The former `JSON_TEXT_COLUMNS`, applied by name to every table.
        const OLD_JSON_TEXT: &[&str] = &[
            "AppliedConditionalAccessPolicies",
            "AuthenticationContextClassReferences",
            "AuthenticationDetails",
            "AuthenticationProcessingDetails",
            "AuthenticationRequirementPolicies",
            "ConditionalAccessPolicies",
            "DeviceDetail",
            "InitiatedBy",
            "LocationDetails",
            "MfaDetail",
            "ModifiedProperties",
            "NetworkLocationDetails",
            "ProvisioningStatusInfo",
            "ProvisioningSteps",
            "ServicePrincipal",
            "SessionLifetimePolicies",
            "SourceIdentity",
            "SourceSystem",
            "Status",
            "TargetIdentity",
            "TargetSystem",
        ];
        let mut plain_seen = std::collections::BTreeSet::new();
        for t in &Catalogue::get().tables {
            let marked: std::collections::BTreeSet<&str> = t
                .columns
                .iter()
                .filter(|c| c.distinct_values)
                .map(|c| c.name)
                .collect();
            let listed: std::collections::BTreeSet<&str> = OLD_PLAIN
                .iter()
                .copied()
                .filter(|n| t.column_index(n).is_some())
                .collect();
            assert_eq!(marked, listed, "{}", t.name);
            plain_seen.extend(marked);
            for c in &t.columns {
                let was_json = c.la_type == LaType::Dynamic || OLD_JSON_TEXT.contains(&c.name);
                assert_eq!(c.holds_json, was_json, "{}.{}", t.name, c.name);
            }
            // The time column was looked up by name.
            assert_eq!(
                t.time_column(),
                t.column_index("TimeGenerated"),
                "{}",
                t.name
            );
            assert!(t.time_column().is_some(), "{}", t.name);
        }
        // Every name of the old list is a column somewhere (none was silently dropped).
        assert_eq!(plain_seen.len(), OLD_PLAIN.len());
        let json_seen: std::collections::BTreeSet<&str> = Catalogue::get()
            .tables
            .iter()
            .flat_map(|t| &t.columns)
            .filter(|c| c.holds_json && c.la_type == LaType::String)
            .map(|c| c.name)
            .collect();
        assert_eq!(
            json_seen,
            OLD_JSON_TEXT.iter().copied().collect(),
            "json-text names"
        );
    }
}

impl std::fmt::Display for Source {
    /// Where the value comes from, as a user reads it: `time`, `properties.createdDateTime`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Top(k) => write!(f, "{k}"),
            Source::Prop(k) => write!(f, "properties.{k}"),
            Source::ProviderFromResourceId => write!(f, "provider in resourceId"),
            Source::TenantFromResourceId => write!(f, "tenant in resourceId"),
        }
    }
}

/// The catalogue as Markdown, one section per table: each column, its Log Analytics type, and
/// its sources in priority order. The reference a data engineer reads, derived rather than written.
pub fn markdown(tables: &[&Table]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    for t in tables {
        let cats = if t.categories.is_empty() {
            "any unknown category".to_string()
        } else {
            t.categories.join(", ")
        };
        let _ = writeln!(s, "## {}\n\nCategories: {cats}\n\n| column | type | from (first present wins) |\n|---|---|---|", t.name);
        for c in &t.columns {
            let sources: Vec<String> = c.sources.iter().map(|x| format!("`{x}`")).collect();
            let _ = writeln!(
                s,
                "| {} | {} | {} |",
                c.name,
                c.la_type.la_name(),
                sources.join(", ")
            );
        }
        if t.is_unknown {
            let _ = writeln!(s, "| {} | dynamic | the whole record |", extra::RAW_RECORD);
        }
        let _ = writeln!(
            s,
            "| {} | dynamic | every field no column took |\n| {}, {}, {}, {}, {} | | where the row came from |\n",
            extra::ADDITIONAL_FIELDS,
            extra::SOURCE,
            extra::PARTITION,
            extra::SEQUENCE_NUMBER,
            extra::RECORD_INDEX,
            extra::ENQUEUED_TIME
        );
    }
    s
}

#[cfg(test)]
mod markdown_tests {
    use super::*;

    #[test]
    fn markdown_names_every_column_with_its_sources() {
        let cat = Catalogue::get();
        let signin = cat.by_name("SigninLogs").unwrap();
        let md = markdown(&[signin]);
        assert!(
            md.contains(
                "| ResourceIdentity | string | `properties.resourceId`, `ResourceIdentity` |"
            ),
            "{md}"
        );
        assert!(md.contains(
            "| TimeGenerated | datetime | `time`, `TimeGenerated`, `properties.createdDateTime`, `CreatedDateTime` |"
        ));
        assert!(md.contains("| AADTenantId | string | `tenantId`, `properties.tenantId`, `AADTenantId`, `tenant in resourceId` |"));
        assert_eq!(md.matches("\n| ").count(), signin.columns.len() + 3);
    }
}

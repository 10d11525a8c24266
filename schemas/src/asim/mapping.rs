//! The ASIM mappings, as data: per source table, each ASIM column and the expression that
//! fills it, ported from Microsoft's parser for that table. The parsers were read in the
//! Azure-Sentinel repository (<https://github.com/Azure/Azure-Sentinel>) at the commits named
//! in each [`ParserRef`]; a column not listed is not sent.
//!
//! Where a parser's value breaks the rules of the pinned `schemas/asim/ASimTester.csv`, or names
//! a column the ASIM table does not have, the expression corrects it and a [`Deviation`] says
//! what the parser does, what is sent instead and why. `AdditionalFields` carries what the
//! parser's own `AdditionalFields` does (audit) or, for user sign-ins whose parsers set none,
//! the source's risk and Conditional Access verdicts, which no ASIM column holds.

use super::lookups::*;
use super::{AsimSchema, Cond, Expr, Step};

use Expr::{Bag, Coalesce, Col, Const, Iff, Lookup as Look, Path};
use Step::{Index, Key};

/// The Microsoft parser a mapping ports.
#[derive(Debug, Clone, Copy)]
pub struct ParserRef {
    /// Path in the Azure-Sentinel repository.
    pub path: &'static str,
    /// The parser's `Parser.Version`.
    pub version: &'static str,
    /// The Azure-Sentinel commit the file was read at.
    pub commit: &'static str,
}

/// A place where the mapping does not send what the parser computes.
#[derive(Debug, Clone, Copy)]
pub struct Deviation {
    pub column: &'static str,
    pub parser: &'static str,
    pub sent: &'static str,
    pub why: &'static str,
}

/// How one catalogue table's rows become rows of an ASIM schema.
#[derive(Debug)]
pub struct Mapping {
    pub source_table: &'static str,
    pub schema: AsimSchema,
    pub parser: ParserRef,
    pub fields: &'static [(&'static str, Expr)],
    pub deviations: &'static [Deviation],
}

/// A mapping is one static declaration: two are equal when they are the same one.
impl PartialEq for Mapping {
    fn eq(&self, other: &Mapping) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Eq for Mapping {}

impl Mapping {
    /// The expression of an ASIM column, if the mapping fills it.
    pub fn expr(&self, column: &str) -> Option<&'static Expr> {
        self.fields
            .iter()
            .find(|(c, _)| *c == column)
            .map(|(_, e)| e)
    }
}

/// The mapping of a catalogue table, if it has one.
pub fn mapping_for(table: &str) -> Option<&'static Mapping> {
    MAPPINGS.iter().find(|m| m.source_table == table).copied()
}

/// Every mapping.
pub static MAPPINGS: [&Mapping; 5] = [
    &SIGNIN_LOGS,
    &NON_INTERACTIVE,
    &SERVICE_PRINCIPAL,
    &MANAGED_IDENTITY,
    &AUDIT_LOGS,
];

// ---------------------------------------------------------------------------------------------
// Shared pieces.

const ONE: Expr = Const("1");
const TIME: Expr = Col("TimeGenerated");
const RESULT_TYPE: Expr = Col("ResultType");
/// `iff(ResultType == 0, 'Success', 'Failure')`: ResultType is a string column; KQL compares
/// it with 0 as the text "0".
const USER_EVENT_RESULT: Expr = Iff(
    Cond::Eq(&RESULT_TYPE, "0"),
    &Const("Success"),
    &Const("Failure"),
);
const ORIGINAL_RESULT_DETAILS: Expr = Coalesce(&[Col("ResultDescription"), RESULT_TYPE]);
const DEVICE_ID: Expr = Path("DeviceDetail", &[Key("deviceId")]);
const CITY: Expr = Path("LocationDetails", &[Key("city")]);
const COUNTRY: Expr = Path("LocationDetails", &[Key("countryOrRegion")]);
const LATITUDE: Expr = Path("LocationDetails", &[Key("geoCoordinates"), Key("latitude")]);
const LONGITUDE: Expr = Path(
    "LocationDetails",
    &[Key("geoCoordinates"), Key("longitude")],
);

/// The user sign-in parsers set no `AdditionalFields`; these verdicts have no ASIM column.
const USER_ADDITIONAL_FIELDS: Expr = Bag(&[
    ("ConditionalAccessStatus", Col("ConditionalAccessStatus")),
    ("RiskLevelDuringSignIn", Col("RiskLevelDuringSignIn")),
    ("RiskLevelAggregated", Col("RiskLevelAggregated")),
    ("RiskState", Col("RiskState")),
]);

const SUCCESS_DETAILS: Deviation = Deviation {
    column: "EventResultDetails",
    parser: "'Success' for ResultType 0 (FailedReason lookup)",
    sent: "nothing",
    why: "ASimTester.csv allows only failure reasons in Authentication EventResultDetails; the \
          service principal and managed identity parsers map 0 to '' too",
};

// ---------------------------------------------------------------------------------------------
// SigninLogs

static SIGNIN_DETAILS: Expr = Look(&RESULT_TYPE, &SIGNIN_FAILED_REASON, "EventResultDetails");
static SIGNIN_METHOD_KEY: Expr = Coalesce(&[
    Col("AuthenticationMethodsUsed"),
    Col("AuthenticationRequirement"),
]);

pub static SIGNIN_LOGS: Mapping = Mapping {
    source_table: "SigninLogs",
    schema: AsimSchema::Authentication,
    parser: ParserRef {
        path: "Parsers/ASimAuthentication/Parsers/ASimAuthenticationAADSigninLogs.yaml",
        version: "0.4.1",
        commit: "0140a68dc351deb27914accfece673488913dd69",
    },
    fields: &[
        ("TimeGenerated", TIME),
        ("EventCount", ONE),
        ("EventStartTime", TIME),
        ("EventEndTime", TIME),
        ("EventType", Const("Logon")),
        ("EventSubType", Const("Interactive")),
        ("EventResult", USER_EVENT_RESULT),
        (
            "EventResultDetails",
            Iff(Cond::Eq(&RESULT_TYPE, "0"), &Const(""), &SIGNIN_DETAILS),
        ),
        ("EventOriginalResultDetails", ORIGINAL_RESULT_DETAILS),
        ("EventProduct", Const("AAD")),
        ("EventVendor", Const("Microsoft")),
        ("EventSchemaVersion", Const("0.1.3")),
        ("EventOriginalUid", Col("Id")),
        (
            "LogonMethod",
            Look(&SIGNIN_METHOD_KEY, &SIGNIN_LOGON_METHOD, "LogonMethod"),
        ),
        ("SrcIpAddr", Col("IPAddress")),
        ("SrcHostname", Path("DeviceDetail", &[Key("displayName")])),
        ("SrcDvcId", DEVICE_ID),
        (
            "SrcDvcIdType",
            Iff(Cond::Empty(&DEVICE_ID), &Const(""), &Const("Other")),
        ),
        ("SrcDvcOs", Path("DeviceDetail", &[Key("operatingSystem")])),
        ("SrcGeoCity", CITY),
        ("SrcGeoCountry", COUNTRY),
        ("SrcGeoLatitude", LATITUDE),
        ("SrcGeoLongitude", LONGITUDE),
        ("HttpUserAgent", Col("UserAgent")),
        ("TargetSessionId", Col("CorrelationId")),
        ("TargetUserId", Col("UserId")),
        ("TargetUserIdType", Const("AADID")),
        ("TargetUsername", Col("UserPrincipalName")),
        ("TargetUsernameType", Const("UPN")),
        (
            "TargetUserType",
            Look(&Col("UserType"), &SIGNIN_USER_TYPE, "TargetUserType"),
        ),
        ("TargetAppId", Col("AppId")),
        ("TargetAppName", Col("AppDisplayName")),
        ("ActingOriginalAppType", Col("ClientAppUsed")),
        (
            "ActingAppType",
            Look(&Col("ClientAppUsed"), &SIGNIN_ACTING_APP_TYPE, "ActingAppType"),
        ),
        ("AdditionalFields", USER_ADDITIONAL_FIELDS),
    ],
    deviations: &[
        SUCCESS_DETAILS,
        Deviation {
            column: "EventResultDetails, EventSubType",
            parser: "computed, then left out by the parser's final `project`",
            sent: "the computed values",
            why: "both are columns of ASimAuthenticationEventLogs, which the native parser reads whole",
        },
    ],
};

// ---------------------------------------------------------------------------------------------
// AADNonInteractiveUserSignInLogs

static NON_INTERACTIVE_DETAILS: Expr = Look(
    &RESULT_TYPE,
    &NON_INTERACTIVE_FAILED_REASON,
    "EventResultDetails",
);

pub static NON_INTERACTIVE: Mapping = Mapping {
    source_table: "AADNonInteractiveUserSignInLogs",
    schema: AsimSchema::Authentication,
    parser: ParserRef {
        path: "Parsers/ASimAuthentication/Parsers/ASimAuthenticationAADNonInteractive.yaml",
        version: "0.2",
        commit: "2d6149a6cdb85c15ef97df754ec345a8dfb7d522",
    },
    fields: &[
        ("TimeGenerated", TIME),
        ("EventCount", ONE),
        ("EventStartTime", TIME),
        ("EventEndTime", TIME),
        ("EventType", Const("Logon")),
        ("EventOriginalSubType", Const("NonInteractive")),
        ("EventResult", USER_EVENT_RESULT),
        (
            "EventResultDetails",
            Iff(Cond::Eq(&RESULT_TYPE, "0"), &Const(""), &NON_INTERACTIVE_DETAILS),
        ),
        ("EventOriginalResultDetails", ORIGINAL_RESULT_DETAILS),
        ("EventProduct", Const("AAD")),
        ("EventVendor", Const("Microsoft")),
        ("EventSchemaVersion", Const("0.1.0")),
        ("EventOriginalUid", Col("Id")),
        ("LogonMethod", Col("AuthenticationRequirement")),
        ("SrcIpAddr", Col("IPAddress")),
        ("SrcHostname", Path("DeviceDetail", &[Key("displayName")])),
        ("SrcDvcId", DEVICE_ID),
        ("SrcDvcOs", Path("DeviceDetail", &[Key("operatingSystem")])),
        ("SrcGeoCity", CITY),
        ("SrcGeoCountry", COUNTRY),
        ("SrcGeoLatitude", LATITUDE),
        ("SrcGeoLongitude", LONGITUDE),
        ("HttpUserAgent", Col("UserAgent")),
        ("TargetSessionId", Col("CorrelationId")),
        ("TargetUserId", Col("UserId")),
        ("TargetUserIdType", Const("AADID")),
        ("TargetUsername", Col("UserPrincipalName")),
        ("TargetUsernameType", Const("UPN")),
        ("TargetAppId", Col("ResourceIdentity")),
        ("TargetAppName", Col("ResourceDisplayName")),
        ("AdditionalFields", USER_ADDITIONAL_FIELDS),
    ],
    deviations: &[
        SUCCESS_DETAILS,
        Deviation {
            column: "EventSubType",
            parser: "'NonInteractive'",
            sent: "nothing; 'NonInteractive' in EventOriginalSubType",
            why: "ASimTester.csv allows System|Interactive|RemoteInteractive|Service|RemoteService|Remote|AssumeRole",
        },
        Deviation {
            column: "SrcIpAddr, SrcHostname",
            parser: "SrcDvcIpAddr = IPAddress, SrcDvcHostname = DeviceDetail.displayName",
            sent: "SrcIpAddr and SrcHostname, as the interactive parser 0.4.1 names them",
            why: "ASimAuthenticationEventLogs has no SrcDvcIpAddr or SrcDvcHostname column",
        },
    ],
};

// ---------------------------------------------------------------------------------------------
// AADServicePrincipalSignInLogs and AADManagedIdentitySignInLogs: the same shape, each with
// its own lookup (the parsers' `AADResultTypes` function).

/// The fields the service principal and managed identity parsers share, over their lookup.
macro_rules! service_fields {
    ($lookup:expr, $details:expr, $method:literal, [$($geo:tt)*]) => {
        &[
            ("TimeGenerated", TIME),
            ("EventCount", ONE),
            ("EventStartTime", TIME),
            ("EventEndTime", TIME),
            ("EventType", Coalesce(&[Look(&RESULT_TYPE, $lookup, "EventType"), Const("Logon")])),
            ("EventResult", Coalesce(&[Look(&RESULT_TYPE, $lookup, "EventResult"), Const("Failure")])),
            ("EventResultDetails", $details),
            // iff(isempty(EventOriginalResultDetails), EventType, …) runs before EventType
            // gets its default, so it sees the lookup's EventType.
            (
                "EventOriginalResultDetails",
                Coalesce(&[
                    Look(&RESULT_TYPE, $lookup, "EventOriginalResultDetails"),
                    Look(&RESULT_TYPE, $lookup, "EventType"),
                ]),
            ),
            ("EventSeverity", Coalesce(&[Look(&RESULT_TYPE, $lookup, "EventSeverity"), Const("Low")])),
            ("EventProduct", Const("AAD")),
            ("EventProductVersion", Col("OperationVersion")),
            ("EventVendor", Const("Microsoft")),
            ("EventSchemaVersion", Const("0.1.3")),
            ("EventOriginalUid", Col("Id")),
            ("LogonMethod", Const($method)),
            ("SrcIpAddr", Col("IPAddress")),
            $($geo)*
            ("TargetSessionId", Col("CorrelationId")),
            ("TargetUserId", Col("ServicePrincipalId")),
            ("TargetUserIdType", Const("AADID")),
            ("TargetUsername", Col("ServicePrincipalName")),
            ("TargetUsernameType", Const("Simple")),
            ("TargetUserType", Const("Service")),
            ("TargetAppId", Col("ResourceIdentity")),
            ("TargetAppName", Col("ResourceDisplayName")),
            ("TargetAppType", Const("Resource")),
            ("ActingAppId", Col("AppId")),
        ]
    };
}

static SERVICE_PRINCIPAL_DETAILS: Expr = Look(
    &RESULT_TYPE,
    &SERVICE_PRINCIPAL_RESULT_TYPES,
    "EventResultDetails",
);

pub static SERVICE_PRINCIPAL: Mapping = Mapping {
    source_table: "AADServicePrincipalSignInLogs",
    schema: AsimSchema::Authentication,
    parser: ParserRef {
        path: "Parsers/ASimAuthentication/Parsers/ASimAuthenticationAADServicePrincipalSignInLogs.yaml",
        version: "0.2.1",
        commit: "d670ff0cdd4d17fdd8cdec986a54a35b959bc792",
    },
    fields: service_fields!(
        &SERVICE_PRINCIPAL_RESULT_TYPES,
        Iff(
            Cond::Eq(&SERVICE_PRINCIPAL_DETAILS, "Transient error"),
            &Const("Other"),
            &SERVICE_PRINCIPAL_DETAILS
        ),
        "Service Principal",
        [
            ("SrcGeoCity", CITY),
            ("SrcGeoCountry", Col("Location")),
            ("SrcGeoRegion", Path("LocationDetails", &[Key("state")])),
            ("SrcGeoLatitude", LATITUDE),
            ("SrcGeoLongitude", LONGITUDE),
        ]
    ),
    deviations: &[Deviation {
        column: "EventResultDetails",
        parser: "'Transient error' for ResultType 90024 and 90033",
        sent: "'Other'",
        why: "ASimTester.csv's Authentication EventResultDetails values have no 'Transient error'",
    }],
};

pub static MANAGED_IDENTITY: Mapping = Mapping {
    source_table: "AADManagedIdentitySignInLogs",
    schema: AsimSchema::Authentication,
    parser: ParserRef {
        path: "Parsers/ASimAuthentication/Parsers/ASimAuthenticationAADManagedIdentity.yaml",
        version: "0.2.3",
        commit: "0b244849506f5a629e0c6ed661ea0a2825891fbf",
    },
    // The parser drops Location* (project-away): no geography.
    fields: service_fields!(
        &MANAGED_IDENTITY_RESULT_TYPES,
        Look(
            &RESULT_TYPE,
            &MANAGED_IDENTITY_RESULT_TYPES,
            "EventResultDetails"
        ),
        "Managed Identity",
        []
    ),
    deviations: &[],
};

// ---------------------------------------------------------------------------------------------
// AuditLogs

const AUDIT_RESULT: Expr = Iff(
    Cond::Eq(&Col("Result"), "success"),
    &Const("Success"),
    &Iff(
        Cond::Eq(&Col("Result"), "failure"),
        &Const("Failure"),
        &Const("NA"),
    ),
);
const ACTOR_UPN: Expr = Path("InitiatedBy", &[Key("user"), Key("userPrincipalName")]);
const ACTOR_APP: Expr = Path("InitiatedBy", &[Key("app"), Key("displayName")]);
const ACTOR_USERNAME: Expr = Coalesce(&[ACTOR_UPN, ACTOR_APP]);
const ACTOR_USER_ID: Expr = Coalesce(&[
    Path("InitiatedBy", &[Key("user"), Key("id")]),
    Path("InitiatedBy", &[Key("app"), Key("servicePrincipalId")]),
]);
const TARGET_TYPE: Expr = Path("TargetResources", &[Index(0), Key("type")]);
static OBJECT_TYPE: Expr = Look(&TARGET_TYPE, &AUDIT_OBJECT_TYPE, "ObjectType");

pub static AUDIT_LOGS: Mapping = Mapping {
    source_table: "AuditLogs",
    schema: AsimSchema::AuditEvent,
    parser: ParserRef {
        path: "Parsers/ASimAuditEvent/Parsers/ASimAuditEventMicrosoftEntraIDAuditLogs.yaml",
        version: "0.1.0",
        commit: "d9c9b4456db651c56e394822c7036fde93b80a4d",
    },
    fields: &[
        ("TimeGenerated", TIME),
        ("EventCount", ONE),
        ("EventStartTime", Col("ActivityDateTime")),
        ("EventEndTime", Col("ActivityDateTime")),
        (
            "EventType",
            Coalesce(&[
                Look(&Col("AADOperationType"), &AUDIT_OPERATION_TYPE, "EventType"),
                Const("Other"),
            ]),
        ),
        ("EventResult", AUDIT_RESULT),
        ("EventOriginalResultDetails", Col("ResultReason")),
        (
            "EventSeverity",
            Iff(
                Cond::Eq(&AUDIT_RESULT, "Failure"),
                &Const("Low"),
                &Const("Informational"),
            ),
        ),
        ("EventProduct", Const("Azure")),
        ("EventVendor", Const("Microsoft")),
        ("EventSchemaVersion", Const("0.1.2")),
        ("EventOriginalUid", Col("Id")),
        ("EventOriginalType", Col("OperationName")),
        ("Operation", Col("ActivityDisplayName")),
        ("Object", Path("TargetResources", &[Index(0), Key("displayName")])),
        ("ObjectId", Path("TargetResources", &[Index(0), Key("id")])),
        (
            "ObjectType",
            Iff(
                Cond::Eq(&OBJECT_TYPE, "Cloud Resource"),
                &Const("Other"),
                &Coalesce(&[OBJECT_TYPE, Const("Other")]),
            ),
        ),
        ("OriginalObjectType", TARGET_TYPE),
        (
            "OldValue",
            Path(
                "TargetResources",
                &[Index(0), Key("modifiedProperties"), Index(0), Key("oldValue")],
            ),
        ),
        (
            "NewValue",
            Path(
                "TargetResources",
                &[Index(0), Key("modifiedProperties"), Index(0), Key("newValue")],
            ),
        ),
        ("ActorUsername", ACTOR_USERNAME),
        (
            "ActorUsernameType",
            Iff(
                Cond::Contains(&ACTOR_USERNAME, "@"),
                &Const("UPN"),
                &Iff(Cond::Empty(&ACTOR_USERNAME), &Const(""), &Const("Simple")),
            ),
        ),
        ("ActorUserId", ACTOR_USER_ID),
        (
            "ActorUserIdType",
            Iff(Cond::Empty(&ACTOR_USER_ID), &Const(""), &Const("AADID")),
        ),
        (
            "ActorUserType",
            Iff(
                Cond::Empty(&ACTOR_UPN),
                &Iff(Cond::Empty(&ACTOR_APP), &Const(""), &Const("Application")),
                &Const("Regular"),
            ),
        ),
        ("ActorUserAadId", ACTOR_USER_ID),
        ("ActorScope", Const("Microsoft Entra ID")),
        ("ActorScopeId", Col("AADTenantId")),
        ("ActorSessionId", Col("CorrelationId")),
        (
            "SrcIpAddr",
            Path("InitiatedBy", &[Key("user"), Key("ipAddress")]),
        ),
        ("TargetAppName", Col("LoggedByService")),
        ("TargetAppType", Const("SaaS application")),
        (
            "AdditionalFields",
            Bag(&[
                ("Category", Col("Category")),
                ("AdditionalDetails", Col("AdditionalDetails")),
            ]),
        ),
    ],
    deviations: &[
        Deviation {
            column: "EventProduct",
            parser: "'Microsoft Entra ID'",
            sent: "'Azure'",
            why: "ASimTester.csv's AuditEvent EventProduct values are Azure|WAF|Security Events|Exchange 365|Dataminr Pulse|ISE|XDR|Meraki",
        },
        Deviation {
            column: "ObjectType",
            parser: "'Cloud Resource' for Application and ServicePrincipal targets",
            sent: "'Other' (OriginalObjectType keeps the type)",
            why: "ASimTester.csv's ObjectType values have no 'Cloud Resource'",
        },
        Deviation {
            column: "ActorUserType",
            parser: "'Member' when the actor is a user",
            sent: "'Regular', as the sign-in parser's UserTypeLookup maps Member",
            why: "ASimTester.csv's ActorUserType values have no 'Member'",
        },
    ],
};

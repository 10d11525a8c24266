"""Built-in Log Analytics tables the Logs Ingestion API can write and the doubles know: their
columns and types, from the Azure Monitor table reference (MicrosoftDocs/azure-reference-other,
azure-monitor-ref/tables/includes/asimauthenticationeventlogs-include.md at commit 04e8b5c9 and
asimauditeventlogs-include.md at c770f3fe, ms.date 02/18/2024). Columns the service fills itself
(TenantId, Type, SourceSystem, _ResourceId, _SubscriptionId, _BilledSize, _IsBillable) are left
out: a data flow cannot write them.

Written independently of aad-ingest's own column lists, so that a DCR stream aad-ingest declares
is checked against what the table really has."""

_COMMON = """
ActingAppId string; ActingAppName string; ActingAppType string; ActingOriginalAppType string;
ActorOriginalUserType string; ActorScope string; ActorScopeId string; ActorSessionId string;
ActorUserId string; ActorUserIdType string; ActorUsername string; ActorUsernameType string;
ActorUserType string; AdditionalFields dynamic; DvcAction string; DvcDescription string;
DvcDomain string; DvcDomainType string; DvcFQDN string; DvcHostname string; DvcId string;
DvcIdType string; DvcInterface string; DvcIpAddr string; DvcMacAddr string;
DvcOriginalAction string; DvcOs string; DvcOsVersion string; DvcScope string; DvcScopeId string;
DvcZone string; EventCount int; EventEndTime datetime; EventMessage string;
EventOriginalResultDetails string; EventOriginalSeverity string; EventOriginalSubType string;
EventOriginalType string; EventOriginalUid string; EventOwner string; EventProduct string;
EventProductVersion string; EventReportUrl string; EventResult string; EventResultDetails string;
EventSchemaVersion string; EventSeverity string; EventStartTime datetime; EventSubType string;
EventType string; EventVendor string; HttpUserAgent string; RuleName string; RuleNumber int;
SrcDescription string; SrcDeviceType string; SrcDomain string; SrcDomainType string;
SrcDvcId string; SrcDvcIdType string; SrcDvcScope string; SrcDvcScopeId string; SrcFQDN string;
SrcGeoCity string; SrcGeoCountry string; SrcGeoLatitude real; SrcGeoLongitude real;
SrcGeoRegion string; SrcHostname string; SrcIpAddr string; SrcOriginalRiskLevel string;
SrcPortNumber int; SrcRiskLevel int; TargetAppId string; TargetAppName string;
TargetAppType string; TargetDescription string; TargetDeviceType string; TargetDomain string;
TargetDomainType string; TargetDvcId string; TargetDvcIdType string; TargetDvcOs string;
TargetDvcScope string; TargetDvcScopeId string; TargetFQDN string; TargetGeoCity string;
TargetGeoCountry string; TargetGeoLatitude real; TargetGeoLongitude real; TargetGeoRegion string;
TargetHostname string; TargetIpAddr string; TargetOriginalAppType string;
TargetOriginalRiskLevel string; TargetPortNumber int; TargetRiskLevel int; TargetUrl string;
ThreatCategory string; ThreatConfidence int; ThreatField string;
ThreatFirstReportedTime datetime; ThreatId string; ThreatIpAddr string; ThreatIsActive bool;
ThreatLastReportedTime datetime; ThreatName string; ThreatOriginalConfidence string;
ThreatOriginalRiskLevel string; ThreatRiskLevel int; TimeGenerated datetime
"""

_AUTHENTICATION_ONLY = """
LogonMethod string; LogonProtocol string; SrcDvcOs string; SrcIsp string;
TargetOriginalUserType string; TargetSessionId string; TargetUserId string;
TargetUserIdType string; TargetUsername string; TargetUsernameType string;
TargetUserScope string; TargetUserScopeId string; TargetUserType string
"""

_AUDIT_ONLY = """
ActorUserAadId string; ActorUserSid string; NewValue string; Object string; ObjectId string;
ObjectType string; OldValue string; Operation string; OriginalObjectType string;
ValueType string
"""


def _columns(*texts):
    out = {}
    for text in texts:
        for item in text.replace("\n", " ").split(";"):
            if item.strip():
                name, kind = item.split()
                out[name] = kind
    return out


# Table -> {column: type}; the output stream of a table is "Microsoft-<table>".
BUILTIN_TABLES = {
    "ASimAuthenticationEventLogs": _columns(_COMMON, _AUTHENTICATION_ONLY),
    "ASimAuditEventLogs": _columns(_COMMON, _AUDIT_ONLY),
}

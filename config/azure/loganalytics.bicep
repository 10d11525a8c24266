// Generated from the aad-schemas catalogue by `UPDATE_TEMPLATES=1 cargo test -p aad-schemas --lib loganalytics`; do not edit.
// One _CL custom table per catalogue table, one data collection endpoint, and the data
// collection rules that carry the Custom-<Table> streams into them.

@description('The existing Log Analytics workspace, in this resource group.')
param workspaceName string

@description('Region of the data collection endpoint and rules: the workspace\'s region.')
param location string = resourceGroup().location

@description('Names: <namePrefix>-dce, <namePrefix>-dcr-1, <namePrefix>-dcr-2, ...')
param namePrefix string = 'aad-ingest'

@description('Interactive retention of the _CL tables.')
param retentionInDays int = 90

resource workspace 'Microsoft.OperationalInsights/workspaces@2022-10-01' existing = {
  name: workspaceName
}

var columnsSigninLogs = [
  {
    name: 'AADTenantId'
    type: 'string'
  }
  {
    name: 'AlternateSignInName'
    type: 'string'
  }
  {
    name: 'AppDisplayName'
    type: 'string'
  }
  {
    name: 'AppId'
    type: 'string'
  }
  {
    name: 'AppliedConditionalAccessPolicies'
    type: 'string'
  }
  {
    name: 'AppliedEventListeners'
    type: 'dynamic'
  }
  {
    name: 'AuthenticationContextClassReferences'
    type: 'string'
  }
  {
    name: 'AuthenticationDetails'
    type: 'string'
  }
  {
    name: 'AuthenticationMethodsUsed'
    type: 'string'
  }
  {
    name: 'AuthenticationProcessingDetails'
    type: 'string'
  }
  {
    name: 'AuthenticationProtocol'
    type: 'string'
  }
  {
    name: 'AuthenticationRequirement'
    type: 'string'
  }
  {
    name: 'AuthenticationRequirementPolicies'
    type: 'string'
  }
  {
    name: 'AutonomousSystemNumber'
    type: 'string'
  }
  {
    name: 'Category'
    type: 'string'
  }
  {
    name: 'ClientAppUsed'
    type: 'string'
  }
  {
    name: 'ConditionalAccessPolicies'
    type: 'dynamic'
  }
  {
    name: 'ConditionalAccessStatus'
    type: 'string'
  }
  {
    name: 'CorrelationId'
    type: 'string'
  }
  {
    name: 'CreatedDateTime'
    type: 'datetime'
  }
  {
    name: 'CrossTenantAccessType'
    type: 'string'
  }
  {
    name: 'DeviceDetail'
    type: 'dynamic'
  }
  {
    name: 'DurationMs'
    type: 'long'
  }
  {
    name: 'FlaggedForReview'
    type: 'boolean'
  }
  {
    name: 'HomeTenantId'
    type: 'string'
  }
  {
    name: 'RecordId'
    type: 'string'
  }
  {
    name: 'Identity'
    type: 'string'
  }
  {
    name: 'IPAddress'
    type: 'string'
  }
  {
    name: 'IPAddressFromResourceProvider'
    type: 'string'
  }
  {
    name: 'IsInteractive'
    type: 'boolean'
  }
  {
    name: 'IsRisky'
    type: 'boolean'
  }
  {
    name: 'Level'
    type: 'string'
  }
  {
    name: 'Location'
    type: 'string'
  }
  {
    name: 'LocationDetails'
    type: 'dynamic'
  }
  {
    name: 'MfaDetail'
    type: 'dynamic'
  }
  {
    name: 'NetworkLocationDetails'
    type: 'string'
  }
  {
    name: 'OperationName'
    type: 'string'
  }
  {
    name: 'OperationVersion'
    type: 'string'
  }
  {
    name: 'OriginalRequestId'
    type: 'string'
  }
  {
    name: 'ProcessingTimeInMilliseconds'
    type: 'string'
  }
  {
    name: 'Resource'
    type: 'string'
  }
  {
    name: 'ResourceDisplayName'
    type: 'string'
  }
  {
    name: 'ResourceGroup'
    type: 'string'
  }
  {
    name: 'ResourceId'
    type: 'string'
  }
  {
    name: 'ResourceIdentity'
    type: 'string'
  }
  {
    name: 'ResourceProvider'
    type: 'string'
  }
  {
    name: 'ResourceServicePrincipalId'
    type: 'string'
  }
  {
    name: 'ResourceTenantId'
    type: 'string'
  }
  {
    name: 'ResultDescription'
    type: 'string'
  }
  {
    name: 'ResultSignature'
    type: 'string'
  }
  {
    name: 'ResultType'
    type: 'string'
  }
  {
    name: 'RiskDetail'
    type: 'string'
  }
  {
    name: 'RiskEventTypes'
    type: 'string'
  }
  {
    name: 'RiskEventTypes_V2'
    type: 'string'
  }
  {
    name: 'RiskLevel'
    type: 'string'
  }
  {
    name: 'RiskLevelAggregated'
    type: 'string'
  }
  {
    name: 'RiskLevelDuringSignIn'
    type: 'string'
  }
  {
    name: 'RiskState'
    type: 'string'
  }
  {
    name: 'ServicePrincipalId'
    type: 'string'
  }
  {
    name: 'ServicePrincipalName'
    type: 'string'
  }
  {
    name: 'SessionLifetimePolicies'
    type: 'string'
  }
  {
    name: 'SignInIdentifier'
    type: 'string'
  }
  {
    name: 'SignInIdentifierType'
    type: 'string'
  }
  {
    name: 'Status'
    type: 'dynamic'
  }
  {
    name: 'TimeGenerated'
    type: 'datetime'
  }
  {
    name: 'TokenIssuerName'
    type: 'string'
  }
  {
    name: 'TokenIssuerType'
    type: 'string'
  }
  {
    name: 'UniqueTokenIdentifier'
    type: 'string'
  }
  {
    name: 'UserAgent'
    type: 'string'
  }
  {
    name: 'UserDisplayName'
    type: 'string'
  }
  {
    name: 'UserId'
    type: 'string'
  }
  {
    name: 'UserPrincipalName'
    type: 'string'
  }
  {
    name: 'UserType'
    type: 'string'
  }
  {
    name: 'AdditionalFields'
    type: 'dynamic'
  }
  {
    name: 'IngestSource'
    type: 'string'
  }
  {
    name: 'IngestPartition'
    type: 'string'
  }
  {
    name: 'IngestSequenceNumber'
    type: 'long'
  }
  {
    name: 'IngestRecordIndex'
    type: 'int'
  }
  {
    name: 'IngestEnqueuedTime'
    type: 'datetime'
  }
  {
    name: 'OriginalTimeGenerated'
    type: 'datetime'
  }
]

var columnsAADNonInteractiveUserSignInLogs = [
  {
    name: 'AlternateSignInName'
    type: 'string'
  }
  {
    name: 'AppDisplayName'
    type: 'string'
  }
  {
    name: 'AppId'
    type: 'string'
  }
  {
    name: 'AppliedEventListeners'
    type: 'dynamic'
  }
  {
    name: 'AuthenticationContextClassReferences'
    type: 'string'
  }
  {
    name: 'AuthenticationDetails'
    type: 'string'
  }
  {
    name: 'AuthenticationMethodsUsed'
    type: 'string'
  }
  {
    name: 'AuthenticationProcessingDetails'
    type: 'string'
  }
  {
    name: 'AuthenticationProtocol'
    type: 'string'
  }
  {
    name: 'AuthenticationRequirement'
    type: 'string'
  }
  {
    name: 'AuthenticationRequirementPolicies'
    type: 'string'
  }
  {
    name: 'AutonomousSystemNumber'
    type: 'string'
  }
  {
    name: 'Category'
    type: 'string'
  }
  {
    name: 'ClientAppUsed'
    type: 'string'
  }
  {
    name: 'ConditionalAccessPolicies'
    type: 'string'
  }
  {
    name: 'ConditionalAccessStatus'
    type: 'string'
  }
  {
    name: 'CorrelationId'
    type: 'string'
  }
  {
    name: 'CreatedDateTime'
    type: 'datetime'
  }
  {
    name: 'CrossTenantAccessType'
    type: 'string'
  }
  {
    name: 'DeviceDetail'
    type: 'string'
  }
  {
    name: 'DurationMs'
    type: 'long'
  }
  {
    name: 'HomeTenantId'
    type: 'string'
  }
  {
    name: 'RecordId'
    type: 'string'
  }
  {
    name: 'Identity'
    type: 'string'
  }
  {
    name: 'IPAddress'
    type: 'string'
  }
  {
    name: 'IsInteractive'
    type: 'boolean'
  }
  {
    name: 'IsRisky'
    type: 'boolean'
  }
  {
    name: 'Level'
    type: 'string'
  }
  {
    name: 'Location'
    type: 'string'
  }
  {
    name: 'LocationDetails'
    type: 'string'
  }
  {
    name: 'MfaDetail'
    type: 'string'
  }
  {
    name: 'NetworkLocationDetails'
    type: 'string'
  }
  {
    name: 'OperationName'
    type: 'string'
  }
  {
    name: 'OperationVersion'
    type: 'string'
  }
  {
    name: 'OriginalRequestId'
    type: 'string'
  }
  {
    name: 'ProcessingTimeInMs'
    type: 'string'
  }
  {
    name: 'ResourceDisplayName'
    type: 'string'
  }
  {
    name: 'ResourceGroup'
    type: 'string'
  }
  {
    name: 'ResourceIdentity'
    type: 'string'
  }
  {
    name: 'ResourceServicePrincipalId'
    type: 'string'
  }
  {
    name: 'ResourceTenantId'
    type: 'string'
  }
  {
    name: 'ResultDescription'
    type: 'string'
  }
  {
    name: 'ResultSignature'
    type: 'string'
  }
  {
    name: 'ResultType'
    type: 'string'
  }
  {
    name: 'RiskDetail'
    type: 'string'
  }
  {
    name: 'RiskEventTypes'
    type: 'string'
  }
  {
    name: 'RiskEventTypes_V2'
    type: 'string'
  }
  {
    name: 'RiskLevelAggregated'
    type: 'string'
  }
  {
    name: 'RiskLevelDuringSignIn'
    type: 'string'
  }
  {
    name: 'RiskState'
    type: 'string'
  }
  {
    name: 'ServicePrincipalId'
    type: 'string'
  }
  {
    name: 'SessionLifetimePolicies'
    type: 'string'
  }
  {
    name: 'SignInEventTypes'
    type: 'string'
  }
  {
    name: 'SignInIdentifierType'
    type: 'string'
  }
  {
    name: 'Status'
    type: 'string'
  }
  {
    name: 'RecordTenantId'
    type: 'string'
  }
  {
    name: 'TimeGenerated'
    type: 'datetime'
  }
  {
    name: 'TokenIssuerName'
    type: 'string'
  }
  {
    name: 'TokenIssuerType'
    type: 'string'
  }
  {
    name: 'UniqueTokenIdentifier'
    type: 'string'
  }
  {
    name: 'UserAgent'
    type: 'string'
  }
  {
    name: 'UserDisplayName'
    type: 'string'
  }
  {
    name: 'UserId'
    type: 'string'
  }
  {
    name: 'UserPrincipalName'
    type: 'string'
  }
  {
    name: 'UserType'
    type: 'string'
  }
  {
    name: 'AdditionalFields'
    type: 'dynamic'
  }
  {
    name: 'IngestSource'
    type: 'string'
  }
  {
    name: 'IngestPartition'
    type: 'string'
  }
  {
    name: 'IngestSequenceNumber'
    type: 'long'
  }
  {
    name: 'IngestRecordIndex'
    type: 'int'
  }
  {
    name: 'IngestEnqueuedTime'
    type: 'datetime'
  }
  {
    name: 'OriginalTimeGenerated'
    type: 'datetime'
  }
]

var columnsAADServicePrincipalSignInLogs = [
  {
    name: 'AppId'
    type: 'string'
  }
  {
    name: 'AuthenticationContextClassReferences'
    type: 'string'
  }
  {
    name: 'AuthenticationProcessingDetails'
    type: 'string'
  }
  {
    name: 'Category'
    type: 'string'
  }
  {
    name: 'ConditionalAccessPolicies'
    type: 'string'
  }
  {
    name: 'ConditionalAccessStatus'
    type: 'string'
  }
  {
    name: 'CorrelationId'
    type: 'string'
  }
  {
    name: 'DurationMs'
    type: 'long'
  }
  {
    name: 'FederatedCredentialId'
    type: 'string'
  }
  {
    name: 'RecordId'
    type: 'string'
  }
  {
    name: 'Identity'
    type: 'string'
  }
  {
    name: 'IPAddress'
    type: 'string'
  }
  {
    name: 'Level'
    type: 'string'
  }
  {
    name: 'Location'
    type: 'string'
  }
  {
    name: 'LocationDetails'
    type: 'string'
  }
  {
    name: 'OperationName'
    type: 'string'
  }
  {
    name: 'OperationVersion'
    type: 'string'
  }
  {
    name: 'ResourceDisplayName'
    type: 'string'
  }
  {
    name: 'ResourceGroup'
    type: 'string'
  }
  {
    name: 'ResourceIdentity'
    type: 'string'
  }
  {
    name: 'ResourceServicePrincipalId'
    type: 'string'
  }
  {
    name: 'ResultDescription'
    type: 'string'
  }
  {
    name: 'ResultSignature'
    type: 'string'
  }
  {
    name: 'ResultType'
    type: 'string'
  }
  {
    name: 'ServicePrincipalCredentialKeyId'
    type: 'string'
  }
  {
    name: 'ServicePrincipalCredentialThumbprint'
    type: 'string'
  }
  {
    name: 'ServicePrincipalId'
    type: 'string'
  }
  {
    name: 'ServicePrincipalName'
    type: 'string'
  }
  {
    name: 'RecordTenantId'
    type: 'string'
  }
  {
    name: 'TimeGenerated'
    type: 'datetime'
  }
  {
    name: 'UniqueTokenIdentifier'
    type: 'string'
  }
  {
    name: 'AdditionalFields'
    type: 'dynamic'
  }
  {
    name: 'IngestSource'
    type: 'string'
  }
  {
    name: 'IngestPartition'
    type: 'string'
  }
  {
    name: 'IngestSequenceNumber'
    type: 'long'
  }
  {
    name: 'IngestRecordIndex'
    type: 'int'
  }
  {
    name: 'IngestEnqueuedTime'
    type: 'datetime'
  }
  {
    name: 'OriginalTimeGenerated'
    type: 'datetime'
  }
]

var columnsAADManagedIdentitySignInLogs = [
  {
    name: 'AppId'
    type: 'string'
  }
  {
    name: 'AuthenticationContextClassReferences'
    type: 'string'
  }
  {
    name: 'AuthenticationProcessingDetails'
    type: 'string'
  }
  {
    name: 'Category'
    type: 'string'
  }
  {
    name: 'ConditionalAccessPolicies'
    type: 'string'
  }
  {
    name: 'ConditionalAccessStatus'
    type: 'string'
  }
  {
    name: 'CorrelationId'
    type: 'string'
  }
  {
    name: 'DurationMs'
    type: 'long'
  }
  {
    name: 'FederatedCredentialId'
    type: 'string'
  }
  {
    name: 'RecordId'
    type: 'string'
  }
  {
    name: 'Identity'
    type: 'string'
  }
  {
    name: 'IPAddress'
    type: 'string'
  }
  {
    name: 'Level'
    type: 'string'
  }
  {
    name: 'Location'
    type: 'string'
  }
  {
    name: 'LocationDetails'
    type: 'string'
  }
  {
    name: 'OperationName'
    type: 'string'
  }
  {
    name: 'OperationVersion'
    type: 'string'
  }
  {
    name: 'ResourceDisplayName'
    type: 'string'
  }
  {
    name: 'ResourceGroup'
    type: 'string'
  }
  {
    name: 'ResourceIdentity'
    type: 'string'
  }
  {
    name: 'ResourceServicePrincipalId'
    type: 'string'
  }
  {
    name: 'ResultDescription'
    type: 'string'
  }
  {
    name: 'ResultSignature'
    type: 'string'
  }
  {
    name: 'ResultType'
    type: 'string'
  }
  {
    name: 'ServicePrincipalCredentialKeyId'
    type: 'string'
  }
  {
    name: 'ServicePrincipalCredentialThumbprint'
    type: 'string'
  }
  {
    name: 'ServicePrincipalId'
    type: 'string'
  }
  {
    name: 'ServicePrincipalName'
    type: 'string'
  }
  {
    name: 'RecordTenantId'
    type: 'string'
  }
  {
    name: 'TimeGenerated'
    type: 'datetime'
  }
  {
    name: 'UniqueTokenIdentifier'
    type: 'string'
  }
  {
    name: 'AdditionalFields'
    type: 'dynamic'
  }
  {
    name: 'IngestSource'
    type: 'string'
  }
  {
    name: 'IngestPartition'
    type: 'string'
  }
  {
    name: 'IngestSequenceNumber'
    type: 'long'
  }
  {
    name: 'IngestRecordIndex'
    type: 'int'
  }
  {
    name: 'IngestEnqueuedTime'
    type: 'datetime'
  }
  {
    name: 'OriginalTimeGenerated'
    type: 'datetime'
  }
]

var columnsADFSSignInLogs = [
  {
    name: 'AlternateSignInName'
    type: 'string'
  }
  {
    name: 'AppDisplayName'
    type: 'string'
  }
  {
    name: 'AppId'
    type: 'string'
  }
  {
    name: 'AuthenticationDetails'
    type: 'string'
  }
  {
    name: 'AuthenticationProcessingDetails'
    type: 'string'
  }
  {
    name: 'AuthenticationRequirement'
    type: 'string'
  }
  {
    name: 'AuthenticationRequirementPolicies'
    type: 'string'
  }
  {
    name: 'Category'
    type: 'string'
  }
  {
    name: 'ConditionalAccessPolicies'
    type: 'string'
  }
  {
    name: 'ConditionalAccessStatus'
    type: 'string'
  }
  {
    name: 'CorrelationId'
    type: 'string'
  }
  {
    name: 'CreatedDateTime'
    type: 'datetime'
  }
  {
    name: 'DeviceDetail'
    type: 'string'
  }
  {
    name: 'DurationMs'
    type: 'long'
  }
  {
    name: 'RecordId'
    type: 'string'
  }
  {
    name: 'Identity'
    type: 'string'
  }
  {
    name: 'IPAddress'
    type: 'string'
  }
  {
    name: 'IsInteractive'
    type: 'boolean'
  }
  {
    name: 'Level'
    type: 'string'
  }
  {
    name: 'Location'
    type: 'string'
  }
  {
    name: 'NetworkLocationDetails'
    type: 'string'
  }
  {
    name: 'OperationName'
    type: 'string'
  }
  {
    name: 'OperationVersion'
    type: 'string'
  }
  {
    name: 'OriginalRequestId'
    type: 'string'
  }
  {
    name: 'ProcessingTimeInMs'
    type: 'string'
  }
  {
    name: 'Requirement'
    type: 'string'
  }
  {
    name: 'ResourceDisplayName'
    type: 'string'
  }
  {
    name: 'ResourceGroup'
    type: 'string'
  }
  {
    name: 'ResourceIdentity'
    type: 'string'
  }
  {
    name: 'ResourceTenantId'
    type: 'string'
  }
  {
    name: 'ResultDescription'
    type: 'string'
  }
  {
    name: 'ResultSignature'
    type: 'string'
  }
  {
    name: 'ResultType'
    type: 'string'
  }
  {
    name: 'Status'
    type: 'string'
  }
  {
    name: 'RecordTenantId'
    type: 'string'
  }
  {
    name: 'TimeGenerated'
    type: 'datetime'
  }
  {
    name: 'TokenIssuerName'
    type: 'string'
  }
  {
    name: 'TokenIssuerType'
    type: 'string'
  }
  {
    name: 'UniqueTokenIdentifier'
    type: 'string'
  }
  {
    name: 'UserAgent'
    type: 'string'
  }
  {
    name: 'UserDisplayName'
    type: 'string'
  }
  {
    name: 'UserId'
    type: 'string'
  }
  {
    name: 'UserPrincipalName'
    type: 'string'
  }
  {
    name: 'AdditionalFields'
    type: 'dynamic'
  }
  {
    name: 'IngestSource'
    type: 'string'
  }
  {
    name: 'IngestPartition'
    type: 'string'
  }
  {
    name: 'IngestSequenceNumber'
    type: 'long'
  }
  {
    name: 'IngestRecordIndex'
    type: 'int'
  }
  {
    name: 'IngestEnqueuedTime'
    type: 'datetime'
  }
  {
    name: 'OriginalTimeGenerated'
    type: 'datetime'
  }
]

var columnsAuditLogs = [
  {
    name: 'AADOperationType'
    type: 'string'
  }
  {
    name: 'AADTenantId'
    type: 'string'
  }
  {
    name: 'ActivityDateTime'
    type: 'datetime'
  }
  {
    name: 'ActivityDisplayName'
    type: 'string'
  }
  {
    name: 'AdditionalDetails'
    type: 'dynamic'
  }
  {
    name: 'Category'
    type: 'string'
  }
  {
    name: 'CorrelationId'
    type: 'string'
  }
  {
    name: 'DurationMs'
    type: 'long'
  }
  {
    name: 'RecordId'
    type: 'string'
  }
  {
    name: 'Identity'
    type: 'string'
  }
  {
    name: 'InitiatedBy'
    type: 'dynamic'
  }
  {
    name: 'Level'
    type: 'string'
  }
  {
    name: 'Location'
    type: 'string'
  }
  {
    name: 'LoggedByService'
    type: 'string'
  }
  {
    name: 'OperationName'
    type: 'string'
  }
  {
    name: 'OperationVersion'
    type: 'string'
  }
  {
    name: 'Resource'
    type: 'string'
  }
  {
    name: 'ResourceGroup'
    type: 'string'
  }
  {
    name: 'ResourceId'
    type: 'string'
  }
  {
    name: 'ResourceProvider'
    type: 'string'
  }
  {
    name: 'Result'
    type: 'string'
  }
  {
    name: 'ResultDescription'
    type: 'string'
  }
  {
    name: 'ResultReason'
    type: 'string'
  }
  {
    name: 'ResultSignature'
    type: 'string'
  }
  {
    name: 'ResultType'
    type: 'string'
  }
  {
    name: 'TargetResources'
    type: 'dynamic'
  }
  {
    name: 'TimeGenerated'
    type: 'datetime'
  }
  {
    name: 'AdditionalFields'
    type: 'dynamic'
  }
  {
    name: 'IngestSource'
    type: 'string'
  }
  {
    name: 'IngestPartition'
    type: 'string'
  }
  {
    name: 'IngestSequenceNumber'
    type: 'long'
  }
  {
    name: 'IngestRecordIndex'
    type: 'int'
  }
  {
    name: 'IngestEnqueuedTime'
    type: 'datetime'
  }
  {
    name: 'OriginalTimeGenerated'
    type: 'datetime'
  }
]

var columnsAADProvisioningLogs = [
  {
    name: 'AADTenantId'
    type: 'string'
  }
  {
    name: 'Category'
    type: 'string'
  }
  {
    name: 'ChangeId'
    type: 'string'
  }
  {
    name: 'CorrelationId'
    type: 'string'
  }
  {
    name: 'CycleId'
    type: 'string'
  }
  {
    name: 'DurationMs'
    type: 'long'
  }
  {
    name: 'RecordId'
    type: 'string'
  }
  {
    name: 'InitiatedBy'
    type: 'string'
  }
  {
    name: 'JobId'
    type: 'string'
  }
  {
    name: 'ModifiedProperties'
    type: 'string'
  }
  {
    name: 'OperationName'
    type: 'string'
  }
  {
    name: 'OperationVersion'
    type: 'string'
  }
  {
    name: 'ProvisioningAction'
    type: 'string'
  }
  {
    name: 'ProvisioningStatusInfo'
    type: 'string'
  }
  {
    name: 'ProvisioningSteps'
    type: 'string'
  }
  {
    name: 'ResultDescription'
    type: 'string'
  }
  {
    name: 'ResultSignature'
    type: 'string'
  }
  {
    name: 'ResultType'
    type: 'string'
  }
  {
    name: 'ServicePrincipal'
    type: 'string'
  }
  {
    name: 'SourceIdentity'
    type: 'string'
  }
  {
    name: 'SourceSystem'
    type: 'string'
  }
  {
    name: 'TargetIdentity'
    type: 'string'
  }
  {
    name: 'TargetSystem'
    type: 'string'
  }
  {
    name: 'RecordTenantId'
    type: 'string'
  }
  {
    name: 'TimeGenerated'
    type: 'datetime'
  }
  {
    name: 'AdditionalFields'
    type: 'dynamic'
  }
  {
    name: 'IngestSource'
    type: 'string'
  }
  {
    name: 'IngestPartition'
    type: 'string'
  }
  {
    name: 'IngestSequenceNumber'
    type: 'long'
  }
  {
    name: 'IngestRecordIndex'
    type: 'int'
  }
  {
    name: 'IngestEnqueuedTime'
    type: 'datetime'
  }
  {
    name: 'OriginalTimeGenerated'
    type: 'datetime'
  }
]

var columnsAADRiskyUsers = [
  {
    name: 'CorrelationId'
    type: 'string'
  }
  {
    name: 'RecordId'
    type: 'string'
  }
  {
    name: 'IsDeleted'
    type: 'boolean'
  }
  {
    name: 'IsProcessing'
    type: 'boolean'
  }
  {
    name: 'OperationName'
    type: 'string'
  }
  {
    name: 'RiskDetail'
    type: 'string'
  }
  {
    name: 'RiskLastUpdatedDateTime'
    type: 'datetime'
  }
  {
    name: 'RiskLevel'
    type: 'string'
  }
  {
    name: 'RiskState'
    type: 'string'
  }
  {
    name: 'RecordTenantId'
    type: 'string'
  }
  {
    name: 'TimeGenerated'
    type: 'datetime'
  }
  {
    name: 'UserDisplayName'
    type: 'string'
  }
  {
    name: 'UserPrincipalName'
    type: 'string'
  }
  {
    name: 'AdditionalFields'
    type: 'dynamic'
  }
  {
    name: 'IngestSource'
    type: 'string'
  }
  {
    name: 'IngestPartition'
    type: 'string'
  }
  {
    name: 'IngestSequenceNumber'
    type: 'long'
  }
  {
    name: 'IngestRecordIndex'
    type: 'int'
  }
  {
    name: 'IngestEnqueuedTime'
    type: 'datetime'
  }
  {
    name: 'OriginalTimeGenerated'
    type: 'datetime'
  }
]

var columnsAADUserRiskEvents = [
  {
    name: 'Activity'
    type: 'string'
  }
  {
    name: 'ActivityDateTime'
    type: 'datetime'
  }
  {
    name: 'AdditionalInfo'
    type: 'dynamic'
  }
  {
    name: 'CorrelationId'
    type: 'string'
  }
  {
    name: 'DetectedDateTime'
    type: 'datetime'
  }
  {
    name: 'DetectionTimingType'
    type: 'string'
  }
  {
    name: 'RecordId'
    type: 'string'
  }
  {
    name: 'IpAddress'
    type: 'string'
  }
  {
    name: 'LastUpdatedDateTime'
    type: 'datetime'
  }
  {
    name: 'Location'
    type: 'dynamic'
  }
  {
    name: 'OperationName'
    type: 'string'
  }
  {
    name: 'RequestId'
    type: 'string'
  }
  {
    name: 'RiskDetail'
    type: 'string'
  }
  {
    name: 'RiskEventType'
    type: 'string'
  }
  {
    name: 'RiskLevel'
    type: 'string'
  }
  {
    name: 'RiskState'
    type: 'string'
  }
  {
    name: 'Source'
    type: 'string'
  }
  {
    name: 'RecordTenantId'
    type: 'string'
  }
  {
    name: 'TimeGenerated'
    type: 'datetime'
  }
  {
    name: 'TokenIssuerType'
    type: 'string'
  }
  {
    name: 'UserDisplayName'
    type: 'string'
  }
  {
    name: 'UserId'
    type: 'string'
  }
  {
    name: 'UserPrincipalName'
    type: 'string'
  }
  {
    name: 'AdditionalFields'
    type: 'dynamic'
  }
  {
    name: 'IngestSource'
    type: 'string'
  }
  {
    name: 'IngestPartition'
    type: 'string'
  }
  {
    name: 'IngestSequenceNumber'
    type: 'long'
  }
  {
    name: 'IngestRecordIndex'
    type: 'int'
  }
  {
    name: 'IngestEnqueuedTime'
    type: 'datetime'
  }
  {
    name: 'OriginalTimeGenerated'
    type: 'datetime'
  }
]

var columnsAADRiskyServicePrincipals = [
  {
    name: 'AccountEnabled'
    type: 'boolean'
  }
  {
    name: 'AppId'
    type: 'string'
  }
  {
    name: 'CorrelationId'
    type: 'string'
  }
  {
    name: 'DisplayName'
    type: 'string'
  }
  {
    name: 'RecordId'
    type: 'string'
  }
  {
    name: 'IsProcessing'
    type: 'boolean'
  }
  {
    name: 'OperationName'
    type: 'string'
  }
  {
    name: 'RiskDetail'
    type: 'string'
  }
  {
    name: 'RiskLastUpdatedDateTime'
    type: 'datetime'
  }
  {
    name: 'RiskLevel'
    type: 'string'
  }
  {
    name: 'RiskState'
    type: 'string'
  }
  {
    name: 'ServicePrincipalType'
    type: 'string'
  }
  {
    name: 'RecordTenantId'
    type: 'string'
  }
  {
    name: 'TimeGenerated'
    type: 'datetime'
  }
  {
    name: 'AdditionalFields'
    type: 'dynamic'
  }
  {
    name: 'IngestSource'
    type: 'string'
  }
  {
    name: 'IngestPartition'
    type: 'string'
  }
  {
    name: 'IngestSequenceNumber'
    type: 'long'
  }
  {
    name: 'IngestRecordIndex'
    type: 'int'
  }
  {
    name: 'IngestEnqueuedTime'
    type: 'datetime'
  }
  {
    name: 'OriginalTimeGenerated'
    type: 'datetime'
  }
]

var columnsAADServicePrincipalRiskEvents = [
  {
    name: 'Activity'
    type: 'string'
  }
  {
    name: 'ActivityDateTime'
    type: 'datetime'
  }
  {
    name: 'AdditionalInfo'
    type: 'dynamic'
  }
  {
    name: 'AppId'
    type: 'string'
  }
  {
    name: 'CorrelationId'
    type: 'string'
  }
  {
    name: 'DetectedDateTime'
    type: 'datetime'
  }
  {
    name: 'DetectionTimingType'
    type: 'string'
  }
  {
    name: 'RecordId'
    type: 'string'
  }
  {
    name: 'IpAddress'
    type: 'string'
  }
  {
    name: 'KeyIds'
    type: 'dynamic'
  }
  {
    name: 'LastUpdatedDateTime'
    type: 'datetime'
  }
  {
    name: 'Location'
    type: 'dynamic'
  }
  {
    name: 'OperationName'
    type: 'string'
  }
  {
    name: 'RequestId'
    type: 'string'
  }
  {
    name: 'RiskDetail'
    type: 'string'
  }
  {
    name: 'RiskEventType'
    type: 'string'
  }
  {
    name: 'RiskLevel'
    type: 'string'
  }
  {
    name: 'RiskState'
    type: 'string'
  }
  {
    name: 'ServicePrincipalDisplayName'
    type: 'string'
  }
  {
    name: 'ServicePrincipalId'
    type: 'string'
  }
  {
    name: 'Source'
    type: 'string'
  }
  {
    name: 'RecordTenantId'
    type: 'string'
  }
  {
    name: 'TimeGenerated'
    type: 'datetime'
  }
  {
    name: 'TokenIssuerType'
    type: 'string'
  }
  {
    name: 'AdditionalFields'
    type: 'dynamic'
  }
  {
    name: 'IngestSource'
    type: 'string'
  }
  {
    name: 'IngestPartition'
    type: 'string'
  }
  {
    name: 'IngestSequenceNumber'
    type: 'long'
  }
  {
    name: 'IngestRecordIndex'
    type: 'int'
  }
  {
    name: 'IngestEnqueuedTime'
    type: 'datetime'
  }
  {
    name: 'OriginalTimeGenerated'
    type: 'datetime'
  }
]

var columnsMicrosoftGraphActivityLogs = [
  {
    name: 'AadTenantId'
    type: 'string'
  }
  {
    name: 'ApiVersion'
    type: 'string'
  }
  {
    name: 'AppId'
    type: 'string'
  }
  {
    name: 'ATContent'
    type: 'string'
  }
  {
    name: 'ClientAuthMethod'
    type: 'int'
  }
  {
    name: 'ClientRequestId'
    type: 'string'
  }
  {
    name: 'DurationMs'
    type: 'int'
  }
  {
    name: 'IdentityProvider'
    type: 'string'
  }
  {
    name: 'IPAddress'
    type: 'string'
  }
  {
    name: 'Location'
    type: 'string'
  }
  {
    name: 'OperationId'
    type: 'string'
  }
  {
    name: 'RequestId'
    type: 'string'
  }
  {
    name: 'RequestMethod'
    type: 'string'
  }
  {
    name: 'RequestUri'
    type: 'string'
  }
  {
    name: 'ResponseSizeBytes'
    type: 'int'
  }
  {
    name: 'ResponseStatusCode'
    type: 'int'
  }
  {
    name: 'Roles'
    type: 'string'
  }
  {
    name: 'Scopes'
    type: 'string'
  }
  {
    name: 'ServicePrincipalId'
    type: 'string'
  }
  {
    name: 'SignInActivityId'
    type: 'string'
  }
  {
    name: 'RecordTenantId'
    type: 'string'
  }
  {
    name: 'TimeGenerated'
    type: 'datetime'
  }
  {
    name: 'TokenIssuedAt'
    type: 'datetime'
  }
  {
    name: 'UserAgent'
    type: 'string'
  }
  {
    name: 'UserId'
    type: 'string'
  }
  {
    name: 'Wids'
    type: 'string'
  }
  {
    name: 'AdditionalFields'
    type: 'dynamic'
  }
  {
    name: 'IngestSource'
    type: 'string'
  }
  {
    name: 'IngestPartition'
    type: 'string'
  }
  {
    name: 'IngestSequenceNumber'
    type: 'long'
  }
  {
    name: 'IngestRecordIndex'
    type: 'int'
  }
  {
    name: 'IngestEnqueuedTime'
    type: 'datetime'
  }
  {
    name: 'OriginalTimeGenerated'
    type: 'datetime'
  }
]

var columnsUnknownCategoryLogs = [
  {
    name: 'TimeGenerated'
    type: 'datetime'
  }
  {
    name: 'Category'
    type: 'string'
  }
  {
    name: 'RawRecord'
    type: 'dynamic'
  }
  {
    name: 'AdditionalFields'
    type: 'dynamic'
  }
  {
    name: 'IngestSource'
    type: 'string'
  }
  {
    name: 'IngestPartition'
    type: 'string'
  }
  {
    name: 'IngestSequenceNumber'
    type: 'long'
  }
  {
    name: 'IngestRecordIndex'
    type: 'int'
  }
  {
    name: 'IngestEnqueuedTime'
    type: 'datetime'
  }
  {
    name: 'OriginalTimeGenerated'
    type: 'datetime'
  }
]

var columnsASimAuthenticationEventLogs = [
  {
    name: 'TimeGenerated'
    type: 'datetime'
  }
  {
    name: 'EventCount'
    type: 'int'
  }
  {
    name: 'EventStartTime'
    type: 'datetime'
  }
  {
    name: 'EventEndTime'
    type: 'datetime'
  }
  {
    name: 'EventType'
    type: 'string'
  }
  {
    name: 'EventSubType'
    type: 'string'
  }
  {
    name: 'EventOriginalSubType'
    type: 'string'
  }
  {
    name: 'EventResult'
    type: 'string'
  }
  {
    name: 'EventResultDetails'
    type: 'string'
  }
  {
    name: 'EventOriginalResultDetails'
    type: 'string'
  }
  {
    name: 'EventSeverity'
    type: 'string'
  }
  {
    name: 'EventProduct'
    type: 'string'
  }
  {
    name: 'EventProductVersion'
    type: 'string'
  }
  {
    name: 'EventVendor'
    type: 'string'
  }
  {
    name: 'EventSchemaVersion'
    type: 'string'
  }
  {
    name: 'EventOriginalUid'
    type: 'string'
  }
  {
    name: 'LogonMethod'
    type: 'string'
  }
  {
    name: 'SrcIpAddr'
    type: 'string'
  }
  {
    name: 'SrcHostname'
    type: 'string'
  }
  {
    name: 'SrcDvcId'
    type: 'string'
  }
  {
    name: 'SrcDvcIdType'
    type: 'string'
  }
  {
    name: 'SrcDvcOs'
    type: 'string'
  }
  {
    name: 'SrcGeoCity'
    type: 'string'
  }
  {
    name: 'SrcGeoCountry'
    type: 'string'
  }
  {
    name: 'SrcGeoRegion'
    type: 'string'
  }
  {
    name: 'SrcGeoLatitude'
    type: 'real'
  }
  {
    name: 'SrcGeoLongitude'
    type: 'real'
  }
  {
    name: 'HttpUserAgent'
    type: 'string'
  }
  {
    name: 'TargetSessionId'
    type: 'string'
  }
  {
    name: 'TargetUserId'
    type: 'string'
  }
  {
    name: 'TargetUserIdType'
    type: 'string'
  }
  {
    name: 'TargetUsername'
    type: 'string'
  }
  {
    name: 'TargetUsernameType'
    type: 'string'
  }
  {
    name: 'TargetUserType'
    type: 'string'
  }
  {
    name: 'TargetAppId'
    type: 'string'
  }
  {
    name: 'TargetAppName'
    type: 'string'
  }
  {
    name: 'TargetAppType'
    type: 'string'
  }
  {
    name: 'ActingAppId'
    type: 'string'
  }
  {
    name: 'ActingAppType'
    type: 'string'
  }
  {
    name: 'ActingOriginalAppType'
    type: 'string'
  }
  {
    name: 'AdditionalFields'
    type: 'dynamic'
  }
]

var columnsASimAuditEventLogs = [
  {
    name: 'TimeGenerated'
    type: 'datetime'
  }
  {
    name: 'EventCount'
    type: 'int'
  }
  {
    name: 'EventStartTime'
    type: 'datetime'
  }
  {
    name: 'EventEndTime'
    type: 'datetime'
  }
  {
    name: 'EventType'
    type: 'string'
  }
  {
    name: 'EventResult'
    type: 'string'
  }
  {
    name: 'EventOriginalResultDetails'
    type: 'string'
  }
  {
    name: 'EventSeverity'
    type: 'string'
  }
  {
    name: 'EventProduct'
    type: 'string'
  }
  {
    name: 'EventVendor'
    type: 'string'
  }
  {
    name: 'EventSchemaVersion'
    type: 'string'
  }
  {
    name: 'EventOriginalUid'
    type: 'string'
  }
  {
    name: 'EventOriginalType'
    type: 'string'
  }
  {
    name: 'Operation'
    type: 'string'
  }
  {
    name: 'Object'
    type: 'string'
  }
  {
    name: 'ObjectId'
    type: 'string'
  }
  {
    name: 'ObjectType'
    type: 'string'
  }
  {
    name: 'OriginalObjectType'
    type: 'string'
  }
  {
    name: 'OldValue'
    type: 'string'
  }
  {
    name: 'NewValue'
    type: 'string'
  }
  {
    name: 'ActorUsername'
    type: 'string'
  }
  {
    name: 'ActorUsernameType'
    type: 'string'
  }
  {
    name: 'ActorUserId'
    type: 'string'
  }
  {
    name: 'ActorUserIdType'
    type: 'string'
  }
  {
    name: 'ActorUserType'
    type: 'string'
  }
  {
    name: 'ActorUserAadId'
    type: 'string'
  }
  {
    name: 'ActorScope'
    type: 'string'
  }
  {
    name: 'ActorScopeId'
    type: 'string'
  }
  {
    name: 'ActorSessionId'
    type: 'string'
  }
  {
    name: 'SrcIpAddr'
    type: 'string'
  }
  {
    name: 'TargetAppName'
    type: 'string'
  }
  {
    name: 'TargetAppType'
    type: 'string'
  }
  {
    name: 'AdditionalFields'
    type: 'dynamic'
  }
]

resource tableSigninLogs 'Microsoft.OperationalInsights/workspaces/tables@2022-10-01' = {
  parent: workspace
  name: 'SigninLogs_CL'
  properties: {
    plan: 'Analytics'
    retentionInDays: retentionInDays
    schema: {
      name: 'SigninLogs_CL'
      columns: columnsSigninLogs
    }
  }
}

resource tableAADNonInteractiveUserSignInLogs 'Microsoft.OperationalInsights/workspaces/tables@2022-10-01' = {
  parent: workspace
  name: 'AADNonInteractiveUserSignInLogs_CL'
  properties: {
    plan: 'Analytics'
    retentionInDays: retentionInDays
    schema: {
      name: 'AADNonInteractiveUserSignInLogs_CL'
      columns: columnsAADNonInteractiveUserSignInLogs
    }
  }
}

resource tableAADServicePrincipalSignInLogs 'Microsoft.OperationalInsights/workspaces/tables@2022-10-01' = {
  parent: workspace
  name: 'AADServicePrincipalSignInLogs_CL'
  properties: {
    plan: 'Analytics'
    retentionInDays: retentionInDays
    schema: {
      name: 'AADServicePrincipalSignInLogs_CL'
      columns: columnsAADServicePrincipalSignInLogs
    }
  }
}

resource tableAADManagedIdentitySignInLogs 'Microsoft.OperationalInsights/workspaces/tables@2022-10-01' = {
  parent: workspace
  name: 'AADManagedIdentitySignInLogs_CL'
  properties: {
    plan: 'Analytics'
    retentionInDays: retentionInDays
    schema: {
      name: 'AADManagedIdentitySignInLogs_CL'
      columns: columnsAADManagedIdentitySignInLogs
    }
  }
}

resource tableADFSSignInLogs 'Microsoft.OperationalInsights/workspaces/tables@2022-10-01' = {
  parent: workspace
  name: 'ADFSSignInLogs_CL'
  properties: {
    plan: 'Analytics'
    retentionInDays: retentionInDays
    schema: {
      name: 'ADFSSignInLogs_CL'
      columns: columnsADFSSignInLogs
    }
  }
}

resource tableAuditLogs 'Microsoft.OperationalInsights/workspaces/tables@2022-10-01' = {
  parent: workspace
  name: 'AuditLogs_CL'
  properties: {
    plan: 'Analytics'
    retentionInDays: retentionInDays
    schema: {
      name: 'AuditLogs_CL'
      columns: columnsAuditLogs
    }
  }
}

resource tableAADProvisioningLogs 'Microsoft.OperationalInsights/workspaces/tables@2022-10-01' = {
  parent: workspace
  name: 'AADProvisioningLogs_CL'
  properties: {
    plan: 'Analytics'
    retentionInDays: retentionInDays
    schema: {
      name: 'AADProvisioningLogs_CL'
      columns: columnsAADProvisioningLogs
    }
  }
}

resource tableAADRiskyUsers 'Microsoft.OperationalInsights/workspaces/tables@2022-10-01' = {
  parent: workspace
  name: 'AADRiskyUsers_CL'
  properties: {
    plan: 'Analytics'
    retentionInDays: retentionInDays
    schema: {
      name: 'AADRiskyUsers_CL'
      columns: columnsAADRiskyUsers
    }
  }
}

resource tableAADUserRiskEvents 'Microsoft.OperationalInsights/workspaces/tables@2022-10-01' = {
  parent: workspace
  name: 'AADUserRiskEvents_CL'
  properties: {
    plan: 'Analytics'
    retentionInDays: retentionInDays
    schema: {
      name: 'AADUserRiskEvents_CL'
      columns: columnsAADUserRiskEvents
    }
  }
}

resource tableAADRiskyServicePrincipals 'Microsoft.OperationalInsights/workspaces/tables@2022-10-01' = {
  parent: workspace
  name: 'AADRiskyServicePrincipals_CL'
  properties: {
    plan: 'Analytics'
    retentionInDays: retentionInDays
    schema: {
      name: 'AADRiskyServicePrincipals_CL'
      columns: columnsAADRiskyServicePrincipals
    }
  }
}

resource tableAADServicePrincipalRiskEvents 'Microsoft.OperationalInsights/workspaces/tables@2022-10-01' = {
  parent: workspace
  name: 'AADServicePrincipalRiskEvents_CL'
  properties: {
    plan: 'Analytics'
    retentionInDays: retentionInDays
    schema: {
      name: 'AADServicePrincipalRiskEvents_CL'
      columns: columnsAADServicePrincipalRiskEvents
    }
  }
}

resource tableMicrosoftGraphActivityLogs 'Microsoft.OperationalInsights/workspaces/tables@2022-10-01' = {
  parent: workspace
  name: 'MicrosoftGraphActivityLogs_CL'
  properties: {
    plan: 'Analytics'
    retentionInDays: retentionInDays
    schema: {
      name: 'MicrosoftGraphActivityLogs_CL'
      columns: columnsMicrosoftGraphActivityLogs
    }
  }
}

resource tableUnknownCategoryLogs 'Microsoft.OperationalInsights/workspaces/tables@2022-10-01' = {
  parent: workspace
  name: 'UnknownCategoryLogs_CL'
  properties: {
    plan: 'Analytics'
    retentionInDays: retentionInDays
    schema: {
      name: 'UnknownCategoryLogs_CL'
      columns: columnsUnknownCategoryLogs
    }
  }
}

resource dce 'Microsoft.Insights/dataCollectionEndpoints@2023-03-11' = {
  name: '${namePrefix}-dce'
  location: location
  properties: {
    networkAcls: {
      publicNetworkAccess: 'Enabled'
    }
  }
}

resource dcr1 'Microsoft.Insights/dataCollectionRules@2023-03-11' = {
  name: '${namePrefix}-dcr-1'
  location: location
  dependsOn: [
    tableSigninLogs
    tableAADNonInteractiveUserSignInLogs
    tableAADServicePrincipalSignInLogs
    tableAADManagedIdentitySignInLogs
    tableADFSSignInLogs
    tableAuditLogs
    tableAADProvisioningLogs
    tableAADRiskyUsers
    tableAADUserRiskEvents
    tableAADRiskyServicePrincipals
  ]
  properties: {
    dataCollectionEndpointId: dce.id
    streamDeclarations: {
      'Custom-SigninLogs': {
        columns: columnsSigninLogs
      }
      'Custom-AADNonInteractiveUserSignInLogs': {
        columns: columnsAADNonInteractiveUserSignInLogs
      }
      'Custom-AADServicePrincipalSignInLogs': {
        columns: columnsAADServicePrincipalSignInLogs
      }
      'Custom-AADManagedIdentitySignInLogs': {
        columns: columnsAADManagedIdentitySignInLogs
      }
      'Custom-ADFSSignInLogs': {
        columns: columnsADFSSignInLogs
      }
      'Custom-AuditLogs': {
        columns: columnsAuditLogs
      }
      'Custom-AADProvisioningLogs': {
        columns: columnsAADProvisioningLogs
      }
      'Custom-AADRiskyUsers': {
        columns: columnsAADRiskyUsers
      }
      'Custom-AADUserRiskEvents': {
        columns: columnsAADUserRiskEvents
      }
      'Custom-AADRiskyServicePrincipals': {
        columns: columnsAADRiskyServicePrincipals
      }
    }
    destinations: {
      logAnalytics: [
        {
          workspaceResourceId: workspace.id
          name: 'workspace'
        }
      ]
    }
    dataFlows: [
      {
        streams: [
          'Custom-SigninLogs'
        ]
        destinations: [
          'workspace'
        ]
        transformKql: 'source'
        outputStream: 'Custom-SigninLogs_CL'
      }
      {
        streams: [
          'Custom-AADNonInteractiveUserSignInLogs'
        ]
        destinations: [
          'workspace'
        ]
        transformKql: 'source'
        outputStream: 'Custom-AADNonInteractiveUserSignInLogs_CL'
      }
      {
        streams: [
          'Custom-AADServicePrincipalSignInLogs'
        ]
        destinations: [
          'workspace'
        ]
        transformKql: 'source'
        outputStream: 'Custom-AADServicePrincipalSignInLogs_CL'
      }
      {
        streams: [
          'Custom-AADManagedIdentitySignInLogs'
        ]
        destinations: [
          'workspace'
        ]
        transformKql: 'source'
        outputStream: 'Custom-AADManagedIdentitySignInLogs_CL'
      }
      {
        streams: [
          'Custom-ADFSSignInLogs'
        ]
        destinations: [
          'workspace'
        ]
        transformKql: 'source'
        outputStream: 'Custom-ADFSSignInLogs_CL'
      }
      {
        streams: [
          'Custom-AuditLogs'
        ]
        destinations: [
          'workspace'
        ]
        transformKql: 'source'
        outputStream: 'Custom-AuditLogs_CL'
      }
      {
        streams: [
          'Custom-AADProvisioningLogs'
        ]
        destinations: [
          'workspace'
        ]
        transformKql: 'source'
        outputStream: 'Custom-AADProvisioningLogs_CL'
      }
      {
        streams: [
          'Custom-AADRiskyUsers'
        ]
        destinations: [
          'workspace'
        ]
        transformKql: 'source'
        outputStream: 'Custom-AADRiskyUsers_CL'
      }
      {
        streams: [
          'Custom-AADUserRiskEvents'
        ]
        destinations: [
          'workspace'
        ]
        transformKql: 'source'
        outputStream: 'Custom-AADUserRiskEvents_CL'
      }
      {
        streams: [
          'Custom-AADRiskyServicePrincipals'
        ]
        destinations: [
          'workspace'
        ]
        transformKql: 'source'
        outputStream: 'Custom-AADRiskyServicePrincipals_CL'
      }
    ]
  }
}

resource dcr2 'Microsoft.Insights/dataCollectionRules@2023-03-11' = {
  name: '${namePrefix}-dcr-2'
  location: location
  dependsOn: [
    tableAADServicePrincipalRiskEvents
    tableMicrosoftGraphActivityLogs
    tableUnknownCategoryLogs
  ]
  properties: {
    dataCollectionEndpointId: dce.id
    streamDeclarations: {
      'Custom-AADServicePrincipalRiskEvents': {
        columns: columnsAADServicePrincipalRiskEvents
      }
      'Custom-MicrosoftGraphActivityLogs': {
        columns: columnsMicrosoftGraphActivityLogs
      }
      'Custom-UnknownCategoryLogs': {
        columns: columnsUnknownCategoryLogs
      }
    }
    destinations: {
      logAnalytics: [
        {
          workspaceResourceId: workspace.id
          name: 'workspace'
        }
      ]
    }
    dataFlows: [
      {
        streams: [
          'Custom-AADServicePrincipalRiskEvents'
        ]
        destinations: [
          'workspace'
        ]
        transformKql: 'source'
        outputStream: 'Custom-AADServicePrincipalRiskEvents_CL'
      }
      {
        streams: [
          'Custom-MicrosoftGraphActivityLogs'
        ]
        destinations: [
          'workspace'
        ]
        transformKql: 'source'
        outputStream: 'Custom-MicrosoftGraphActivityLogs_CL'
      }
      {
        streams: [
          'Custom-UnknownCategoryLogs'
        ]
        destinations: [
          'workspace'
        ]
        transformKql: 'source'
        outputStream: 'Custom-UnknownCategoryLogs_CL'
      }
    ]
  }
}

resource dcr3 'Microsoft.Insights/dataCollectionRules@2023-03-11' = {
  name: '${namePrefix}-dcr-3'
  location: location
  dependsOn: [
  ]
  properties: {
    dataCollectionEndpointId: dce.id
    streamDeclarations: {
      'Custom-ASimAuthenticationEventLogs': {
        columns: columnsASimAuthenticationEventLogs
      }
      'Custom-ASimAuditEventLogs': {
        columns: columnsASimAuditEventLogs
      }
    }
    destinations: {
      logAnalytics: [
        {
          workspaceResourceId: workspace.id
          name: 'workspace'
        }
      ]
    }
    dataFlows: [
      {
        streams: [
          'Custom-ASimAuthenticationEventLogs'
        ]
        destinations: [
          'workspace'
        ]
        transformKql: 'source'
        outputStream: 'Microsoft-ASimAuthenticationEventLogs'
      }
      {
        streams: [
          'Custom-ASimAuditEventLogs'
        ]
        destinations: [
          'workspace'
        ]
        transformKql: 'source'
        outputStream: 'Microsoft-ASimAuditEventLogs'
      }
    ]
  }
}

output logsIngestionEndpoint string = dce.properties.logsIngestion.endpoint
output dcr1ImmutableId string = dcr1.properties.immutableId
output dcr2ImmutableId string = dcr2.properties.immutableId
output dcr3ImmutableId string = dcr3.properties.immutableId

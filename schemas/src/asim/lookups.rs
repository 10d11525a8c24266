//! The `datatable` lookups of Microsoft's ASIM parsers, ported row for row. Each names the
//! parser it comes from (see [`super::mapping`] for versions and commits); a value the ASIM
//! rules refuse is kept here as the parser has it and corrected in the mapping, where the
//! [`super::Deviation`] says why.

/// A lookup table: rows of text, the first column the key.
#[derive(Debug)]
pub struct Lookup {
    /// The `datatable`'s name in the parser.
    pub name: &'static str,
    /// Its columns, the key first.
    pub columns: &'static [&'static str],
    pub rows: &'static [&'static [&'static str]],
}

impl Lookup {
    /// The `column` of the row whose key is `key` (KQL's `lookup`: exact, case-sensitive).
    pub fn get(&self, key: &str, column: &str) -> Option<&'static str> {
        let at = self.columns.iter().position(|c| *c == column)?;
        self.rows.iter().find(|r| r[0] == key).map(|r| r[at])
    }
}

/// `FailedReason` of ASimAuthenticationAADSigninLogs.yaml 0.4.1.
pub static SIGNIN_FAILED_REASON: Lookup = Lookup {
    name: "FailedReason",
    columns: &["ResultType", "EventResultDetails"],
    rows: &[
        &["0", "Success"],
        &["50005", "Logon violates policy"],
        &["50011", "Logon violates policy"],
        &["50020", "Logon violates policy"],
        &["50034", "No such user or password"],
        &["50053", "User locked"],
        &["50055", "Password expired"],
        &["50056", "Incorrect password"],
        &["50057", "User disabled"],
        &["50058", "Logon violates policy"],
        &["50059", "No such user or password"],
        &["50064", "No such user or password"],
        &["50072", "Logon violates policy"],
        &["50074", "Logon violates policy"],
        &["50076", "Logon violates policy"],
        &["50079", "Logon violates policy"],
        &["50105", "Logon violates policy"],
        &["50126", "No such user or password"],
        &["50132", "Password expired"],
        &["50133", "Password expired"],
        &["50144", "Password expired"],
        &["50173", "Password expired"],
        &["51004", "No such user or password"],
        &["53003", "Logon violates policy"],
        &["70008", "Password expired"],
        &["80012", "Logon violates policy"],
        &["500011", "No such user or password"],
        &["700016", "No such user or password"],
    ],
};

/// `FailedReason` of ASimAuthenticationAADNonInteractive.yaml 0.2 (the same codes as the
/// interactive parser's, in another order).
pub static NON_INTERACTIVE_FAILED_REASON: Lookup = Lookup {
    name: "FailedReason",
    columns: &["ResultType", "EventResultDetails"],
    rows: &[
        &["0", "Success"],
        &["53003", "Logon violates policy"],
        &["50034", "No such user or password"],
        &["50059", "No such user or password"],
        &["50053", "User locked"],
        &["50055", "Password expired"],
        &["50056", "Incorrect password"],
        &["50057", "User disabled"],
        &["50058", "Logon violates policy"],
        &["50011", "Logon violates policy"],
        &["50064", "No such user or password"],
        &["50076", "Logon violates policy"],
        &["50079", "Logon violates policy"],
        &["50105", "Logon violates policy"],
        &["50126", "No such user or password"],
        &["50132", "Password expired"],
        &["50133", "Password expired"],
        &["50144", "Password expired"],
        &["50173", "Password expired"],
        &["80012", "Logon violates policy"],
        &["51004", "No such user or password"],
        &["50072", "Logon violates policy"],
        &["50005", "Logon violates policy"],
        &["50020", "Logon violates policy"],
        &["50074", "Logon violates policy"],
        &["70008", "Password expired"],
        &["700016", "No such user or password"],
        &["500011", "No such user or password"],
    ],
};

/// `UserTypeLookup` of ASimAuthenticationAADSigninLogs.yaml 0.4.1.
pub static SIGNIN_USER_TYPE: Lookup = Lookup {
    name: "UserTypeLookup",
    columns: &["UserType", "TargetUserType"],
    rows: &[&["Guest", "Guest"], &["Member", "Regular"], &["", ""]],
};

/// `ActingAppType` of ASimAuthenticationAADSigninLogs.yaml 0.4.1 (its "Authenticated STMP" is
/// the parser's spelling).
pub static SIGNIN_ACTING_APP_TYPE: Lookup = Lookup {
    name: "ActingAppType",
    columns: &["ActingOriginalAppType", "ActingAppType"],
    rows: &[
        &["Mobile Apps and Desktop clients", "Process"],
        &["Browser", "Service"],
        &["Authenticated STMP", "CSP"],
        &["Exchange Active Sync", "CSP"],
        &["Other", "Other"],
        &["Unknown", "Other"],
    ],
};

/// `LogonMethodLookup` of ASimAuthenticationAADSigninLogs.yaml 0.4.1.
pub static SIGNIN_LOGON_METHOD: Lookup = Lookup {
    name: "LogonMethodLookup",
    columns: &["OriginalLogonMethod", "LogonMethod"],
    rows: &[
        &["singleFactorAuthentication", "Username & Password"],
        &["multiFactorAuthentication", "Multi factor authentication"],
    ],
};

const RESULT_COLUMNS: &[&str] = &[
    "ResultType",
    "EventResultDetails",
    "EventType",
    "EventResult",
    "EventOriginalResultDetails",
    "EventSeverity",
];

/// `AADResultTypesLookup` of ASimAuthenticationAADServicePrincipalSignInLogs.yaml 0.2.1.
pub static SERVICE_PRINCIPAL_RESULT_TYPES: Lookup = Lookup {
    name: "AADResultTypesLookup",
    columns: RESULT_COLUMNS,
    rows: &[
        &["0", "", "Logon", "Success", "", "Informational"],
        &["50005", "Logon violates policy", "Logon", "Failure", "50005 - DevicePolicyError", "Low"],
        &["50011", "Logon violates policy", "Logon", "Failure", "50011 - The redirect URI specified in the request does not match", "Low"],
        &["50020", "Logon violates policy", "Logon", "Failure", "50020 - UserUnauthorized", "Low"],
        &["50034", "No such user", "Logon", "Failure", "50034 - UserAccountNotFound", "Low"],
        &["50053", "User locked", "Logon", "Failure", "50053 - IdsLocked or IP address with malicious activity", "Low"],
        &["50055", "Password expired", "Logon", "Failure", "50055 - InvalidPasswordExpiredPassword", "Low"],
        &["50056", "Incorrect password", "Logon", "Failure", "50056 - Invalid or null password", "Low"],
        &["50057", "User disabled", "Logon", "Failure", "50057 - UserDisabled", "Low"],
        &["50058", "Logon violates policy", "Logon", "Failure", "50058 - UserInformationNotProvided", "Low"],
        &["50059", "No such user", "Logon", "Failure", "50059 - MissingTenantRealmAndNoUserInformationProvided", "Low"],
        &["50061", "", "Logoff", "Failure", "50061 - SignoutInvalidRequest", "Low"],
        &["50064", "No such user or password", "Logon", "Failure", "50064 - CredentialAuthenticationError", "Low"],
        &["50068", "", "Logoff", "Failure", "50068 - SignoutInitiatorNotParticipant", "Low"],
        &["50072", "Logon violates policy", "Logon", "Failure", "50072 - UserStrongAuthEnrollmentRequiredInterrupt", "Low"],
        &["50074", "Logon violates policy", "Logon", "Failure", "50074 - UserStrongAuthClientAuthNRequiredInterrupt", "Low"],
        &["50076", "Logon violates policy", "Logon", "Failure", "50076 - UserStrongAuthClientAuthNRequired", "Low"],
        &["50078", "Logon violates policy", "Logon", "Failure", "50078 - UserStrongAuthExpired", "Low"],
        &["50079", "Logon violates policy", "Logon", "Failure", "50079 - UserStrongAuthEnrollmentRequired", "Low"],
        &["50105", "Logon violates policy", "Logon", "Failure", "50105 - EntitlementGrantsNotFound", "Low"],
        &["50126", "No such user or password", "Logon", "Failure", "50126 - InvalidUserNameOrPassword", "Low"],
        &["50132", "Password expired", "Logon", "Failure", "50132 - SsoArtifactInvalidOrExpired", "Low"],
        &["50133", "Password expired", "Logon", "Failure", "50133 - SsoArtifactRevoked", "Low"],
        &["50144", "Password expired", "Logon", "Failure", "50144 - InvalidPasswordExpiredOnPremPassword", "Low"],
        &["50173", "Session expired", "Logon", "Failure", "50173 -FreshTokenNeeded", "Low"],
        &["51004", "No such user", "Logon", "Failure", "51004 - UserAccountNotInDirectory", "Low"],
        &["53003", "Logon violates policy", "Logon", "Failure", "53003 - BlockedByConditionalAccess", "Low"],
        &["70008", "Session expired", "Logon", "Failure", "70008 - ExpiredOrRevokedGrant", "Low"],
        &["70021", "No such user", "Logon", "Failure", "70021 - No matching federated identity record found for presented assertion", "Low"],
        &["80012", "Logon violates policy", "Logon", "Failure", "80012 - OnPremisePasswordValidationAccountLogonInvalidHours", "Low"],
        &["90024", "Transient error", "Logon", "Failure", "90024 - RequestBudgetExceededError - A transient error has occurred", "Informational"],
        &["90033", "Transient error", "Logon", "Failure", "90033 - A transient error has occurred", "Informational"],
        &["100003", "Other", "Logon", "Failure", "100003", "Low"],
        &["500011", "No such user", "Logon", "Failure", "500011 - InvalidResourceServicePrincipalNotFound", "Low"],
        &["500341", "User disabled", "Logon", "Failure", "500341 - The user account has been deleted from the directory", "Low"],
        &["530032", "Logon violates policy", "Logon", "Failure", "530032 - BlockedByConditionalAccessOnSecurityPolicy", "Low"],
        &["530034", "Logon violates policy", "Logon", "Failure", "530034 - DelegatedAdminBlockedDueToSuspiciousActivity", "Low"],
        &["700016", "No such user", "Logon", "Failure", "700016 - UnauthorizedClient_DoesNotMatchRequest", "Low"],
        &["700027", "Incorrect key", "Logon", "Failure", "700027 - The certificate with identifier used to sign the client assertion is not registered on application", "Low"],
        &["700082", "Session expired", "Logon", "Failure", "700082 - ExpiredOrRevokedGrantInactiveToken", "Low"],
        &["1002016", "Logon violates policy", "Logon", "Failure", "1002016 - You are using TLS version 1.0, 1.1 and/or 3DES cipher", "Low"],
        &["7000215", "Incorrect password", "Logon", "Failure", "7000215 - Invalid client secret is provided", "Low"],
        &["7000222", "Session expired", "Logon", "Failure", "7000222 - The provided client secret keys are expired", "Low"],
    ],
};

/// `AADResultTypesLookup` of ASimAuthenticationAADManagedIdentity.yaml 0.2.3.
pub static MANAGED_IDENTITY_RESULT_TYPES: Lookup = Lookup {
    name: "AADResultTypesLookup",
    columns: RESULT_COLUMNS,
    rows: &[
        &["0", "", "Logon", "Success", "", "Informational"],
        &["50005", "Logon violates policy", "Logon", "Failure", "50005 - DevicePolicyError", "Low"],
        &["50011", "Logon violates policy", "Logon", "Failure", "50011 - The redirect URI specified in the request does not match", "Low"],
        &["50020", "Logon violates policy", "Logon", "Failure", "50020 - UserUnauthorized", "Low"],
        &["50034", "No such user", "Logon", "Failure", "50034 - UserAccountNotFound", "Low"],
        &["50053", "User locked", "Logon", "Failure", "50053 - IdsLocked or IP address with malicious activity", "Low"],
        &["50055", "Password expired", "Logon", "Failure", "50055 - InvalidPasswordExpiredPassword", "Low"],
        &["50056", "Incorrect password", "Logon", "Failure", "50056 - Invalid or null password", "Low"],
        &["50057", "User disabled", "Logon", "Failure", "50057 - UserDisabled", "Low"],
        &["50058", "Logon violates policy", "Logon", "Failure", "50058 - UserInformationNotProvided", "Low"],
        &["50059", "No such user", "Logon", "Failure", "50059 - MissingTenantRealmAndNoUserInformationProvided", "Low"],
        &["50061", "", "Logoff", "Failure", "50061 - SignoutInvalidRequest", "Low"],
        &["50064", "No such user or password", "Logon", "Failure", "50064 - CredentialAuthenticationError", "Low"],
        &["50068", "", "Logoff", "Failure", "50068 - SignoutInitiatorNotParticipant", "Low"],
        &["50072", "Logon violates policy", "Logon", "Failure", "50072 - UserStrongAuthEnrollmentRequiredInterrupt", "Low"],
        &["50074", "Logon violates policy", "Logon", "Failure", "50074 - UserStrongAuthClientAuthNRequiredInterrupt", "Low"],
        &["50076", "Logon violates policy", "Logon", "Failure", "50076 - UserStrongAuthClientAuthNRequired", "Low"],
        &["50078", "Logon violates policy", "Logon", "Failure", "50078 - UserStrongAuthExpired", "Low"],
        &["50079", "Logon violates policy", "Logon", "Failure", "50079 - UserStrongAuthEnrollmentRequired", "Low"],
        &["50105", "Logon violates policy", "Logon", "Failure", "50105 - EntitlementGrantsNotFound", "Low"],
        &["50126", "No such user or password", "Logon", "Failure", "50126 - InvalidUserNameOrPassword", "Low"],
        &["50132", "Password expired", "Logon", "Failure", "50132 - SsoArtifactInvalidOrExpired", "Low"],
        &["50133", "Password expired", "Logon", "Failure", "50133 - SsoArtifactRevoked", "Low"],
        &["50144", "Password expired", "Logon", "Failure", "50144 - InvalidPasswordExpiredOnPremPassword", "Low"],
        &["50173", "Session expired", "Logon", "Failure", "50173 -FreshTokenNeeded", "Low"],
        &["51004", "No such user", "Logon", "Failure", "51004 - UserAccountNotInDirectory", "Low"],
        &["53003", "Logon violates policy", "Logon", "Failure", "53003 - BlockedByConditionalAccess", "Low"],
        &["70008", "Session expired", "Logon", "Failure", "70008 - ExpiredOrRevokedGrant", "Low"],
        &["80012", "Logon violates policy", "Logon", "Failure", "80012 - OnPremisePasswordValidationAccountLogonInvalidHours", "Low"],
        &["100003", "Other", "Logon", "Failure", "100003", "Low"],
        &["500011", "No such user", "Logon", "Failure", "500011 - InvalidResourceServicePrincipalNotFound", "Low"],
        &["530032", "Logon violates policy", "Logon", "Failure", "530032 - BlockedByConditionalAccessOnSecurityPolicy", "Low"],
        &["530034", "Logon violates policy", "Logon", "Failure", "530034 - DelegatedAdminBlockedDueToSuspiciousActivity", "Low"],
        &["700016", "No such user", "Logon", "Failure", "700016 - UnauthorizedClient_DoesNotMatchRequest", "Low"],
        &["700027", "Incorrect key", "Logon", "Failure", "700027 - The certificate with identifier used to sign the client assertion is not registered on application", "Low"],
        &["700082", "Session expired", "Logon", "Failure", "700082 - ExpiredOrRevokedGrantInactiveToken", "Low"],
    ],
};

/// `EntraIDOperationLookup` of ASimAuditEventMicrosoftEntraIDAuditLogs.yaml 0.1.0.
pub static AUDIT_OPERATION_TYPE: Lookup = Lookup {
    name: "EntraIDOperationLookup",
    columns: &["AADOperationType", "EventType"],
    rows: &[
        &["Add", "Create"],
        &["Update", "Set"],
        &["Delete", "Delete"],
        &["Other", "Other"],
        &["Assign", "Set"],
        &["Unassign", "Delete"],
        &["", "Other"],
    ],
};

/// The `case` of ASimAuditEventMicrosoftEntraIDAuditLogs.yaml 0.1.0 that turns
/// `TargetResources[0].type` into `ObjectType` (its default, `"Other"`, is in the mapping).
pub static AUDIT_OBJECT_TYPE: Lookup = Lookup {
    name: "ObjectType case",
    columns: &["type", "ObjectType"],
    rows: &[
        &["User", "Directory Service Object"],
        &["Group", "Directory Service Object"],
        &["Application", "Cloud Resource"],
        &["ServicePrincipal", "Cloud Resource"],
        &["Policy", "Policy Rule"],
        &["Role", "Configuration Atom"],
        &["Device", "Directory Service Object"],
    ],
};

//! Every real record in `../shared/samples/entra/` converts, lands in the expected table, and
//! carries the exact values written here from reading the records; the lake is read back by
//! DuckDB, not by us.

use std::collections::BTreeMap;

use aad_tests::{convert_into, duckdb, samples_dir, Row};

/// (file, [(table, rows)]): every file's records and where they go.
const ROUTES: &[(&str, &[(&str, u64)])] = &[
    ("elastic_beats__x-pack_filebeat_module_azure_auditlogs_test_audit_log.json", &[("AuditLogs", 1)]),
    ("elastic_beats__x-pack_filebeat_module_azure_signinlogs_test_signin_log.json", &[("SigninLogs", 1)]),
    ("elastic_beats__x-pack_filebeat_module_azure_signinlogs_test_signinlogs.log", &[("SigninLogs", 1)]),
    ("elastic_beats__x-pack_filebeat_module_azure_signinlogs_test_signinlogs_ipv6.log", &[("SigninLogs", 1)]),
    ("elastic_beats__x-pack_filebeat_module_azure_signinlogs_test_test-managed-identity.log", &[("AADManagedIdentitySignInLogs", 1)]),
    ("elastic_integrations__packages_azure_data_stream_auditlogs__dev_test_pipeline_test-audit-logs-duration-as-string.log", &[("AuditLogs", 1)]),
    ("elastic_integrations__packages_azure_data_stream_auditlogs__dev_test_pipeline_test-audit-logs-edgecases.log", &[("AuditLogs", 2)]),
    ("elastic_integrations__packages_azure_data_stream_auditlogs__dev_test_pipeline_test-audit-logs-sample.log", &[("AuditLogs", 3)]),
    ("elastic_integrations__packages_azure_data_stream_auditlogs__dev_test_pipeline_test-auditlogs-raw.log", &[("AuditLogs", 3)]),
    ("elastic_integrations__packages_azure_data_stream_auditlogs__dev_test_pipeline_test-auditlogs-result-description.log", &[("AuditLogs", 2)]),
    ("elastic_integrations__packages_azure_data_stream_auditlogs__dev_test_pipeline_test-auditlogs-result-reason.log", &[("AuditLogs", 1)]),
    ("elastic_integrations__packages_azure_data_stream_graphactivitylogs__dev_test_pipeline_test-activitylogs-raw.log", &[("MicrosoftGraphActivityLogs", 6)]),
    ("elastic_integrations__packages_azure_data_stream_identity_protection__dev_test_pipeline_test-rickyusers-raw.log", &[("AADRiskyUsers", 2)]),
    ("elastic_integrations__packages_azure_data_stream_identity_protection__dev_test_pipeline_test-userriskevents-raw.log", &[("AADUserRiskEvents", 2)]),
    ("elastic_integrations__packages_azure_data_stream_provisioning__dev_test_pipeline_test-provisioninglogs-raw.log", &[("AADProvisioningLogs", 3)]),
    ("elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-adfs-signin.log", &[("ADFSSignInLogs", 1)]),
    ("elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-alternative-time-and-duration-as-string.log", &[("AADServicePrincipalSignInLogs", 1)]),
    ("elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-invalid-time.log", &[("AADServicePrincipalSignInLogs", 1)]),
    ("elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-managed-identity-sample.log", &[("AADManagedIdentitySignInLogs", 33)]),
    ("elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-non-interactive-user-sample.log", &[("AADNonInteractiveUserSignInLogs", 15)]),
    ("elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-non-interactive-user-signin.log", &[("AADNonInteractiveUserSignInLogs", 1)]),
    ("elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-non-interactive-user.log", &[("AADNonInteractiveUserSignInLogs", 1)]),
    ("elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-service-principal-signinlogs-sample.log", &[("AADServicePrincipalSignInLogs", 7)]),
    ("elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-service-principal.log", &[("AADServicePrincipalSignInLogs", 1)]),
    (
        "elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-signinlogs-raw.log",
        &[
            ("SigninLogs", 1),
            ("AADNonInteractiveUserSignInLogs", 1),
            // MicrosoftServicePrincipalSignInLogs (an Elastic alias) routes here too.
            ("AADServicePrincipalSignInLogs", 2),
            ("AADManagedIdentitySignInLogs", 1),
        ],
    ),
    ("elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-signinlogs-sample.log", &[("SigninLogs", 2)]),
    ("elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-time-formats-corner-cases.log", &[("SigninLogs", 11)]),
];

type Checks = &'static [(&'static str, &'static str)];

/// (file, line, record index, [(column, exact text as DuckDB reads it)]). Sign-in and audit
/// values were taken from the first record of each file; the rest are written out by hand.
const VALUES: &[(&str, u64, i64, Checks)] = &[
    ("elastic_beats__x-pack_filebeat_module_azure_auditlogs_test_audit_log.json", 1, 0, &[
        ("Id", "Directory_T2a7e2503-d7e2"),
        ("Category", "UserManagement"),
        ("OperationName", "Add user"),
        ("InitiatedBy", "{\"user\":{\"id\":\"2a7e2503-d7e2-405a-a84c-c333b9f7cb73\",\"displayName\":null,\"userPrincipalName\":\"admin@elastic365.onmicrosoft.com\",\"ipAddress\":null}}"),
        ("Result", "success"),
        ("TimeGenerated", "2019-10-04T16:36:19.035977+00:00"),
    ]),
    ("elastic_beats__x-pack_filebeat_module_azure_signinlogs_test_signin_log.json", 1, 0, &[
        ("UserPrincipalName", "test_test@elastic.co"),
        ("ResultType", "0"),
        ("TimeGenerated", "2019-10-04T10:47:34.594965+00:00"),
        ("LocationDetails", "{\"city\":\"City1\",\"state\":\"State1\",\"countryOrRegion\":\"GB\",\"geoCoordinates\":{\"latitude\":51.111111111111,\"longitude\":-2.111111111111111}}"),
        ("AuthenticationProcessingDetails", "[]"),
        ("Id", "2a7e2503-d7e2-405a-a84c-c333b9f7cb73"),
        ("DurationMs", "0"),
    ]),
    ("elastic_beats__x-pack_filebeat_module_azure_signinlogs_test_signinlogs.log", 1, 0, &[
        ("UserPrincipalName", "test@elastic.co"),
        ("ResultType", "50140"),
        ("TimeGenerated", "2019-10-18T09:45:48.072989+00:00"),
        ("LocationDetails", "{\"city\":\"Champs-Sur-Marne\",\"countryOrRegion\":\"FR\",\"geoCoordinates\":{\"latitude\":48.12341234,\"longitude\":2.12341234},\"state\":\"Seine-Et-Marne\"}"),
        ("Id", "8a4de8b5-095c-47d0-a96f-a75130c61d53"),
        ("DurationMs", "0"),
    ]),
    ("elastic_beats__x-pack_filebeat_module_azure_signinlogs_test_signinlogs_ipv6.log", 1, 0, &[
        ("UserPrincipalName", "user@company.tld"),
        ("ResultType", "0"),
        ("TimeGenerated", "2022-12-28T13:08:01.152918+00:00"),
        ("LocationDetails", "{\"city\":\"Redacted\",\"countryOrRegion\":\"US\",\"state\":\"Redacted\"}"),
        ("AuthenticationProcessingDetails", "[{\"key\":\"Legacy TLS (TLS 1.0, 1.1, 3DES)\",\"value\":\"False\"},{\"key\":\"Is CAE Token\",\"value\":\"False\"}]"),
        ("Id", "d0d7fbc7-c57d-4081-8946-137c539c16cd"),
        ("DurationMs", "0"),
    ]),
    ("elastic_beats__x-pack_filebeat_module_azure_signinlogs_test_test-managed-identity.log", 1, 0, &[
        ("ResultType", "0"),
        ("TimeGenerated", "2021-01-23T20:44:29.768898+00:00"),
        ("LocationDetails", "{\"city\":\"\",\"countryOrRegion\":\"\",\"geoCoordinates\":{\"latitude\":0,\"longitude\":0},\"state\":\"\"}"),
        ("Id", "22222222-0b57-4b77-bf1a-317a88591a00"),
        ("DurationMs", "0"),
    ]),
    ("elastic_integrations__packages_azure_data_stream_auditlogs__dev_test_pipeline_test-audit-logs-duration-as-string.log", 1, 0, &[
        ("Id", "Directory_87979703-118b-498f-99c2-ccd1a56f1a5a_ULAYA_144938566"),
        ("Category", "ApplicationManagement"),
        ("OperationName", "Update service principal"),
        ("InitiatedBy", "{\"app\":{\"appId\":null,\"displayName\":\"Managed Service Identity\",\"servicePrincipalId\":\"b9814691-9ca1-4e55-a1ac-8ef5dd010ec0\",\"servicePrincipalName\":null}}"),
        ("Result", "success"),
        ("TimeGenerated", "2022-01-22T18:15:02.387542+00:00"),
        ("Identity", "Managed Service Identity"),
    ]),
    ("elastic_integrations__packages_azure_data_stream_auditlogs__dev_test_pipeline_test-audit-logs-edgecases.log", 1, 0, &[
        ("Id", "Directory_87979703-118b-498f-99c2-ccd1a56f1a5a_ULAYA_144938566"),
        ("Category", "ApplicationManagement"),
        ("OperationName", "Update service principal"),
        ("InitiatedBy", "{\"app\":{\"appId\":null,\"displayName\":\"Managed Service Identity\",\"servicePrincipalId\":\"b9814691-9ca1-4e55-a1ac-8ef5dd010ec0\",\"servicePrincipalName\":null}}"),
        ("Result", "success"),
        ("TimeGenerated", "2022-01-22T18:15:02.387542+00:00"),
        ("Identity", "Managed Service Identity"),
    ]),
    ("elastic_integrations__packages_azure_data_stream_auditlogs__dev_test_pipeline_test-audit-logs-sample.log", 1, 0, &[
        ("Id", "Directory_53161141-e3f4-4944-85b6-7b953f17265e_6X649_134684731"),
        ("Category", "ApplicationManagement"),
        ("OperationName", "Add service principal credentials"),
        ("InitiatedBy", "{\"app\":{\"appId\":null,\"displayName\":\"Managed Service Identity\",\"servicePrincipalId\":\"b9814691-9ca1-4e55-a1ac-8ef5dd010ec0\",\"servicePrincipalName\":null}}"),
        ("Result", "success"),
        ("TimeGenerated", "2022-01-22T18:15:02.516809+00:00"),
        ("Identity", "Managed Service Identity"),
    ]),
    ("elastic_integrations__packages_azure_data_stream_auditlogs__dev_test_pipeline_test-auditlogs-raw.log", 1, 0, &[
        ("Id", "Directory_ESQ"),
        ("Category", "Device"),
        ("OperationName", "Update device"),
        ("InitiatedBy", "{\"app\":{\"appId\":\"id\",\"displayName\":\"Device Registration Service\",\"servicePrincipalId\":\"8a4de8b5-095c-47d0-a96f-a75130c61d53\",\"servicePrincipalName\":\"Core\"}}"),
        ("Result", "success"),
        ("TimeGenerated", "2019-10-18T15:30:51.027371+00:00"),
        ("Identity", "Device Registration Service"),
    ]),
    ("elastic_integrations__packages_azure_data_stream_auditlogs__dev_test_pipeline_test-auditlogs-result-description.log", 1, 0, &[
        ("Id", "Directory_87979703-118b-498f-99c2-ccd1a56f1a5a_ULAYA_144938566"),
        ("Category", "ApplicationManagement"),
        ("OperationName", "Update service principal"),
        ("InitiatedBy", "{\"app\":{\"appId\":null,\"displayName\":\"Managed Service Identity\",\"servicePrincipalId\":\"b9814691-9ca1-4e55-a1ac-8ef5dd010ec0\",\"servicePrincipalName\":null}}"),
        ("Result", "success"),
        ("TimeGenerated", "2022-01-22T18:15:02.387542+00:00"),
        ("Identity", "Managed Service Identity"),
    ]),
    ("elastic_integrations__packages_azure_data_stream_auditlogs__dev_test_pipeline_test-auditlogs-result-reason.log", 1, 0, &[
        ("Id", "Directory_3d6f1a4c-92be-4b17-8e5d-7c0a4f2b9e13_KLQ7R_188214903"),
        ("Category", "ApplicationManagement"),
        ("OperationName", "Add member to role"),
        ("InitiatedBy", "{\"app\":{\"appId\":null,\"displayName\":\"Managed Service Identity\",\"servicePrincipalId\":\"b9814691-9ca1-4e55-a1ac-8ef5dd010ec0\",\"servicePrincipalName\":null}}"),
        ("Result", "failure"),
        ("TimeGenerated", "2022-01-22T18:22:41.509187+00:00"),
        ("Identity", "Managed Service Identity"),
    ]),
    ("elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-adfs-signin.log", 1, 0, &[
        ("UserPrincipalName", "april.oniel@turtles.com"),
        ("ResultType", "0"),
        ("TimeGenerated", "2025-12-12T15:03:58+00:00"),
        ("AuthenticationProcessingDetails", "[{\"key\":\"Server name\",\"value\":\"AWS01SRV02P\"},{\"key\":\"IP Addresses Involved in Auth Flow\",\"value\":\"10.205.19.37\"},{\"key\":\"Legacy TLS (TLS 1.0, 1.1, 3DES)\",\"value\":\"False\"},{\"key\":\"Is Legacy Store Used\",\"value\":\"False\"},{\"key\":\"Is CAE Token\",\"value\":\"False\"}]"),
        ("Id", "58f8ce73-9fc8-4f02-8ea8-1908964f842e"),
        ("DurationMs", "0"),
    ]),
    ("elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-alternative-time-and-duration-as-string.log", 1, 0, &[
        ("ResultType", "0"),
        ("TimeGenerated", "2025-11-14T01:48:53+00:00"),
        ("LocationDetails", "{\"city\":\"Placeholder City\",\"countryOrRegion\":\"ZZ\",\"geoCoordinates\":{\"latitude\":-0.0,\"longitude\":0.0},\"state\":\"Placeholder State\"}"),
        ("AuthenticationProcessingDetails", "[{\"key\":\"Azure AD App Authentication Library\",\"value\":\"Family: MSAL Library: MSAL.NET 4.54.1.0 Platform: .NET FW\"},{\"key\":\"Legacy TLS (TLS 1.0, 1.1, 3DES)\",\"value\":\"False\"},{\"key\":\"Is Legacy Store Used\",\"value\":\"False\"},{\"key\":\"Is CAE Token\",\"value\":\"True\"}]"),
        ("Id", "66666666-6666-6666-6666-666666666666"),
        ("DurationMs", "0"),
    ]),
    ("elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-managed-identity-sample.log", 1, 0, &[
        ("ResultType", "0"),
        ("TimeGenerated", "2022-01-24T04:59:49.227983+00:00"),
        ("LocationDetails", "{\"city\":\"\",\"state\":\"\",\"countryOrRegion\":\"\",\"geoCoordinates\":{\"latitude\":0.0,\"longitude\":0.0}}"),
        ("Id", "a08869a8-3b15-46e4-8de3-273849e60100"),
        ("DurationMs", "0"),
    ]),
    ("elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-non-interactive-user-sample.log", 1, 0, &[
        ("UserPrincipalName", "mpliftrelastic20210901@outlook.com"),
        ("ResultType", "0"),
        ("TimeGenerated", "2022-01-24T05:10:14.187560+00:00"),
        ("LocationDetails", "{\"city\":\"Nizampet\",\"state\":\"Telangana\",\"countryOrRegion\":\"IN\",\"geoCoordinates\":{\"latitude\":17.5164794921875,\"longitude\":78.37663269042969}}"),
        ("AuthenticationProcessingDetails", "[{\"key\":\"Legacy TLS (TLS 1.0, 1.1, 3DES)\",\"value\":\"False\"},{\"key\":\"Oauth Scope Info\",\"value\":\"[\\\"user_impersonation\\\"]\"},{\"key\":\"Is CAE Token\",\"value\":\"False\"}]"),
        ("Id", "290faffa-477b-4b28-ae92-579daae7b000"),
        ("DurationMs", "0"),
    ]),
    ("elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-non-interactive-user-signin.log", 1, 0, &[
        ("UserPrincipalName", "nikhita.sethi@cyberfortgroup.com"),
        ("ResultType", "0"),
        ("TimeGenerated", "2022-03-17T09:44:46.309742+00:00"),
        ("LocationDetails", "{\"city\":\"Strood\",\"countryOrRegion\":\"GB\",\"geoCoordinates\":{\"latitude\":51.394798278808594,\"longitude\":0.4803900122642517},\"state\":\"Medway\"}"),
        ("AuthenticationProcessingDetails", "[{\"key\":\"Legacy TLS (TLS 1.0, 1.1, 3DES)\",\"value\":\"False\"},{\"key\":\"Oauth Scope Info\",\"value\":\"[User.Read,Userinfo.ReadWrite]\"},{\"key\":\"Is CAE Token\",\"value\":\"False\"}]"),
        ("Id", "088b4409-9e63-425d-b777-2c8c6c380b00"),
        ("DurationMs", "0"),
    ]),
    ("elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-non-interactive-user.log", 1, 0, &[
        ("UserPrincipalName", "hello.world@company.de"),
        ("ResultType", "0"),
        ("TimeGenerated", "2021-07-30T11:20:59.778916+00:00"),
        ("LocationDetails", "{\"city\":\"Hannover\",\"countryOrRegion\":\"DE\",\"geoCoordinates\":{\"latitude\":50.12345678912345,\"longitude\":9.123456789123455},\"state\":\"Niedersachsen\"}"),
        ("AuthenticationProcessingDetails", "[{\"key\":\"Is Client Capable\",\"value\":\"True\"},{\"key\":\"IsCAEToken\",\"value\":\"False\"}]"),
        ("Id", "22222222-fb7b-4f83-bf74-3876f9ef3900"),
        ("DurationMs", "0"),
    ]),
    ("elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-service-principal-signinlogs-sample.log", 1, 0, &[
        ("ResultType", "0"),
        ("TimeGenerated", "2022-02-08T06:22:28.351840+00:00"),
        ("LocationDetails", "{\"city\":\"Hyderabad\",\"state\":\"Telangana\",\"countryOrRegion\":\"IN\",\"geoCoordinates\":{\"latitude\":17.385000228881836,\"longitude\":78.48670196533203}}"),
        ("AuthenticationProcessingDetails", "[{\"key\":\"Azure AD App Authentication Library\",\"value\":\"\"}]"),
        ("Id", "d5935dca-86f2-4ac9-a42c-3593b00af801"),
        ("DurationMs", "0"),
    ]),
    ("elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-service-principal.log", 1, 0, &[
        ("ResultType", "7000222"),
        ("TimeGenerated", "2021-07-30T11:29:26.673366+00:00"),
        ("LocationDetails", "{\"city\":\"Hannover\",\"countryOrRegion\":\"DE\",\"geoCoordinates\":{\"latitude\":50.12345678912345,\"longitude\":9.123456789012344},\"state\":\"Niedersachsen\"}"),
        ("Id", "22222222-5ec0-4795-bf9f-9017bcc32f00"),
        ("DurationMs", "0"),
    ]),
    ("elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-signinlogs-raw.log", 1, 0, &[
        ("UserPrincipalName", "test@elastic.co"),
        ("ResultType", "50140"),
        ("TimeGenerated", "2019-10-18T09:45:48.072989+00:00"),
        ("LocationDetails", "{\"city\":\"Champs-Sur-Marne\",\"countryOrRegion\":\"FR\",\"geoCoordinates\":{\"latitude\":48.12341234,\"longitude\":2.12341234},\"state\":\"Seine-Et-Marne\"}"),
        ("Id", "8a4de8b5-095c-47d0-a96f-a75130c61d53"),
        ("DurationMs", "0"),
    ]),
    ("elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-signinlogs-sample.log", 1, 0, &[
        ("UserPrincipalName", "mpliftrelastic20210901@outlook.com"),
        ("ResultType", "0"),
        ("TimeGenerated", "2022-01-24T05:10:08.681666+00:00"),
        ("LocationDetails", "{\"city\":\"Nizampet\",\"state\":\"Telangana\",\"countryOrRegion\":\"IN\",\"geoCoordinates\":{\"latitude\":17.5164794921875,\"longitude\":78.37663269042969}}"),
        ("AuthenticationProcessingDetails", "[{\"key\":\"Login Hint Present\",\"value\":\"True\"},{\"key\":\"Legacy TLS (TLS 1.0, 1.1, 3DES)\",\"value\":\"False\"},{\"key\":\"Oauth Scope Info\",\"value\":\"\"},{\"key\":\"Is CAE Token\",\"value\":\"False\"}]"),
        ("Id", "933f20c0-efdf-477f-9586-e5cc566d2e00"),
        ("DurationMs", "0"),
    ]),
    ("elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-time-formats-corner-cases.log", 1, 0, &[
        ("TimeGenerated", "2007-01-09T09:41:00+00:00"),
    ]),
    // Graph activity: clientAuthMethod arrives as a string, the column is int; TimeGenerated is
    // properties.timeGenerated; the resourceId is all upper case.
    ("elastic_integrations__packages_azure_data_stream_graphactivitylogs__dev_test_pipeline_test-activitylogs-raw.log", 1, 0, &[
        ("ClientAuthMethod", "2"),
        ("ResponseStatusCode", "200"),
        ("DurationMs", "462680"),
        ("TimeGenerated", "2024-03-07T11:47:00.644236+00:00"),
        ("TokenIssuedAt", "2024-03-07T11:42:00+00:00"),
        ("AadTenantId", "a140785b-418d-4344-a4ec-8e9648919gdb"),
        ("Roles", "Organization.Read.All User.Read.All"),
        ("IPAddress", "2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6"),
    ]),
    // Risky users: US-locale time, one-digit hour inside an ISO string.
    ("elastic_integrations__packages_azure_data_stream_identity_protection__dev_test_pipeline_test-rickyusers-raw.log", 2, 0, &[
        ("TimeGenerated", "2022-09-09T09:59:27+00:00"),
        ("RiskLastUpdatedDateTime", "2022-09-09T09:59:27.958000+00:00"),
        ("UserPrincipalName", "joel.miller@mauriziobrancaoutlook.onmicrosoft.com"),
        ("IsDeleted", "true"),
        ("RiskLevel", "high"),
        ("TenantId", "5611623b-9128-461e-9d7f-a0d9c270ead2"),
    ]),
    // User risk events: additionalInfo is JSON text inside a string and stays a JSON string.
    ("elastic_integrations__packages_azure_data_stream_identity_protection__dev_test_pipeline_test-userriskevents-raw.log", 2, 0, &[
        ("TimeGenerated", "2022-09-09T09:54:27+00:00"),
        ("Location", "{\"city\":\"Staten Island\",\"state\":\"New York\",\"countryOrRegion\":\"US\",\"geoCoordinates\":{\"altitude\":0,\"latitude\":40.59615,\"longitude\":-74.16161}}"),
        ("AdditionalInfo", "\"[{\\\"Key\\\":\\\"userAgent\\\",\\\"Value\\\":\\\"Mozilla/5.0 (Windows NT 10.0; rv:91.0) Gecko/20100101 Firefox/91.0\\\"}]\""),
        ("Id", "d93ffb8db664e4e8bd08db6e183b6390dacf00553cc5768aac83012e2dc7c2c9"),
        ("UserPrincipalName", "joel.miller@mauriziobrancaoutlook.onmicrosoft.com"),
    ]),
    // Provisioning: PascalCase sub-keys kept as they are, objects as JSON text in string columns.
    ("elastic_integrations__packages_azure_data_stream_provisioning__dev_test_pipeline_test-provisioninglogs-raw.log", 1, 0, &[
        ("ResultType", "Skipped"),
        ("DurationMs", "828"),
        ("Id", "d6cbb0bd-c3ec-6455-bd3e-4282141ce369"),
        ("TimeGenerated", "2022-08-23T13:36:50.353893+00:00"),
    ]),
    ("elastic_integrations__packages_azure_data_stream_provisioning__dev_test_pipeline_test-provisioninglogs-raw.log", 3, 0, &[
        ("ServicePrincipal", "{\"Id\":\"74866461-3754-40ed-a743-9c88ff29643e\",\"Name\":\"Contoso\"}"),
        ("InitiatedBy", "{\"Type\":\"system\",\"Id\":\"\",\"Name\":\"Azure AD Provisioning Service\"}"),
        ("ResultType", "Success"),
    ]),
    // ADFS 2025: lower-case level as a string, durationMs as a string, US-locale time.
    ("elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-adfs-signin.log", 1, 0, &[
        ("Level", "4"),
        ("CreatedDateTime", "2025-12-12T14:56:31+00:00"),
        ("ResultSignature", "SUCCESS"),
        ("TenantId", "043q12e-2cf7-4ca6-8d10-9a639dbeab71"),
    ]),
    ("elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-alternative-time-and-duration-as-string.log", 1, 0, &[
        ("Level", "Informational"),
        ("CorrelationId", "11111111-1111-1111-1111-111111111111"),
    ]),
    // A Log-Analytics-shaped record: no time (falls back to CreatedDateTime), PascalCase keys.
    ("elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-invalid-time.log", 1, 0, &[
        ("TimeGenerated", "2025-07-01T10:45:17.582421+00:00"),
        ("CorrelationId", "83d4a233-76a0-4cc0-bbe6-9ce7ad506fc9"),
        ("DurationMs", "0"),
        ("OperationName", "Sign-in activity"),
        ("Category", "ServicePrincipalSignInLogs"),
        ("TenantId", "2a0bb6ef-8a1d-4e8b-83d6-c682d5ca56db7"),
    ]),
    // The 2019 record with a -05:00 createdDateTime.
    ("elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-signinlogs-raw.log", 1, 0, &[
        ("CreatedDateTime", "2019-10-18T09:45:48.072989+00:00"),
        ("Level", "4"),
        ("ResourceProvider", "Microsoft.aadiam"),
        ("AADTenantId", "8a4de8b5-095c-47d0-a96f-a75130c61d53"),
    ]),
    // The time-format catalogue: all eleven forms mean 2007-01-09 09:41 UTC.
    ("elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-time-formats-corner-cases.log", 5, 0, &[("TimeGenerated", "2007-01-09T09:41:00+00:00")]),
    ("elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-time-formats-corner-cases.log", 9, 0, &[("TimeGenerated", "2007-01-09T09:41:00.535404+00:00")]),
    ("elastic_integrations__packages_azure_data_stream_signinlogs__dev_test_pipeline_test-time-formats-corner-cases.log", 11, 0, &[("TimeGenerated", "2007-01-09T09:41:00+00:00")]),
];

fn key(row: &Row) -> (String, u64, i64) {
    let source = row["_Source"].clone().unwrap();
    let file = source.rsplit('/').next().unwrap().to_string();
    (
        file,
        row["_SequenceNumber"].as_deref().unwrap().parse().unwrap(),
        row["_RecordIndex"].as_deref().unwrap().parse().unwrap(),
    )
}

#[test]
fn every_sample_converts_into_its_table_with_exact_values() {
    let dir = samples_dir();
    let lake = tempfile::tempdir().unwrap();
    let report = convert_into(std::slice::from_ref(&dir), lake.path());

    // Every file: rows + dead letters = records in; none of the real records is rejected.
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(report.inputs.len(), files.len());
    for input in &report.inputs {
        let name = input.source.rsplit('/').next().unwrap();
        assert_eq!(input.rows + input.dead_letters, input.records, "{name}");
        assert_eq!(input.dead_letters, 0, "{name}");
        let routes = ROUTES
            .iter()
            .find(|(f, _)| *f == name)
            .unwrap_or_else(|| panic!("no expectation for {name}"))
            .1;
        assert_eq!(
            input.records,
            routes.iter().map(|r| r.1).sum::<u64>(),
            "{name}"
        );
    }

    // Read every table back with DuckDB and index rows by position.
    let mut by_table: BTreeMap<String, BTreeMap<(String, u64, i64), Row>> = BTreeMap::new();
    for table in ROUTES
        .iter()
        .flat_map(|(_, r)| r.iter().map(|(t, _)| *t))
        .collect::<std::collections::BTreeSet<_>>()
    {
        let glob = lake.path().join(format!("table={table}/**/*.parquet"));
        let rows = duckdb(&format!("SELECT * FROM read_parquet('{}')", glob.display()));
        let indexed: BTreeMap<_, _> = rows.into_iter().map(|r| (key(&r), r)).collect();
        by_table.insert(table.to_string(), indexed);
    }
    for (file, routes) in ROUTES {
        for (table, rows) in *routes {
            let n = by_table[*table].keys().filter(|k| k.0 == *file).count() as u64;
            assert_eq!(n, *rows, "{file} rows in {table}");
        }
    }
    let total: usize = by_table.values().map(|t| t.len()).sum();
    assert_eq!(
        total as u64,
        report.records(),
        "nothing lost, nothing duplicated"
    );

    for (file, line, index, checks) in VALUES {
        let table = ROUTES.iter().find(|(f, _)| f == file).unwrap().1[0].0;
        let row = by_table[table]
            .get(&(file.to_string(), *line, *index))
            .unwrap_or_else(|| panic!("no row for {file}:{line}[{index}] in {table}"));
        for (column, expected) in *checks {
            let got = row
                .get(*column)
                .unwrap_or_else(|| panic!("{table} has no column {column}"));
            if expected.starts_with(['{', '[']) {
                // JSON values compare as values: objects and arrays are copied from compact
                // messages as sent, so `-0.000000` stays `-0.000000` where Python wrote `-0.0`.
                let parse =
                    |t: &str| simd_json::to_owned_value(&mut t.as_bytes().to_vec()).expect("JSON");
                let got = got
                    .as_deref()
                    .unwrap_or_else(|| panic!("{file}:{line} {column} is null"));
                assert_eq!(parse(got), parse(expected), "{file}:{line} {column}: {got}");
            } else {
                assert_eq!(got.as_deref(), Some(*expected), "{file}:{line} {column}");
            }
        }
    }
}

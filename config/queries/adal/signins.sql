-- ADAL sign-ins, one row each: every interactive and non-interactive sign-in whose
-- AuthenticationProcessingDetails name an ADAL library (the rule of apps.sql).
SET TimeZone = 'UTC';
WITH signins AS (
    SELECT "table" AS SignInTable, Id, coalesce(CreatedDateTime, TimeGenerated) AS SignInTime,
           UserId, UserPrincipalName, AppId, AppDisplayName, IPAddress, ResultType,
           AuthenticationProcessingDetails
    FROM read_parquet('${LAKE}/table=SigninLogs/**/*.parquet', hive_partitioning = true, union_by_name = true)
    UNION ALL
    SELECT "table", Id, coalesce(CreatedDateTime, TimeGenerated),
           UserId, UserPrincipalName, AppId, AppDisplayName, IPAddress, ResultType,
           AuthenticationProcessingDetails
    FROM read_parquet('${LAKE}/table=AADNonInteractiveUserSignInLogs/**/*.parquet', hive_partitioning = true, union_by_name = true)
),
adal AS (
    SELECT * EXCLUDE (AuthenticationProcessingDetails),
           (SELECT first(d ->> 'value' ORDER BY d ->> 'value')
            FROM unnest(CASE WHEN json_valid(AuthenticationProcessingDetails)
                             THEN CAST(json_extract(AuthenticationProcessingDetails, '$[*]') AS JSON[]) END) AS t(d)
            WHERE d ->> 'key' IN ('Azure AD App Authentication Library',
                                  'Azure Active Directory Authentication Library')
              AND d ->> 'value' ILIKE '%ADAL%') AS Library
    FROM signins
)
SELECT SignInTime, SignInTable, Id, UserPrincipalName, UserId, AppDisplayName, AppId, Library,
       IPAddress, ResultType
FROM adal
WHERE Library IS NOT NULL
ORDER BY SignInTime, SignInTable, Id;

-- ADAL migration list: applications whose sign-ins (interactive and non-interactive) still use
-- ADAL, past its end of support. A sign-in uses ADAL when one of its
-- AuthenticationProcessingDetails is the authentication library ("Azure AD App Authentication
-- Library" on the wire; "Azure Active Directory Authentication Library" in Microsoft's docs)
-- and its value names ADAL ("Family: ADAL Library: ADAL.NET 3.19.8 Platform: .NET").
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
SELECT AppDisplayName, AppId, Library,
       count(*) AS SignIns,
       count(*) FILTER (WHERE SignInTable = 'SigninLogs') AS Interactive,
       count(*) FILTER (WHERE SignInTable = 'AADNonInteractiveUserSignInLogs') AS NonInteractive,
       count(DISTINCT coalesce(UserId, UserPrincipalName)) AS Users,
       min(SignInTime) AS FirstSeen,
       max(SignInTime) AS LastSeen
FROM adal
WHERE Library IS NOT NULL
GROUP BY AppDisplayName, AppId, Library
ORDER BY SignIns DESC, AppDisplayName, AppId, Library;

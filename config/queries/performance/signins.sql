-- Sign-ins against application performance: for every interactive and non-interactive sign-in,
-- the Application Insights requests (AppRequests, given as a second input) that belong to it,
-- matched three ways:
--   correlation  the request's OperationId is the sign-in's CorrelationId (an app that hands its
--                operation id to MSAL as the correlation id), at any time;
--   user         the request's UserAuthenticatedId is the sign-in's UserPrincipalName or UserId
--                (without case), within 5 minutes of the sign-in;
--   application  the request's AppRoleName is the sign-in's AppDisplayName and its ClientIP the
--                sign-in's IPAddress, within 5 minutes: the anonymous sign-in page itself.
-- One row per sign-in with requests: how many, how many failed, their mean and slowest duration,
-- the slowest request, and how they matched. Slowest first. Edit `INTERVAL 5 MINUTE` to change
-- the window.
SET TimeZone = 'UTC';
WITH requests AS (
    SELECT row_number() OVER () AS RequestRow,
           CAST(TimeGenerated AS TIMESTAMPTZ) AS RequestTime, Name,
           CAST(DurationMs AS DOUBLE) AS DurationMs, CAST(Success AS BOOLEAN) AS Success,
           OperationId, AppRoleName, UserAuthenticatedId, ClientIP
    FROM ${REQUESTS}
),
signins AS (
    SELECT "table" AS SignInTable, Id, coalesce(CreatedDateTime, TimeGenerated) AS SignInTime,
           UserId, UserPrincipalName, AppDisplayName, IPAddress, ResultType, CorrelationId
    FROM read_parquet('${LAKE}/table=SigninLogs/**/*.parquet', hive_partitioning = true, union_by_name = true)
    UNION ALL
    SELECT "table", Id, coalesce(CreatedDateTime, TimeGenerated),
           UserId, UserPrincipalName, AppDisplayName, IPAddress, ResultType, CorrelationId
    FROM read_parquet('${LAKE}/table=AADNonInteractiveUserSignInLogs/**/*.parquet', hive_partitioning = true, union_by_name = true)
),
pairs AS (
    SELECT s.SignInTable, s.Id, r.RequestRow, 'correlation' AS MatchedBy
    FROM signins s JOIN requests r ON lower(r.OperationId) = lower(s.CorrelationId)
    UNION ALL
    SELECT s.SignInTable, s.Id, r.RequestRow, 'user'
    FROM signins s JOIN requests r
      ON lower(r.UserAuthenticatedId) IN (lower(s.UserPrincipalName), lower(s.UserId))
     AND r.RequestTime BETWEEN s.SignInTime - INTERVAL 5 MINUTE AND s.SignInTime + INTERVAL 5 MINUTE
    UNION ALL
    SELECT s.SignInTable, s.Id, r.RequestRow, 'application'
    FROM signins s JOIN requests r
      ON r.AppRoleName = s.AppDisplayName AND r.ClientIP = s.IPAddress
     AND r.RequestTime BETWEEN s.SignInTime - INTERVAL 5 MINUTE AND s.SignInTime + INTERVAL 5 MINUTE
),
per_signin AS (
    SELECT SignInTable, Id,
           array_to_string(list_sort(list(DISTINCT MatchedBy)), ', ') AS MatchedBy
    FROM pairs GROUP BY SignInTable, Id
),
per_request AS (
    SELECT DISTINCT SignInTable, Id, RequestRow FROM pairs
)
SELECT s.SignInTime, s.SignInTable, s.Id AS SignInId, s.UserPrincipalName, s.AppDisplayName,
       s.IPAddress, s.ResultType,
       count(*) AS Requests,
       count(*) FILTER (WHERE NOT r.Success) AS FailedRequests,
       CAST(round(avg(r.DurationMs), 1) AS DOUBLE) AS AvgDurationMs,
       max(r.DurationMs) AS MaxDurationMs,
       first(r.Name ORDER BY r.DurationMs DESC, r.Name) AS SlowestRequest,
       m.MatchedBy
FROM per_request p
JOIN per_signin m ON m.SignInTable = p.SignInTable AND m.Id = p.Id
JOIN signins s ON s.SignInTable = p.SignInTable AND s.Id = p.Id
JOIN requests r ON r.RequestRow = p.RequestRow
GROUP BY s.SignInTime, s.SignInTable, s.Id, s.UserPrincipalName, s.AppDisplayName, s.IPAddress,
         s.ResultType, m.MatchedBy
ORDER BY MaxDurationMs DESC, s.SignInTime, s.SignInTable, s.Id;

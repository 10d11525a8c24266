-- The sign-ins of a risky user around each detection: every AADUserRiskEvents detection with the
-- user's interactive and non-interactive sign-ins from one hour before to one hour after the
-- risky activity (ActivityDateTime, else DetectedDateTime), the user's current risk from
-- AADRiskyUsers, and whether the sign-in is the detection's own request or shares its IP address
-- or correlation id. Edit `INTERVAL 1 HOUR` to widen or narrow the window.
SET TimeZone = 'UTC';
WITH detections AS (
    SELECT Id AS DetectionId, UserId, UserPrincipalName, RiskEventType, RiskLevel, RiskState,
           coalesce(ActivityDateTime, DetectedDateTime, TimeGenerated) AS ActivityTime,
           IpAddress, RequestId, CorrelationId
    FROM read_parquet('${LAKE}/table=AADUserRiskEvents/**/*.parquet', hive_partitioning = true, union_by_name = true)
),
risky AS (
    SELECT Id AS UserId, RiskLevel AS UserRiskLevel, RiskState AS UserRiskState
    FROM read_parquet('${LAKE}/table=AADRiskyUsers/**/*.parquet', hive_partitioning = true, union_by_name = true)
    QUALIFY row_number() OVER (
        PARTITION BY Id
        ORDER BY RiskLastUpdatedDateTime DESC NULLS LAST, TimeGenerated DESC NULLS LAST,
                 _Source DESC, _SequenceNumber DESC, _RecordIndex DESC) = 1
),
signins AS (
    SELECT "table" AS SignInTable, Id, coalesce(CreatedDateTime, TimeGenerated) AS SignInTime,
           UserId, AppDisplayName, IPAddress, ResultType, RiskLevelDuringSignIn,
           CorrelationId, OriginalRequestId
    FROM read_parquet('${LAKE}/table=SigninLogs/**/*.parquet', hive_partitioning = true, union_by_name = true)
    UNION ALL
    SELECT "table", Id, coalesce(CreatedDateTime, TimeGenerated),
           UserId, AppDisplayName, IPAddress, ResultType, RiskLevelDuringSignIn,
           CorrelationId, OriginalRequestId
    FROM read_parquet('${LAKE}/table=AADNonInteractiveUserSignInLogs/**/*.parquet', hive_partitioning = true, union_by_name = true)
)
SELECT d.DetectionId, d.RiskEventType, d.RiskLevel, d.ActivityTime, d.UserPrincipalName,
       d.UserId, r.UserRiskLevel, r.UserRiskState,
       s.SignInTime, s.SignInTable, s.Id AS SignInId,
       CAST(round(date_diff('second', d.ActivityTime, s.SignInTime) / 60.0, 1) AS DOUBLE) AS MinutesFromActivity,
       s.AppDisplayName, s.IPAddress, s.ResultType, s.RiskLevelDuringSignIn,
       coalesce(d.RequestId <> '' AND (s.Id = d.RequestId OR s.OriginalRequestId = d.RequestId), false) AS SameRequest,
       coalesce(d.IpAddress <> '' AND s.IPAddress = d.IpAddress, false) AS SameIp,
       coalesce(d.CorrelationId <> '' AND s.CorrelationId = d.CorrelationId, false) AS SameCorrelation
FROM detections d
JOIN signins s
  ON s.UserId = d.UserId
 AND s.SignInTime BETWEEN d.ActivityTime - INTERVAL 1 HOUR AND d.ActivityTime + INTERVAL 1 HOUR
LEFT JOIN risky r ON r.UserId = d.UserId
ORDER BY d.ActivityTime, d.DetectionId, s.SignInTime, s.SignInTable, s.Id;

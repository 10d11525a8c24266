-- Risk detections by type over time: per day, for users (AADUserRiskEvents) and service
-- principals (AADServicePrincipalRiskEvents), the detections of each type and level and how
-- many distinct users or service principals they concern. The day is the risky activity's.
SET TimeZone = 'UTC';
SELECT CAST(coalesce(ActivityDateTime, DetectedDateTime, TimeGenerated) AS DATE) AS Day,
       'user' AS Subject, RiskEventType, RiskLevel,
       count(*) AS Detections, count(DISTINCT UserId) AS Subjects
FROM read_parquet('${LAKE}/table=AADUserRiskEvents/**/*.parquet', hive_partitioning = true, union_by_name = true)
GROUP BY ALL
UNION ALL
SELECT CAST(coalesce(ActivityDateTime, DetectedDateTime, TimeGenerated) AS DATE),
       'servicePrincipal', RiskEventType, RiskLevel,
       count(*), count(DISTINCT ServicePrincipalId)
FROM read_parquet('${LAKE}/table=AADServicePrincipalRiskEvents/**/*.parquet', hive_partitioning = true, union_by_name = true)
GROUP BY ALL
ORDER BY Day, Subject, RiskEventType, RiskLevel;

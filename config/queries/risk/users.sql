-- Risky users: each user's current risk (the latest AADRiskyUsers record of the user), with the
-- detections AADUserRiskEvents holds for them (joined on the user's object id).
SET TimeZone = 'UTC';
WITH risky AS (
    SELECT *
    FROM read_parquet('${LAKE}/table=AADRiskyUsers/**/*.parquet', hive_partitioning = true, union_by_name = true)
    QUALIFY row_number() OVER (
        PARTITION BY Id
        ORDER BY RiskLastUpdatedDateTime DESC NULLS LAST, TimeGenerated DESC NULLS LAST,
                 _Source DESC, _SequenceNumber DESC, _RecordIndex DESC) = 1
),
detections AS (
    SELECT UserId,
           count(*) AS Detections,
           count(*) FILTER (WHERE RiskLevel = 'high') AS HighRiskDetections,
           array_to_string(list_sort(list_distinct(list(RiskEventType))), ', ') AS DetectionTypes,
           min(coalesce(ActivityDateTime, DetectedDateTime, TimeGenerated)) AS FirstDetection,
           max(coalesce(ActivityDateTime, DetectedDateTime, TimeGenerated)) AS LastDetection
    FROM read_parquet('${LAKE}/table=AADUserRiskEvents/**/*.parquet', hive_partitioning = true, union_by_name = true)
    GROUP BY UserId
)
SELECT r.Id AS UserId, r.UserPrincipalName, r.UserDisplayName, r.RiskLevel, r.RiskState,
       r.RiskDetail, r.RiskLastUpdatedDateTime, r.IsDeleted,
       coalesce(d.Detections, 0) AS Detections,
       coalesce(d.HighRiskDetections, 0) AS HighRiskDetections,
       d.DetectionTypes, d.FirstDetection, d.LastDetection
FROM risky r
LEFT JOIN detections d ON d.UserId = r.Id
ORDER BY CASE r.RiskLevel WHEN 'high' THEN 0 WHEN 'medium' THEN 1 WHEN 'low' THEN 2 ELSE 3 END,
         Detections DESC, r.UserPrincipalName, r.Id;

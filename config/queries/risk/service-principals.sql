-- Risky service principals: each one's current risk (the latest AADRiskyServicePrincipals
-- record of it), with the detections AADServicePrincipalRiskEvents holds for it (joined on the
-- service principal's object id).
SET TimeZone = 'UTC';
WITH risky AS (
    SELECT *
    FROM read_parquet('${LAKE}/table=AADRiskyServicePrincipals/**/*.parquet', hive_partitioning = true, union_by_name = true)
    QUALIFY row_number() OVER (
        PARTITION BY Id
        ORDER BY RiskLastUpdatedDateTime DESC NULLS LAST, TimeGenerated DESC NULLS LAST,
                 _Source DESC, _SequenceNumber DESC, _RecordIndex DESC) = 1
),
detections AS (
    SELECT ServicePrincipalId,
           count(*) AS Detections,
           count(*) FILTER (WHERE RiskLevel = 'high') AS HighRiskDetections,
           array_to_string(list_sort(list_distinct(list(RiskEventType))), ', ') AS DetectionTypes,
           min(coalesce(ActivityDateTime, DetectedDateTime, TimeGenerated)) AS FirstDetection,
           max(coalesce(ActivityDateTime, DetectedDateTime, TimeGenerated)) AS LastDetection
    FROM read_parquet('${LAKE}/table=AADServicePrincipalRiskEvents/**/*.parquet', hive_partitioning = true, union_by_name = true)
    GROUP BY ServicePrincipalId
)
SELECT r.Id AS ServicePrincipalId, r.AppId, r.DisplayName, r.ServicePrincipalType, r.RiskLevel,
       r.RiskState, r.RiskDetail, r.RiskLastUpdatedDateTime, r.AccountEnabled,
       coalesce(d.Detections, 0) AS Detections,
       coalesce(d.HighRiskDetections, 0) AS HighRiskDetections,
       d.DetectionTypes, d.FirstDetection, d.LastDetection
FROM risky r
LEFT JOIN detections d ON d.ServicePrincipalId = r.Id
ORDER BY CASE r.RiskLevel WHEN 'high' THEN 0 WHEN 'medium' THEN 1 WHEN 'low' THEN 2 ELSE 3 END,
         Detections DESC, r.DisplayName, r.Id;

-- Sign-ins around security alerts: for every alert (Defender for Cloud's SecurityAlert rows,
-- given as a second input), the interactive and non-interactive sign-ins of the alert's accounts
-- from one hour before the alert starts to one hour after it ends. An alert's accounts are its
-- account entities (AadUserId, or Name@UPNSuffix) and its CompromisedEntity when that is a UPN;
-- they match a sign-in's UserId or UserPrincipalName, without case. IpInAlert says whether the
-- sign-in came from one of the alert's IP entities. Edit `INTERVAL 1 HOUR` to change the window.
SET TimeZone = 'UTC';
WITH alerts AS (
    SELECT CAST(SystemAlertId AS VARCHAR) AS SystemAlertId, AlertName, AlertSeverity,
           CAST(StartTime AS TIMESTAMPTZ) AS StartTime,
           CAST(coalesce(EndTime, StartTime) AS TIMESTAMPTZ) AS EndTime,
           CompromisedEntity, to_json(Entities) AS Entities
    FROM ${ALERTS}
),
-- Entities is a JSON array, or (as Log Analytics exports it) a string holding one.
entities AS (
    SELECT a.SystemAlertId, e
    FROM alerts a,
         unnest(CAST(json_extract(
             CASE WHEN json_type(a.Entities) = 'VARCHAR' AND json_valid(a.Entities ->> '$')
                  THEN json(a.Entities ->> '$') ELSE a.Entities END, '$[*]') AS JSON[])) AS t(e)
),
accounts AS (
    SELECT DISTINCT SystemAlertId, lower(AccountKey) AS AccountKey
    FROM (
        SELECT SystemAlertId, e ->> 'AadUserId' AS AccountKey
        FROM entities WHERE lower(e ->> 'Type') = 'account'
        UNION ALL
        SELECT SystemAlertId, (e ->> 'Name') || '@' || (e ->> 'UPNSuffix')
        FROM entities WHERE lower(e ->> 'Type') = 'account'
        UNION ALL
        SELECT SystemAlertId, CompromisedEntity
        FROM alerts WHERE CompromisedEntity LIKE '%_@_%'
    )
    WHERE coalesce(AccountKey, '') <> ''
),
alert_ips AS (
    SELECT SystemAlertId, list(DISTINCT e ->> 'Address') AS AlertIps
    FROM entities WHERE lower(e ->> 'Type') = 'ip' AND e ->> 'Address' IS NOT NULL
    GROUP BY SystemAlertId
),
signins AS (
    SELECT "table" AS SignInTable, Id, coalesce(CreatedDateTime, TimeGenerated) AS SignInTime,
           UserId, UserPrincipalName, AppDisplayName, IPAddress, ResultType, RiskLevelDuringSignIn
    FROM read_parquet('${LAKE}/table=SigninLogs/**/*.parquet', hive_partitioning = true, union_by_name = true)
    UNION ALL
    SELECT "table", Id, coalesce(CreatedDateTime, TimeGenerated),
           UserId, UserPrincipalName, AppDisplayName, IPAddress, ResultType, RiskLevelDuringSignIn
    FROM read_parquet('${LAKE}/table=AADNonInteractiveUserSignInLogs/**/*.parquet', hive_partitioning = true, union_by_name = true)
),
matched AS (
    SELECT DISTINCT a.SystemAlertId, a.AlertName, a.AlertSeverity, a.StartTime, a.EndTime,
           s.SignInTime, s.SignInTable, s.Id, s.UserPrincipalName, s.UserId, s.AppDisplayName,
           s.IPAddress, s.ResultType, s.RiskLevelDuringSignIn
    FROM alerts a
    JOIN accounts k ON k.SystemAlertId = a.SystemAlertId
    JOIN signins s
      ON k.AccountKey IN (lower(s.UserId), lower(s.UserPrincipalName))
     AND s.SignInTime BETWEEN a.StartTime - INTERVAL 1 HOUR AND a.EndTime + INTERVAL 1 HOUR
)
SELECT m.SystemAlertId, m.AlertName, m.AlertSeverity, m.StartTime AS AlertStart,
       m.SignInTime, m.SignInTable, m.Id AS SignInId,
       CAST(round(date_diff('second', m.StartTime, m.SignInTime) / 60.0, 1) AS DOUBLE) AS MinutesFromAlert,
       m.UserPrincipalName, m.AppDisplayName, m.IPAddress,
       coalesce(list_contains(i.AlertIps, m.IPAddress), false) AS IpInAlert,
       m.ResultType, m.RiskLevelDuringSignIn
FROM matched m
LEFT JOIN alert_ips i ON i.SystemAlertId = m.SystemAlertId
ORDER BY m.StartTime, m.SystemAlertId, m.SignInTime, m.SignInTable, m.Id;

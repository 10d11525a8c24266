//! Identity Protection: risky users and service principals, and their risk detections.

use super::super::quirk::{iso, Quirk};
use super::super::words::*;
use super::Generator;

impl Generator {
    pub(super) fn risky(&mut self, out: &mut Vec<u8>, cat: &str, time: i64, quirk: Quirk) {
        let users = cat == "RiskyUsers";
        let (id, name, upn) = if users {
            let u = self.rng.pick(&self.world.users);
            (u.id.clone(), u.name.clone(), u.upn.clone())
        } else {
            let p = self.rng.pick(&self.world.sps);
            (p.id.clone(), p.name.clone(), p.app_id.clone())
        };
        let op = if users {
            "Risky user"
        } else {
            "Risky service principal"
        };
        let region = *self.rng.pick(&["neu", "weu", "us"]);
        let time_kind = if quirk == Quirk::None {
            Quirk::UsTime
        } else {
            quirk
        };
        self.envelope(
            out,
            cat,
            op,
            time,
            time_kind,
            None,
            None,
            Some(&name.to_lowercase()),
            Some(region),
            |g, j| {
                j.s("id", &id);
                if users {
                    j.s("userDisplayName", &name)
                        .s("userPrincipalName", &upn)
                        .b("isGuest", false)
                        .b("isDeleted", false);
                } else {
                    j.s("appId", &upn)
                        .s("displayName", &name)
                        .s("servicePrincipalType", "Application")
                        .b("accountEnabled", true);
                }
                j.s("riskLastUpdatedDateTime", &iso(time, 3, true, false));
                j.s("riskState", "atRisk")
                    .s("riskDetail", "none")
                    .s("riskLevel", g.rng.pick(&["low", "medium", "high"]))
                    .b("isProcessing", false);
            },
        );
    }

    pub(super) fn risk_event(&mut self, out: &mut Vec<u8>, cat: &str, time: i64, quirk: Quirk) {
        let users = cat == "UserRiskEvents";
        let id: String = (0..4)
            .map(|_| format!("{:016x}", self.rng.next_u64()))
            .collect();
        let u = self.rng.pick(&self.world.users);
        let (uid, uname, upn, place) = (
            u.id.clone(),
            u.name.clone(),
            u.upn.clone(),
            &PLACES[u.place],
        );
        let sp = self.rng.pick(&self.world.sps);
        let (spid, spapp, spname) = (sp.id.clone(), sp.app_id.clone(), sp.name.clone());
        let ip = self.rng.pick(&self.world.ips).clone();
        let op = if users {
            "User Risk Detection"
        } else {
            "Service Principal Risk Detection"
        };
        let id2 = id.clone();
        let region = *self.rng.pick(&["neu", "de"]);
        self.envelope(out, cat, op, time, quirk, None, None, None, Some(region), move |g, j| {
            j.s("id", &id2).s("requestId", &g.rng.guid()).s("correlationId", &g.rng.guid());
            j.s("riskType", g.rng.pick(RISK_TYPES)).s("riskEventType", g.rng.pick(RISK_TYPES));
            j.s("riskState", "atRisk").s("riskLevel", g.rng.pick(&["low", "medium", "high"])).s("riskDetail", "none");
            j.s("source", "IdentityProtection").s("detectionTimingType", g.rng.pick(&["realtime", "offline"])).s("activity", "signin");
            j.s("ipAddress", &ip);
            Self::location_obj(j, place);
            j.s("activityDateTime", &iso(time - 60_000_000_000, 3, true, true)).s("detectedDateTime", &iso(time - 30_000_000_000, 3, true, true));
            j.s("lastUpdatedDateTime", &iso(time, 3, true, false));
            if users {
                j.s("userId", &uid).s("userDisplayName", &uname).s("userPrincipalName", &upn).s("userType", "member");
            } else {
                j.s("servicePrincipalId", &spid).s("appId", &spapp).s("servicePrincipalDisplayName", &spname).raw("keyIds", &format!("[\"{}\"]", g.rng.guid()));
            }
            j.s("additionalInfo", "[{\"Key\":\"userAgent\",\"Value\":\"Mozilla/5.0 (Windows NT 10.0; Win64; x64)\"}]");
            j.s("tokenIssuerType", "AzureAD").raw("resourceTenantId", "null").s("homeTenantId", &g.world.tenant.clone()).s("crossTenantAccessType", "none");
        });
    }
}

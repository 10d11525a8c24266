//! Directory changes: audit records and provisioning records.

use super::super::json::json_str;
use super::super::quirk::{iso, Quirk};
use super::super::words::*;
use super::Generator;

impl Generator {
    pub(super) fn audit(&mut self, out: &mut Vec<u8>, time: i64, quirk: Quirk) {
        let &(op, category, op_type) = self.rng.pick(AUDIT_OPS);
        let actor = self.rng.pick_skewed(&self.world.users);
        let (aid, aname, aupn) = (actor.id.clone(), actor.name.clone(), actor.upn.clone());
        let target = self.rng.pick(&self.world.users);
        let (tid, tupn) = (target.id.clone(), target.upn.clone());
        let by_app = self.rng.chance(0.3);
        let ip = self.rng.pick(&self.world.ips).clone();
        self.envelope(out, "AuditLogs", op, time, quirk, None, Some(&ip.clone()), Some(&aname.clone()), None, |g, j| {
            let corr = g.correlation.clone();
            j.s("id", &format!("Directory_{corr}_{}_{}", &g.rng.guid()[..5].to_uppercase(), g.rng.below(900_000_000)));
            j.s("category", category).s("correlationId", &corr).s("result", if g.rng.chance(0.97) { "success" } else { "failure" }).s("resultReason", "");
            j.s("activityDisplayName", op).s("activityDateTime", &iso(time - 2_000_000_000, 7, false, true));
            j.s("loggedByService", "Core Directory").s("operationType", op_type);
            j.open("initiatedBy");
            if by_app {
                let app = g.rng.pick(&g.world.sps);
                let (a, b, c) = (app.app_id.clone(), app.name.clone(), app.id.clone());
                j.open("app").s("appId", &a).s("displayName", &b).s("servicePrincipalId", &c).raw("servicePrincipalName", "null").close();
            } else {
                j.open("user").s("id", &aid).raw("displayName", "null").s("userPrincipalName", &aupn).s("ipAddress", &ip).raw("roles", "[]").close();
            }
            j.close();
            j.raw(
                "targetResources",
                &format!(
                    "[{{\"id\":\"{tid}\",\"displayName\":null,\"type\":\"User\",\"userPrincipalName\":{},\"modifiedProperties\":[{{\"displayName\":\"AccountEnabled\",\"oldValue\":\"[true]\",\"newValue\":\"[false]\"}},{{\"displayName\":\"Included Updated Properties\",\"oldValue\":null,\"newValue\":\"\\\"AccountEnabled\\\"\"}}],\"administrativeUnits\":[]}}]",
                    json_str(&tupn)
                ),
            );
            j.raw("additionalDetails", "[{\"key\":\"User-Agent\",\"value\":\"Mozilla/5.0 (Windows NT 10.0; Win64; x64)\"}]");
        });
    }

    pub(super) fn provisioning(&mut self, out: &mut Vec<u8>, time: i64, quirk: Quirk) {
        let u = self.rng.pick(&self.world.users);
        let (uid, uname, upn) = (u.id.clone(), u.name.clone(), u.upn.clone());
        let status = *self.rng.pick(&["Success", "Success", "Skipped", "Failure"]);
        let id = self.rng.guid();
        self.envelope(out, "ProvisioningLogs", "Provisioning activity", time, quirk, Some(status), None, Some(&id.clone()), None, |g, j| {
            j.s("id", &id).s("activityDateTime", &iso(time, 6, true, true)).s("tenantId", &g.world.tenant.clone());
            j.s("jobId", &format!("DropboxSCIMOutDelta.{}.{}", g.world.tenant, g.rng.guid())).s("cycleId", &g.rng.guid()).s("changeId", &g.rng.guid());
            j.s("action", "Create").s("provisioningAction", "create");
            j.open("servicePrincipal").s("Id", &g.rng.guid()).s("Name", "Dropbox Business").close();
            j.open("sourceSystem").s("Id", &g.rng.guid()).s("Name", "Azure Active Directory").open("details").close().close();
            j.open("targetSystem").s("Id", &g.rng.guid()).s("Name", "Dropbox").open("details").s("ApplicationId", &g.rng.guid()).close().close();
            j.open("initiatedBy").s("Type", "system").s("Id", "").s("Name", "Azure AD Provisioning Service").close();
            j.open("sourceIdentity").s("identityType", "User").s("Id", &uid).s("Name", &uname).open("details").s("UserPrincipalName", &upn).close().close();
            j.open("targetIdentity").s("identityType", "urn:ietf:params:scim:schemas:core:2.0:User").s("Id", "").s("Name", "").open("details").close().close();
            j.open("provisioningStatusInfo").s("Status", &status.to_lowercase()).raw("errorInformation", "null").close();
            j.open("statusInfo").n("Status", if status == "Success" { 0 } else { 2 }).close();
            j.raw("provisioningSteps", "[{\"name\":\"EntryImportAdd\",\"provisioningStepType\":0,\"status\":0,\"description\":\"Received User\",\"details\":{}}]");
            j.raw("modifiedProperties", &format!("[{{\"displayName\":\"userPrincipalName\",\"oldValue\":null,\"newValue\":{}}}]", json_str(&upn)));
            j.n("durationInMilliseconds", 800 + g.rng.below(3000));
        });
    }
}

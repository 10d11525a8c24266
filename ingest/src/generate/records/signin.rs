//! Sign-ins: users (interactive, non-interactive, AD FS) with the tenant's conditional-access
//! policies, and service principals and managed identities.

use super::super::json::{json_str, J};
use super::super::quirk::{iso, Quirk};
use super::super::rng::fnv;
use super::super::tenant::{PolicyState, POLICY_APPLIES_PERCENT};
use super::super::words::*;
use super::Generator;

impl Generator {
    pub(super) fn location_obj(j: &mut J, place: &Place) {
        j.open("location")
            .s("city", place.city)
            .s("state", place.state)
            .s("countryOrRegion", place.country)
            .open("geoCoordinates")
            .n("latitude", place.lat)
            .n("longitude", place.lon)
            .close()
            .close();
    }

    /// `appliedConditionalAccessPolicies` of a user sign-in, and its `conditionalAccessStatus`:
    /// every policy of the tenant, applied ones first, with results that depend only on the
    /// user's group, the app and whether conditional access blocked the sign-in.
    fn ca_policies(
        &self,
        group: u8,
        guest: bool,
        app_id: &str,
        blocked: bool,
    ) -> (String, &'static str) {
        let mut applied = Vec::new();
        let mut rest = Vec::new();
        let mut status = if blocked { "failure" } else { "notApplied" };
        for p in &self.world.policies {
            let h = fnv(&[p.id.as_bytes(), app_id.as_bytes(), &[group, guest as u8]]);
            let applies = h % 100 < POLICY_APPLIES_PERCENT;
            let (result, grant, session, satisfied, not_satisfied) = match (p.state, applies) {
                (PolicyState::Off, _) => ("notEnabled", "[]", "[]", 0, 0),
                (state, true) => {
                    let result = match (state, blocked) {
                        (PolicyState::On, true) => "failure",
                        (PolicyState::On, false) => {
                            status = "success";
                            "success"
                        }
                        _ if p.grant.contains("Block") => "reportOnlyFailure",
                        _ => "reportOnlySuccess",
                    };
                    (result, p.grant, p.session, p.conditions, 0)
                }
                (state, false) => {
                    // Conditions are checked in bit order (application, users, …) and the first
                    // unmet one is reported, those before it met. Which one is unmet is fixed per
                    // group and app, and it is not the application when there are others.
                    let bits: Vec<u32> = (0..11)
                        .map(|b| 1 << b)
                        .filter(|b| p.conditions & b != 0)
                        .collect();
                    let first_unmet =
                        ((h >> 8) as usize % bits.len()).max(usize::from(bits.len() > 1));
                    let failing = bits[first_unmet];
                    let satisfied = bits.iter().filter(|&&b| b < failing).sum::<u32>();
                    let result = if state == PolicyState::On {
                        "notApplied"
                    } else {
                        "reportOnlyNotApplied"
                    };
                    (result, p.grant, p.session, satisfied, failing)
                }
            };
            let entry = format!(
                "{{\"id\":{},\"displayName\":{},\"enforcedGrantControls\":{grant},\"enforcedSessionControls\":{session},\"result\":\"{result}\",\"conditionsSatisfied\":{satisfied},\"conditionsNotSatisfied\":{not_satisfied}}}",
                json_str(&p.id),
                json_str(&p.name),
            );
            if applies && p.state != PolicyState::Off {
                applied.push(entry)
            } else {
                rest.push(entry)
            }
        }
        applied.append(&mut rest);
        (format!("[{}]", applied.join(",")), status)
    }

    pub(super) fn user_signin(&mut self, out: &mut Vec<u8>, cat: &str, time: i64, quirk: Quirk) {
        let u = self.rng.pick_skewed(&self.world.users);
        let (uid, uname, upn, place, guest, group) = (
            u.id.clone(),
            u.name.clone(),
            u.upn.clone(),
            u.place,
            u.guest,
            u.group,
        );
        let app = self.rng.pick_skewed(&self.world.apps);
        let (app_id, app_name) = (app.app_id.clone(), app.name.clone());
        let ip = self.rng.pick_skewed(&self.world.ips).clone();
        let interactive = cat != "NonInteractiveUserSignInLogs";
        let failed = self.rng.chance(0.08);
        let code = if failed {
            *self
                .rng
                .pick(&["50126", "50140", "50074", "53003", "700016"])
        } else {
            "0"
        };
        let created = time - (self.rng.below(420) as i64) * 1_000_000_000;
        let place_ref = &PLACES[place];
        let (policies, ca_status) = self.ca_policies(group, guest, &app_id, code == "53003");
        let adfs = cat == "ADFSSignInLogs";
        self.envelope(out, cat, "Sign-in activity", time, quirk, Some(code), Some(&ip.clone()), Some(&uname.clone()), Some(place_ref.country), |g, j| {
            let id = g.rng.guid();
            j.s("id", &id);
            let digits = g.rng.below(8);
            j.s("createdDateTime", &iso(created, digits, false, quirk != Quirk::OneDigitHour));
            j.s("userDisplayName", &uname).s("userPrincipalName", &upn).s("userId", &uid);
            j.s("appId", &app_id).s("appDisplayName", &app_name).s("ipAddress", &ip);
            j.s("clientAppUsed", g.rng.pick(CLIENT_APPS));
            if interactive {
                j.s("userAgent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36 Edg/121.0.0.0");
            }
            j.s("correlationId", &g.correlation);
            j.s("conditionalAccessStatus", ca_status);
            j.s("originalRequestId", &g.rng.guid());
            j.b("isInteractive", interactive);
            j.s("tokenIssuerName", if adfs { "adfs.contoso.example" } else { "" });
            j.s("tokenIssuerType", if adfs { "ADFederationServices" } else { "AzureAD" });
            j.n("processingTimeInMilliseconds", g.rng.below(400));
            j.s("riskDetail", "none").s("riskLevelAggregated", g.rng.pick(&["none", "low", "medium"])).s("riskLevelDuringSignIn", "none").s("riskState", "none");
            j.raw("riskEventTypes", "[]").raw("riskEventTypes_v2", "[]");
            j.s("resourceDisplayName", g.rng.pick(RESOURCES)).s("resourceId", &g.rng.guid()).s("resourceTenantId", &g.world.tenant.clone());
            j.s("homeTenantId", &g.world.tenant.clone());
            j.s("authenticationRequirement", g.rng.pick(&["singleFactorAuthentication", "multiFactorAuthentication"]));
            j.s("servicePrincipalId", "").s("userType", if guest { "Guest" } else { "Member" });
            j.b("flaggedForReview", false).b("isTenantRestricted", false);
            j.n("autonomousSystemNumber", 3320 + g.rng.below(60000));
            j.s("crossTenantAccessType", if guest { "b2bCollaboration" } else { "none" });
            j.s("uniqueTokenIdentifier", &id.replace('-', "").chars().take(22).collect::<String>());
            j.s("incomingTokenType", g.rng.pick(&["none", "primaryRefreshToken", "refreshToken"]));
            j.s("authenticationProtocol", g.rng.pick(&["none", "oAuth2", "ropc", "deviceCode"]));
            j.open("status").n("errorCode", code.parse::<i64>().unwrap_or(0));
            if failed {
                j.s("failureReason", "Error validating credentials due to invalid username or password.");
            }
            j.close();
            j.open("deviceDetail").s("deviceId", &if g.rng.chance(0.5) { g.rng.guid() } else { String::new() }).s("operatingSystem", g.rng.pick(OSES)).s("browser", g.rng.pick(BROWSERS));
            if g.rng.chance(0.5) {
                j.b("isCompliant", true).b("isManaged", true).s("trustType", g.rng.pick(&["Azure AD joined", "Hybrid Azure AD joined", "Azure AD registered"]));
            }
            j.close();
            Self::location_obj(j, place_ref);
            j.open("mfaDetail").close();
            j.raw("appliedConditionalAccessPolicies", &policies);
            let steps = if interactive { 1 + g.rng.below(2) } else { g.rng.below(2) };
            let mut details = String::from("[");
            for s in 0..steps {
                if s > 0 {
                    details.push(',');
                }
                details.push_str(&format!(
                    "{{\"authenticationStepDateTime\":\"{}\",\"authenticationMethod\":\"{}\",\"authenticationMethodDetail\":\"Password Hash Sync\",\"succeeded\":{},\"authenticationStepResultDetail\":\"{}\",\"authenticationStepRequirement\":\"{}\",\"StatusSequence\":0,\"RequestSequence\":{}}}",
                    iso(created, 0, false, true),
                    if s == 0 { "Password" } else { "Mobile app notification" },
                    !failed,
                    if failed { "Invalid username or password or Invalid on-premise username or password." } else { "Correct password" },
                    if s == 0 { "Primary authentication" } else { "Multi-factor authentication" },
                    s
                ));
            }
            details.push(']');
            j.raw("authenticationDetails", &details);
            j.raw(
                "authenticationProcessingDetails",
                &format!(
                    "[{{\"key\":\"Legacy TLS (TLS 1.0, 1.1, 3DES)\",\"value\":\"False\"}},{{\"key\":\"Is CAE Token\",\"value\":\"False\"}},{{\"key\":\"Oauth Scope Info\",\"value\":\"[\\\"User.Read\\\",\\\"offline_access\\\"]\"}},{{\"key\":\"Azure AD App Authentication Library\",\"value\":{}}}]",
                    json_str(g.rng.pick::<&str>(LIBS))
                ),
            );
            j.raw("authenticationRequirementPolicies", "[{\"requirementProvider\":\"multiConditionalAccess\",\"detail\":\"Conditional Access\"}]");
            j.raw("networkLocationDetails", "[{\"networkType\":\"trustedNamedLocation\",\"networkNames\":[\"HQ\"]}]");
            j.raw("sessionLifetimePolicies", "[]");
            // The list-of-strings form is a quirk (§d.24): it breaks schema-inferring readers.
            if quirk != Quirk::AudienceStrings {
                j.raw("conditionalAccessAudiences", &format!("[{{\"applicationId\":\"{}\",\"audienceReasons\":\"none\"}}]", g.rng.guid()));
            } else {
                j.raw("conditionalAccessAudiences", &format!("[\"{}\"]", g.rng.guid()));
            }
            j.open("agent").s("agentType", "notAgentic").close();
            j.s("sessionId", &g.rng.guid());
        });
    }

    pub(super) fn principal_signin(
        &mut self,
        out: &mut Vec<u8>,
        cat: &str,
        time: i64,
        quirk: Quirk,
    ) {
        let mi = cat == "ManagedIdentitySignInLogs";
        let p = if mi {
            self.rng.pick_skewed(&self.world.mis)
        } else {
            self.rng.pick_skewed(&self.world.sps)
        };
        let (pid, app_id, name) = (p.id.clone(), p.app_id.clone(), p.name.clone());
        let ip = if mi {
            String::new()
        } else {
            self.rng.pick(&self.world.ips).clone()
        };
        let failed = self.rng.chance(0.03);
        let code = if failed { "7000222" } else { "0" };
        let created = time - (self.rng.below(300) as i64) * 1_000_000_000;
        if quirk == Quirk::LaShaped && !mi {
            // A Log-Analytics-shaped row (quirk §d.10): PascalCase, no time, no properties.
            let mut j = J::new(out);
            j.s("Category", cat)
                .s("CorrelationId", &self.rng.guid())
                .s("CreatedDateTime", &iso(created, 7, true, true));
            j.n("DurationMs", 0)
                .s("OperationName", "Sign-in activity")
                .s("TenantId", &self.world.tenant);
            j.s("AADTenantId", &self.world.tenant)
                .s("AppId", &app_id)
                .s("ServicePrincipalName", &name)
                .s("ServicePrincipalId", &pid);
            j.s("ResultType", code)
                .s("ResultSignature", "SUCCESS")
                .s("SourceSystem", "Azure AD");
            j.s("Agent", "{\"agentType\":\"notAgentic\"}");
            j.end();
            return;
        }
        let place = &PLACES[self.rng.below(PLACES.len())];
        let caller = (!mi).then(|| ip.clone());
        self.envelope(
            out,
            cat,
            "Sign-in activity",
            time,
            quirk,
            Some(code),
            caller.as_deref(),
            None,
            (!mi).then_some(place.country),
            |g, j| {
                j.s("id", &g.rng.guid())
                    .s("createdDateTime", &iso(created, 7, false, true))
                    .raw("userId", "null");
                j.s("appId", &app_id)
                    .s("appDisplayName", &name)
                    .s("ipAddress", &ip);
                j.open("status")
                    .n("errorCode", code.parse::<i64>().unwrap_or(0))
                    .close();
                if mi {
                    j.open("location")
                        .s("city", "")
                        .s("state", "")
                        .s("countryOrRegion", "")
                        .open("geoCoordinates")
                        .n("latitude", 0.0)
                        .n("longitude", 0.0)
                        .close()
                        .close();
                } else {
                    Self::location_obj(j, place);
                }
                j.s("correlationId", &g.correlation)
                    .s("conditionalAccessStatus", "notApplied")
                    .raw("appliedConditionalAccessPolicies", "[]");
                j.b("isInteractive", false).s("tokenIssuerType", "AzureAD");
                j.raw(
                    "authenticationProcessingDetails",
                    &format!(
                        "[{{\"key\":\"Azure AD App Authentication Library\",\"value\":{}}}]",
                        json_str(g.rng.pick::<&str>(LIBS))
                    ),
                );
                j.n("processingTimeInMilliseconds", 0)
                    .s("riskDetail", "none")
                    .s("riskLevelAggregated", "low")
                    .s("riskLevelDuringSignIn", "low")
                    .s("riskState", "none");
                j.s("resourceDisplayName", g.rng.pick(RESOURCES))
                    .s("resourceId", &g.rng.guid());
                j.s("servicePrincipalName", &name)
                    .s("servicePrincipalId", &pid);
                j.b("flaggedForReview", false)
                    .b("isTenantRestricted", false)
                    .s("crossTenantAccessType", "none");
                if !mi {
                    j.s("servicePrincipalCredentialKeyId", &g.rng.guid())
                        .s("clientCredentialType", "clientSecret");
                }
                j.s(
                    "uniqueTokenIdentifier",
                    &g.rng.guid().replace('-', "")[..22],
                )
                .s("incomingTokenType", "none")
                .s("authenticationProtocol", "none");
            },
        );
    }
}

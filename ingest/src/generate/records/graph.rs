//! Microsoft Graph activity: one record per API request.

use super::super::quirk::{iso, Quirk};
use super::super::words::*;
use super::Generator;

impl Generator {
    pub(super) fn graph(&mut self, out: &mut Vec<u8>, time: i64, quirk: Quirk) {
        let user = self.rng.chance(0.6);
        let u = self.rng.pick_skewed(&self.world.users).id.clone();
        let app = self.rng.pick_skewed(&self.world.apps);
        let app_id = app.app_id.clone();
        let sp = self.rng.pick(&self.world.sps).id.clone();
        let ip = self.rng.pick(&self.world.ips).clone();
        let place = self
            .rng
            .pick(&["West Europe", "East US", "Germany West Central"])
            .to_string();
        let duration = 1000 + self.rng.below(900_000);
        self.envelope(
            out,
            "MicrosoftGraphActivityLogs",
            "Microsoft Graph Activity",
            time,
            quirk,
            None,
            Some(&ip.clone()),
            None,
            Some(&place.clone()),
            |g, j| {
                let rid = g.rng.guid();
                j.s("timeGenerated", &iso(time, 5 + g.rng.below(3), true, true))
                    .s("location", &place)
                    .s("requestId", &rid)
                    .s("operationId", &rid);
                j.s("clientRequestId", &g.rng.guid())
                    .s("apiVersion", "v1.0")
                    .s(
                        "requestMethod",
                        g.rng.pick(&["GET", "GET", "POST", "PATCH"]),
                    );
                j.n(
                    "responseStatusCode",
                    *g.rng.pick(&[200, 200, 200, 201, 204, 403, 404, 429]),
                )
                .s("tenantId", &g.world.tenant.clone());
                j.n("durationMs", duration)
                    .n("responseSizeBytes", g.rng.below(200_000));
                j.s("signInActivityId", &g.rng.guid().replace('-', "")[..22]);
                if user {
                    j.raw("roles", "null")
                        .s(
                            "scopes",
                            "openid profile email User.Read Directory.Read.All",
                        )
                        .s("userId", &u)
                        .raw("servicePrincipalId", "null");
                } else {
                    j.s("roles", "User.Read.All Group.Read.All")
                        .raw("scopes", "null")
                        .raw("userId", "null")
                        .s("servicePrincipalId", &sp);
                }
                j.s("appId", &app_id).s(
                    "identityProvider",
                    &format!("https://sts.windows.net/{}/", g.world.tenant),
                );
                j.s("clientAuthMethod", g.rng.pick(&["0", "1", "2"]))
                    .s("wids", "b79fbf4d-3ef9-4689-8143-76b194e85509");
                j.s("ipAddress", &ip).s(
                    "userAgent",
                    g.rng.pick(&[
                        "python-requests/2.31.0",
                        "Microsoft Graph PowerShell",
                        "Mozilla/5.0",
                    ]),
                );
                j.s(
                    "requestUri",
                    &format!("https://graph.microsoft.com{}", g.rng.pick(GRAPH_URIS)),
                )
                .s("atContent", "");
                j.s("tokenIssuedAt", &iso(time - 300_000_000_000, 0, true, true));
                j.n(
                    "__UDI_RequiredFields_EventTime",
                    638_754_711_120_000_000u64 + g.rng.below(1_000_000_000) as u64,
                );
            },
        );
    }
}

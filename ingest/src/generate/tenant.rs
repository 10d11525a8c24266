//! The tenant the records come from: users, apps, service principals, managed identities, its
//! conditional-access policies and the IP addresses its sign-ins come from.

use super::rng::Rng;
use super::words::{APPS, FIRST, LAST, PLACES};

pub(super) struct User {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) upn: String,
    pub(super) place: usize,
    pub(super) guest: bool,
    /// The groups that conditional-access policies are assigned to: users of one group and one
    /// app see the same policy results.
    pub(super) group: u8,
}

pub(super) struct Principal {
    pub(super) id: String,
    pub(super) app_id: String,
    pub(super) name: String,
}

/// How the tenant runs a conditional-access policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PolicyState {
    On,
    ReportOnly,
    Off,
}

/// A conditional-access policy of the tenant. Entra lists every policy on every user sign-in,
/// in the same order, with a result that follows from the policy's state and from whether its
/// conditions hold for the user's group and the app; so the lists repeat across sign-ins, as they
/// do in real tenants.
pub(super) struct Policy {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) state: PolicyState,
    /// `enforcedGrantControls` and `enforcedSessionControls` as JSON: a policy lists its own
    /// controls whatever its result, and none when it is off.
    pub(super) grant: &'static str,
    pub(super) session: &'static str,
    /// The policy's conditions as the wire's bit mask (1 application, 2 users, 8 locations,
    /// 16 client apps, 1024 IP seen by Entra; [entra-log-formats] §b.1).
    pub(super) conditions: u32,
}

/// Share, in percent, of (policy, group, app) pairs a policy applies to. With the policy states
/// of `World::new` this gives about the result mix of the real records: notApplied 61 %, reportOnlyNotApplied
/// 21 %, notEnabled 11 %, success and failure a few percent (observed: 63/24/11/3/1 of 103).
pub(super) const POLICY_APPLIES_PERCENT: u64 = 6;

pub(super) struct World {
    pub(super) tenant: String,
    pub(super) users: Vec<User>,
    pub(super) apps: Vec<Principal>,
    pub(super) sps: Vec<Principal>,
    pub(super) mis: Vec<Principal>,
    pub(super) policies: Vec<Policy>,
    pub(super) ips: Vec<String>,
}

impl World {
    pub(super) fn new(rng: &mut Rng, users: usize, policies: usize) -> World {
        let tenant = rng.guid();
        let users = (0..users.max(1))
            .map(|i| {
                let first = rng.pick(FIRST);
                let last = rng.pick(LAST);
                let guest = rng.chance(0.08);
                let domain = if guest {
                    "partner.example"
                } else {
                    "contoso.example"
                };
                let local: String = format!("{first}.{last}{i}")
                    .to_lowercase()
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
                    .collect();
                User {
                    id: rng.guid(),
                    name: format!("{first} {last}"),
                    upn: format!("{local}@{domain}"),
                    place: rng.below(PLACES.len()),
                    guest,
                    group: (i % 7) as u8,
                }
            })
            .collect();
        let principal = |rng: &mut Rng, name: String| Principal {
            id: rng.guid(),
            app_id: rng.guid(),
            name,
        };
        let apps = APPS.iter().map(|a| principal(rng, a.to_string())).collect();
        let sps = (0..200)
            .map(|i| {
                let kind = *rng.pick(&["terraform", "backup", "ci", "etl", "monitor"]);
                principal(rng, format!("svc-{kind}-{i}"))
            })
            .collect();
        let mis = (0..100)
            .map(|i| {
                let kind = *rng.pick(&["aks", "func", "vm", "logic", "adf"]);
                principal(rng, format!("mi-{kind}-{i}"))
            })
            .collect();
        let policy_names = [
            "CA001 – Require MFA for admins",
            "CA002 – Block legacy authentication",
            "05 - MFA für Gäste",
            "CA – iOS \\u0026 Android – Unmanaged",
            "Require compliant device",
            "Block high-risk sign-ins",
            "Sign-in frequency 12h",
            "Require MFA off trusted network",
            "Terms of use for guests",
            "Block countries outside EU",
            "Require app protection policy",
            "Session: Defender for Cloud Apps",
        ];
        // Grant and session controls in the order of `policy_names`, then for the baseline ones.
        let controls: [(&str, &str); 12] = [
            ("[\"Mfa\"]", "[]"),
            ("[\"Block\"]", "[]"),
            ("[\"Mfa\"]", "[]"),
            ("[\"Mfa\",\"RequireApprovedApp\"]", "[]"),
            ("[\"RequireCompliantDevice\"]", "[]"),
            ("[\"Block\"]", "[]"),
            ("[]", "[\"SignInFrequency\"]"),
            ("[\"Mfa\"]", "[]"),
            ("[\"Guest terms of use\"]", "[]"),
            ("[\"Block\"]", "[]"),
            ("[\"RequireApprovedApp\"]", "[]"),
            ("[]", "[\"CloudAppSecurity\"]"),
        ];
        let conditions = [3, 19, 3, 7, 3, 3, 1, 1035, 3, 11, 7, 1];
        let policies = (0..policies)
            .map(|i| Policy {
                id: rng.guid(),
                name: if i < policy_names.len() {
                    policy_names[i].to_string()
                } else {
                    format!("CA{:03} – Baseline policy {i}", i + 1)
                },
                // A quarter report-only and an eighth off (4 and 2 of 18), the rest on.
                state: match i % 8 {
                    7 => PolicyState::Off,
                    2 | 6 => PolicyState::ReportOnly,
                    _ => PolicyState::On,
                },
                grant: controls[i % controls.len()].0,
                session: controls[i % controls.len()].1,
                conditions: conditions[i % conditions.len()],
            })
            .collect();
        let ips = (0..5000)
            .map(|_| {
                if rng.chance(0.15) {
                    format!(
                        "2a02:{:x}:{:x}::{:x}",
                        rng.below(0xffff),
                        rng.below(0xffff),
                        rng.below(0xffff)
                    )
                } else {
                    format!(
                        "{}.{}.{}.{}",
                        20 + rng.below(200),
                        rng.below(256),
                        rng.below(256),
                        1 + rng.below(254)
                    )
                }
            })
            .collect();
        World {
            tenant,
            users,
            apps,
            sps,
            mis,
            policies,
            ips,
        }
    }
}

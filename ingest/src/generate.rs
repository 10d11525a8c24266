//! `generate`: realistic, seeded, deterministic Entra diagnostic-log captures for tests, benches
//! and load tests. Records follow the wire shapes of `shared/reference/entra-log-formats.md` §b
//! (camelCase `properties`, PascalCase members where Entra has them), with realistic
//! cardinalities (users, apps, IPs, countries, conditional-access policies), sign-ins of 7–8 KB
//! with the default 18 policies (real ones are 3–20 KB, mostly by the tenant's policy count),
//! records in time order like a hub delivers them, and a configurable share of §d quirks.

// `J::s` takes `impl AsRef<str>` so that picks from word lists and owned strings both fit;
// borrowing a temporary there is the clearer spelling.
#![allow(clippy::needless_borrows_for_generic_args)]

use std::io::Write;

use aad_schemas::json::write_str;
use aad_schemas::time::civil_from_days;
use anyhow::{bail, Result};

/// Output shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One Event Hub message body a line: `{"records":[…]}` with about `records_per_message`.
    Envelope,
    /// One record a line.
    Records,
}

#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub records: u64,
    pub seed: u64,
    pub format: Format,
    pub records_per_message: usize,
    /// Category weights; see [`DEFAULT_MIX`].
    pub mix: Vec<(&'static str, f64)>,
    /// Share of records given one §d quirk (0.0–1.0); a tenth of it also yields invalid messages.
    pub quirk_share: f64,
    /// First record time, seconds since the epoch, and the span the records cover.
    pub start_epoch: i64,
    pub span_hours: u32,
    pub users: usize,
    /// Conditional-access policies of the tenant; every user sign-in lists them all, so this
    /// sets most of a sign-in's size (18 give 7–8 KB, 40 about 13 KB).
    pub policies: usize,
}

/// Close to real tenants: non-interactive sign-ins dominate (5–10× interactive, §a.1).
pub const DEFAULT_MIX: &[(&str, f64)] = &[
    ("NonInteractiveUserSignInLogs", 50.0),
    ("SignInLogs", 9.0),
    ("ServicePrincipalSignInLogs", 12.0),
    ("ManagedIdentitySignInLogs", 8.0),
    ("AuditLogs", 9.0),
    ("MicrosoftGraphActivityLogs", 8.0),
    ("ProvisioningLogs", 1.5),
    ("ADFSSignInLogs", 0.5),
    ("RiskyUsers", 0.5),
    ("UserRiskEvents", 0.8),
    ("RiskyServicePrincipals", 0.3),
    ("ServicePrincipalRiskEvents", 0.4),
];

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            records: 10_000,
            seed: 1,
            format: Format::Envelope,
            records_per_message: 100,
            mix: DEFAULT_MIX.to_vec(),
            quirk_share: 0.05,
            start_epoch: 1_793_491_200, // 2026-11-01T00:00:00Z
            span_hours: 24,
            users: 2000,
            policies: 18,
        }
    }
}

/// Parse `Category=weight,…` (categories as Entra names them).
pub fn parse_mix(text: &str) -> Result<Vec<(&'static str, f64)>> {
    let mut mix = Vec::new();
    for part in text.split(',').filter(|p| !p.trim().is_empty()) {
        let Some((name, w)) = part.split_once('=') else {
            bail!("mix entry {part:?} is not Category=weight")
        };
        let Some(&(cat, _)) = DEFAULT_MIX
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(name.trim()))
        else {
            bail!(
                "unknown category {name:?} in mix (known: {})",
                DEFAULT_MIX
                    .iter()
                    .map(|c| c.0)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let w: f64 = w
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("weight {w:?} of {name} is not a number"))?;
        if !(w >= 0.0 && w.is_finite()) {
            bail!("weight of {name} must be a non-negative number");
        }
        mix.push((cat, w));
    }
    if mix.iter().map(|m| m.1).sum::<f64>() <= 0.0 {
        bail!("mix has no positive weight");
    }
    Ok(mix)
}

/// SplitMix64: tiny, fast, and stable across versions (the output must not change with a crate).
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p && p > 0.0
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    /// Skewed pick: low indices are far more frequent (a few apps and users do most sign-ins).
    pub fn pick_skewed<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let a = self.below(items.len());
        let b = self.below(items.len());
        &items[a.min(b)]
    }
    pub fn guid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48) & 0x3fff,
            b & 0xffff_ffff_ffff
        )
    }
}

const FIRST: &[&str] = &[
    "Anna", "Ben", "Chloé", "David", "Elif", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Kai",
    "Lena", "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tomás", "Uma", "Vera",
    "Wen", "Yusuf", "Zoë",
];
const LAST: &[&str] = &[
    "Andersen", "Becker", "Costa", "Dubois", "Eriksson", "Fischer", "García", "Hansen", "Ito",
    "Jensen", "Kowalski", "López", "Müller", "Nakamura", "O'Brien", "Petrov", "Rossi", "Schmidt",
    "Tanaka", "Weber", "Yilmaz", "Zhang",
];
const APPS: &[&str] = &[
    "Microsoft Teams",
    "Office 365 Exchange Online",
    "Microsoft Authentication Broker",
    "OneDrive SyncEngine",
    "Microsoft Office",
    "Outlook Mobile",
    "Azure Portal",
    "Microsoft Edge",
    "Windows Sign In",
    "Microsoft Azure CLI",
    "Microsoft Graph PowerShell",
    "SharePoint Online Web Client Extensibility",
    "Power BI Desktop",
    "Visual Studio Code",
    "My Apps",
    "Microsoft Intune Company Portal",
    "Zoom",
    "Salesforce",
    "ServiceNow",
    "Dropbox Business",
    "Slack",
    "Atlassian Cloud",
    "Workday",
    "Adobe Creative Cloud",
];
const RESOURCES: &[&str] = &[
    "Microsoft Graph",
    "Office 365 Exchange Online",
    "Windows Azure Service Management API",
    "Microsoft Teams Services",
    "Office 365 SharePoint Online",
    "Azure Key Vault",
    "Windows Azure Active Directory",
    "Microsoft Intune",
    "Azure Storage",
    "Azure Monitor Restricted",
];
const BROWSERS: &[&str] = &[
    "Edge 120.0.0",
    "Chrome 121.0.0",
    "Firefox 122.0",
    "Safari 17.2",
    "Rich Client 4.40.0.0",
    "Mobile Safari",
    "IE 11.0",
];
const OSES: &[&str] = &[
    "Windows 10",
    "Windows10",
    "Windows 11",
    "MacOs",
    "Ios 17.2",
    "Android 14",
    "Linux",
];
const CLIENT_APPS: &[&str] = &[
    "Browser",
    "Mobile Apps and Desktop clients",
    "Exchange ActiveSync",
    "IMAP",
    "SMTP",
    "Exchange Web Services",
];
const LIBS: &[&str] = &[
    "Family: MSAL Library: MSAL.NET 4.54.1.0 Platform: .NET FW",
    "Family: MSAL Library: MSAL.Java 1.10.0 Platform: Java",
    "Family: ADAL Library: ADAL.NET 3.19.8 Platform: .NET",
    "Family: MSAL Library: MSAL.Python 1.24.0 Platform: Python",
    "",
];
const AUDIT_OPS: &[(&str, &str, &str)] = &[
    ("Update user", "UserManagement", "Update"),
    ("Add member to group", "GroupManagement", "Assign"),
    ("Remove member from group", "GroupManagement", "Unassign"),
    (
        "Update service principal",
        "ApplicationManagement",
        "Update",
    ),
    (
        "Add app role assignment to service principal",
        "ApplicationManagement",
        "Assign",
    ),
    ("Reset user password", "UserManagement", "Update"),
    ("Add device", "Device", "Add"),
    ("Update conditional access policy", "Policy", "Update"),
    ("Add member to role", "RoleManagement", "Assign"),
];
const GRAPH_URIS: &[&str] = &[
    "/v1.0/me",
    "/v1.0/users?$select=id,displayName&$top=999",
    "/beta/devices?$filter=deviceId eq 'x'\\u0026$search=abc",
    "/v1.0/groups/{id}/members",
    "/v1.0/me/photos/96x96/$value",
    "/v1.0/organization",
    "/beta/auditLogs/signIns?$top=50",
];
const RISK_TYPES: &[&str] = &[
    "unfamiliarFeatures",
    "anonymizedIPAddress",
    "passwordSpray",
    "impossibleTravel",
    "maliciousIPAddress",
    "leakedCredentials",
];

struct Place {
    country: &'static str,
    state: &'static str,
    city: &'static str,
    lat: f64,
    lon: f64,
}

const PLACES: &[Place] = &[
    Place {
        country: "US",
        state: "Washington",
        city: "Redmond",
        lat: 47.674,
        lon: -122.121,
    },
    Place {
        country: "US",
        state: "New York",
        city: "New York",
        lat: 40.713,
        lon: -74.006,
    },
    Place {
        country: "DE",
        state: "Bayern",
        city: "München",
        lat: 48.137,
        lon: 11.575,
    },
    Place {
        country: "GB",
        state: "England",
        city: "London",
        lat: 51.507,
        lon: -0.128,
    },
    Place {
        country: "FR",
        state: "Île-de-France",
        city: "Paris",
        lat: 48.857,
        lon: 2.352,
    },
    Place {
        country: "IN",
        state: "Telangana",
        city: "Hyderabad",
        lat: 17.385,
        lon: 78.487,
    },
    Place {
        country: "JP",
        state: "Tokyo",
        city: "Tokyo",
        lat: 35.676,
        lon: 139.650,
    },
    Place {
        country: "BR",
        state: "São Paulo",
        city: "São Paulo",
        lat: -23.550,
        lon: -46.633,
    },
    Place {
        country: "NL",
        state: "Noord-Holland",
        city: "Amsterdam",
        lat: 52.370,
        lon: 4.895,
    },
    Place {
        country: "AU",
        state: "New South Wales",
        city: "Sydney",
        lat: -33.869,
        lon: 151.209,
    },
];

struct User {
    id: String,
    name: String,
    upn: String,
    place: usize,
    guest: bool,
    /// The groups that conditional-access policies are assigned to: users of one group and one
    /// app see the same policy results.
    group: u8,
}

struct Principal {
    id: String,
    app_id: String,
    name: String,
}

/// How the tenant runs a conditional-access policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PolicyState {
    On,
    ReportOnly,
    Off,
}

/// A conditional-access policy of the tenant. Entra lists every policy on every user sign-in,
/// in the same order, with a result that follows from the policy's state and from whether its
/// conditions hold for the user's group and the app; so the lists repeat across sign-ins, as they
/// do in real tenants.
struct Policy {
    id: String,
    name: String,
    state: PolicyState,
    /// `enforcedGrantControls` and `enforcedSessionControls` as JSON: a policy lists its own
    /// controls whatever its result, and none when it is off.
    grant: &'static str,
    session: &'static str,
    /// The policy's conditions as the wire's bit mask (1 application, 2 users, 8 locations,
    /// 16 client apps, 1024 IP seen by Entra; [entra-log-formats] §b.1).
    conditions: u32,
}

/// Share, in percent, of (policy, group, app) pairs a policy applies to. With the policy states
/// of `World::new` this gives about the result mix of the real records: notApplied 61 %, reportOnlyNotApplied
/// 21 %, notEnabled 11 %, success and failure a few percent (observed: 63/24/11/3/1 of 103).
const POLICY_APPLIES_PERCENT: u64 = 6;

/// FNV-1a: a fixed hash for choices that must be the same on every sign-in of a user and app.
fn fnv(parts: &[&[u8]]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for part in parts {
        for &b in *part {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
        h = (h ^ 0xff).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The tenant the generated records come from.
struct World {
    tenant: String,
    users: Vec<User>,
    apps: Vec<Principal>,
    sps: Vec<Principal>,
    mis: Vec<Principal>,
    policies: Vec<Policy>,
    ips: Vec<String>,
}

impl World {
    fn new(rng: &mut Rng, users: usize, policies: usize) -> World {
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

/// Minimal JSON object writer over a byte buffer.
struct J<'a> {
    out: &'a mut Vec<u8>,
    first: Vec<bool>,
}

impl<'a> J<'a> {
    fn new(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        J {
            out,
            first: vec![true],
        }
    }
    fn key(&mut self, k: &str) {
        let f = self.first.last_mut().unwrap();
        if !*f {
            self.out.push(b',');
        }
        *f = false;
        write_str(k, self.out);
        self.out.push(b':');
    }
    fn s(&mut self, k: &str, v: impl AsRef<str>) -> &mut Self {
        self.key(k);
        write_str(v.as_ref(), self.out);
        self
    }
    fn raw(&mut self, k: &str, v: &str) -> &mut Self {
        self.key(k);
        self.out.extend_from_slice(v.as_bytes());
        self
    }
    fn n(&mut self, k: &str, v: impl std::fmt::Display) -> &mut Self {
        self.raw(k, &v.to_string())
    }
    fn b(&mut self, k: &str, v: bool) -> &mut Self {
        self.raw(k, if v { "true" } else { "false" })
    }
    fn open(&mut self, k: &str) -> &mut Self {
        self.key(k);
        self.out.push(b'{');
        self.first.push(true);
        self
    }
    fn close(&mut self) -> &mut Self {
        self.out.push(b'}');
        self.first.pop();
        self
    }
    fn end(mut self) {
        self.close();
    }
}

fn json_str(v: &str) -> String {
    let mut out = Vec::new();
    write_str(v, &mut out);
    String::from_utf8(out).expect("utf-8")
}

/// ISO 8601 with `digits` fraction digits and a `Z` or `+00:00` suffix.
fn iso(nanos: i64, digits: usize, zulu: bool, pad_hour: bool) -> String {
    let secs = nanos.div_euclid(1_000_000_000);
    let frac = nanos.rem_euclid(1_000_000_000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    let hour = if pad_hour {
        format!("{:02}", sod / 3600)
    } else {
        format!("{}", sod / 3600)
    };
    let mut s = format!(
        "{y:04}-{m:02}-{d:02}T{hour}:{:02}:{:02}",
        sod % 3600 / 60,
        sod % 60
    );
    if digits > 0 {
        let f = format!("{frac:09}");
        s.push('.');
        s.push_str(&f[..digits]);
    }
    s.push_str(if zulu { "Z" } else { "+00:00" });
    s
}

/// `M/D/YYYY h:mm:ss AM` (quirk §d.9).
fn us_time(nanos: i64) -> String {
    let secs = nanos.div_euclid(1_000_000_000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    let h = sod / 3600;
    let (h12, ap) = match h {
        0 => (12, "AM"),
        1..=11 => (h, "AM"),
        12 => (12, "PM"),
        _ => (h - 12, "PM"),
    };
    format!(
        "{m}/{d}/{y} {h12}:{:02}:{:02} {ap}",
        sod % 3600 / 60,
        sod % 60
    )
}

/// Which quirk a record carries, if any.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Quirk {
    None,
    UsTime,
    LevelText,
    DurationString,
    ResultTypeInt,
    OneDigitHour,
    NoTime,
    NullCaller,
    LaShaped,
    DriftField,
    AudienceStrings,
}

const QUIRKS: &[Quirk] = &[
    Quirk::UsTime,
    Quirk::LevelText,
    Quirk::DurationString,
    Quirk::ResultTypeInt,
    Quirk::OneDigitHour,
    Quirk::NoTime,
    Quirk::NullCaller,
    Quirk::LaShaped,
    Quirk::DriftField,
    Quirk::AudienceStrings,
];

/// Writes records one by one.
pub struct Generator {
    rng: Rng,
    world: World,
    opts: GenerateOptions,
    weights: Vec<(&'static str, f64)>,
    total_weight: f64,
    index: u64,
    /// The record's correlation id, repeated inside `properties` as Entra does.
    correlation: String,
}

impl Generator {
    pub fn new(opts: GenerateOptions) -> Generator {
        let mut rng = Rng::new(opts.seed);
        let world = World::new(&mut rng, opts.users, opts.policies);
        let weights: Vec<_> = opts.mix.iter().copied().filter(|m| m.1 > 0.0).collect();
        let total_weight = weights.iter().map(|w| w.1).sum();
        Generator {
            rng,
            world,
            opts,
            weights,
            total_weight,
            index: 0,
            correlation: String::new(),
        }
    }

    fn category(&mut self) -> &'static str {
        let mut x = (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * self.total_weight;
        for (c, w) in &self.weights {
            if x < *w {
                return c;
            }
            x -= w;
        }
        self.weights.last().unwrap().0
    }

    /// Append the next record (no trailing newline) to `out`.
    pub fn record(&mut self, out: &mut Vec<u8>) {
        let span = self.opts.span_hours.max(1) as i64 * 3_600_000_000_000;
        let step = span / self.opts.records.max(1) as i64;
        let jitter = (self.rng.below(1_000_000) as i64) * (step / 1_000_000).max(1);
        let time = self.opts.start_epoch * 1_000_000_000
            + self.index as i64 * step
            + jitter.min(step.max(1) - 1);
        self.index += 1;
        let quirk = if self.rng.chance(self.opts.quirk_share) {
            *self.rng.pick(QUIRKS)
        } else {
            Quirk::None
        };
        let cat = self.category();
        match cat {
            "NonInteractiveUserSignInLogs" | "SignInLogs" | "ADFSSignInLogs" => {
                self.user_signin(out, cat, time, quirk)
            }
            "ServicePrincipalSignInLogs" | "ManagedIdentitySignInLogs" => {
                self.principal_signin(out, cat, time, quirk)
            }
            "AuditLogs" => self.audit(out, time, quirk),
            "MicrosoftGraphActivityLogs" => self.graph(out, time, quirk),
            "ProvisioningLogs" => self.provisioning(out, time, quirk),
            "RiskyUsers" | "RiskyServicePrincipals" => self.risky(out, cat, time, quirk),
            _ => self.risk_event(out, cat, time, quirk),
        }
    }

    /// The common top-level fields; `props` writes `properties`.
    #[allow(clippy::too_many_arguments)]
    fn envelope(
        &mut self,
        out: &mut Vec<u8>,
        cat: &str,
        op: &str,
        time: i64,
        quirk: Quirk,
        result_type: Option<&str>,
        caller: Option<&str>,
        identity: Option<&str>,
        location: Option<&str>,
        props: impl FnOnce(&mut Self, &mut J),
    ) {
        let mut j = J::new(out);
        match quirk {
            Quirk::NoTime => {}
            Quirk::UsTime => {
                j.s("time", &us_time(time));
            }
            _ => {
                j.s("time", &iso(time, 7, true, true));
            }
        }
        j.s(
            "resourceId",
            &format!("/tenants/{}/providers/Microsoft.aadiam", self.world.tenant),
        )
        .s("operationName", op)
        .s("operationVersion", "1.0")
        .s("category", cat)
        .s("tenantId", &self.world.tenant);
        if let Some(rt) = result_type {
            match (quirk, rt.parse::<i64>()) {
                (Quirk::ResultTypeInt, Ok(n)) => j.n("resultType", n),
                _ => j.s("resultType", rt),
            };
        }
        j.s("resultSignature", "None");
        if quirk == Quirk::DurationString {
            j.s("durationMs", "0");
        } else {
            j.n("durationMs", 0);
        }
        if let Some(ip) = caller {
            j.s(
                "callerIpAddress",
                if quirk == Quirk::NullCaller {
                    "<null>"
                } else {
                    ip
                },
            );
        }
        self.correlation = self.rng.guid();
        j.s("correlationId", &self.correlation);
        if let Some(id) = identity {
            j.s("identity", id);
        }
        if quirk == Quirk::LevelText {
            j.s("level", "Informational");
        } else {
            j.n("Level", 4);
        }
        if let Some(l) = location {
            j.s("location", l);
        }
        j.open("properties");
        props(self, &mut j);
        if quirk == Quirk::DriftField {
            j.open("tokenProtectionStatusDetails")
                .s("signInSessionStatus", "unbound")
                .n("signInSessionStatusCode", 1)
                .close();
        }
        j.close();
        j.end();
    }

    fn location_obj(j: &mut J, place: &Place) {
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

    fn user_signin(&mut self, out: &mut Vec<u8>, cat: &str, time: i64, quirk: Quirk) {
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

    fn principal_signin(&mut self, out: &mut Vec<u8>, cat: &str, time: i64, quirk: Quirk) {
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

    fn audit(&mut self, out: &mut Vec<u8>, time: i64, quirk: Quirk) {
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

    fn graph(&mut self, out: &mut Vec<u8>, time: i64, quirk: Quirk) {
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

    fn provisioning(&mut self, out: &mut Vec<u8>, time: i64, quirk: Quirk) {
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

    fn risky(&mut self, out: &mut Vec<u8>, cat: &str, time: i64, quirk: Quirk) {
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

    fn risk_event(&mut self, out: &mut Vec<u8>, cat: &str, time: i64, quirk: Quirk) {
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

/// Counts of what was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GenerateReport {
    pub records: u64,
    pub messages: u64,
    /// Messages deliberately written as invalid JSON (their records are not in `records`).
    pub invalid_messages: u64,
    pub bytes: u64,
}

/// Event Hubs refuses events over 1 MB (Standard tier), so an envelope closes before that.
const MAX_MESSAGE: usize = 1_000_000;

/// Close the envelope being built and write it, sometimes followed by a broken body as some
/// diagnostic settings send (§d.4).
fn flush_message(
    w: &mut impl Write,
    message: &mut Vec<u8>,
    in_message: &mut usize,
    report: &mut GenerateReport,
    g: &mut Generator,
    invalid_share: f64,
) -> Result<()> {
    if *in_message == 0 {
        return Ok(());
    }
    message.extend_from_slice(b"]}\n");
    w.write_all(message)?;
    report.messages += 1;
    report.bytes += message.len() as u64;
    message.clear();
    *in_message = 0;
    if g.rng.chance(invalid_share) {
        let broken = b"{\"records\":[{\"time\":\"2026-11-01T00:00:00Z\",\"category\":\"SignInLogs\",\"properties\":{\"id\":'x'}\n";
        w.write_all(broken)?;
        report.invalid_messages += 1;
        report.messages += 1;
        report.bytes += broken.len() as u64;
    }
    Ok(())
}

/// Write `opts.records` records to `w`.
pub fn generate(opts: &GenerateOptions, w: &mut impl Write) -> Result<GenerateReport> {
    let mut g = Generator::new(opts.clone());
    let mut report = GenerateReport::default();
    let mut message = Vec::with_capacity(MAX_MESSAGE + 64 * 1024);
    let mut record = Vec::with_capacity(64 * 1024);
    let mut in_message = 0usize;
    let invalid_share = opts.quirk_share / 10.0;
    for _ in 0..opts.records {
        record.clear();
        g.record(&mut record);
        report.records += 1;
        match opts.format {
            Format::Records => {
                record.push(b'\n');
                w.write_all(&record)?;
                report.messages += 1;
                report.bytes += record.len() as u64;
            }
            Format::Envelope => {
                if in_message > 0
                    && (in_message >= opts.records_per_message
                        || message.len() + record.len() + 3 > MAX_MESSAGE)
                {
                    flush_message(
                        w,
                        &mut message,
                        &mut in_message,
                        &mut report,
                        &mut g,
                        invalid_share,
                    )?;
                }
                message.extend_from_slice(if in_message == 0 {
                    b"{\"records\":["
                } else {
                    b","
                });
                message.extend_from_slice(&record);
                in_message += 1;
            }
        }
    }
    flush_message(
        w,
        &mut message,
        &mut in_message,
        &mut report,
        &mut g,
        invalid_share,
    )?;
    w.flush()?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let run = |seed| {
            let mut out = Vec::new();
            generate(
                &GenerateOptions {
                    records: 300,
                    seed,
                    ..Default::default()
                },
                &mut out,
            )
            .unwrap();
            out
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }

    #[test]
    fn every_line_is_json_except_the_deliberately_broken() {
        let mut out = Vec::new();
        let opts = GenerateOptions {
            records: 2000,
            quirk_share: 0.5,
            records_per_message: 10,
            ..Default::default()
        };
        let report = generate(&opts, &mut out).unwrap();
        let mut bad = 0;
        for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            if simd_json::to_tape(&mut line.to_vec()).is_err() {
                bad += 1;
            }
        }
        assert_eq!(bad, report.invalid_messages);
        assert!(report.invalid_messages > 0);
        assert_eq!(report.records, 2000);
    }

    /// Real tenants list every policy on every user sign-in, with results set by who signs in to
    /// what: the lists repeat, in the result mix of the real records ([entra-log-formats] §b.1).
    #[test]
    fn conditional_access_lists_are_the_tenants_policies_and_repeat_per_group_and_app() {
        use simd_json::prelude::*;
        let mut out = Vec::new();
        let opts = GenerateOptions {
            records: 4000,
            quirk_share: 0.0,
            format: Format::Records,
            mix: vec![("SignInLogs", 1.0), ("NonInteractiveUserSignInLogs", 5.0)],
            ..Default::default()
        };
        generate(&opts, &mut out).unwrap();
        let (mut lists, mut results) = (
            std::collections::HashMap::new(),
            std::collections::HashMap::new(),
        );
        let mut ids_of_first: Option<Vec<String>> = None;
        for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let record = simd_json::to_owned_value(&mut line.to_vec()).unwrap();
            let props = &record["properties"];
            let list = props["appliedConditionalAccessPolicies"]
                .as_array()
                .unwrap();
            assert_eq!(
                list.len(),
                opts.policies,
                "every policy of the tenant is listed"
            );
            let mut ids: Vec<String> = list
                .iter()
                .map(|p| p["id"].as_str().unwrap().to_string())
                .collect();
            ids.sort();
            assert_eq!(ids, *ids_of_first.get_or_insert_with(|| ids.clone()));
            for p in list {
                *results
                    .entry(p["result"].as_str().unwrap().to_string())
                    .or_insert(0usize) += 1;
            }
            let blocked = props["status"]["errorCode"].as_i64() == Some(53003);
            let status = props["conditionalAccessStatus"].as_str().unwrap();
            let any_success = list.iter().any(|p| p["result"].as_str() == Some("success"));
            let expected = if blocked {
                "failure"
            } else if any_success {
                "success"
            } else {
                "notApplied"
            };
            assert_eq!(status, expected);
            *lists
                .entry(simd_json::to_string(list).unwrap())
                .or_insert(0usize) += 1;
        }
        let (signins, entries) = (
            lists.values().sum::<usize>(),
            results.values().sum::<usize>(),
        );
        assert_eq!(signins, 4000);
        assert!(
            lists.len() * 10 < signins,
            "{} distinct lists in {signins} sign-ins",
            lists.len()
        );
        // 2 of the 18 policies are off: exactly an eighth or so of entries, on every sign-in.
        assert_eq!(results["notEnabled"], 2 * signins);
        let share = |r: &str| results.get(r).copied().unwrap_or(0) * 100 / entries;
        assert!((50..75).contains(&share("notApplied")), "{results:?}");
        assert!(
            (15..30).contains(&share("reportOnlyNotApplied")),
            "{results:?}"
        );
        assert!((1..8).contains(&share("success")), "{results:?}");
    }

    #[test]
    fn us_time_and_iso_forms() {
        assert_eq!(
            us_time(1_793_491_200_000_000_000 + 13 * 3_600_000_000_000),
            "11/1/2026 1:00:00 PM"
        );
        assert_eq!(
            iso(1_793_491_200_123_456_700, 7, true, true),
            "2026-11-01T00:00:00.1234567Z"
        );
        assert_eq!(
            iso(
                1_793_491_200_000_000_000 + 9 * 3_600_000_000_000,
                0,
                false,
                false
            ),
            "2026-11-01T9:00:00+00:00"
        );
    }
}

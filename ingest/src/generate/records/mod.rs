//! The record writers: [`Generator`] picks each record's table by the mix and hands it to the
//! writer of that table's shape. Which writer serves a table is declared once, in
//! [`Writer::for_table`], against the catalogue's table names, so a table added to the catalogue
//! has no writer (and the tests say so) until one is chosen for it here.

// `J::s` takes `impl AsRef<str>` so that picks from word lists and owned strings both fit;
// borrowing a temporary there is the clearer spelling.
#![allow(clippy::needless_borrows_for_generic_args)]

mod audit;
mod graph;
mod risk;
mod signin;

use aad_schemas::catalogue::{Catalogue, Table};
use anyhow::{anyhow, Result};

use super::json::J;
use super::options::GenerateOptions;
use super::quirk::{iso, us_time, Quirk, QUIRKS};
use super::rng::Rng;
use super::tenant::World;

/// The record shapes the generator writes; several tables share one (their records differ by
/// category-dependent fields the writer looks at).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Writer {
    /// Interactive, non-interactive and AD FS user sign-ins.
    UserSignIn,
    /// Service principal and managed identity sign-ins.
    PrincipalSignIn,
    Audit,
    Graph,
    Provisioning,
    /// Risky users and risky service principals.
    Risky,
    /// User and service principal risk detections.
    RiskEvent,
}

impl Writer {
    /// The writer of a catalogue table, `None` for a table no writer knows yet.
    pub(crate) fn for_table(table: &Table) -> Option<Writer> {
        use Writer::*;
        Some(match table.name {
            "SigninLogs" | "AADNonInteractiveUserSignInLogs" | "ADFSSignInLogs" => UserSignIn,
            "AADServicePrincipalSignInLogs" | "AADManagedIdentitySignInLogs" => PrincipalSignIn,
            "AuditLogs" => Audit,
            "MicrosoftGraphActivityLogs" => Graph,
            "AADProvisioningLogs" => Provisioning,
            "AADRiskyUsers" | "AADRiskyServicePrincipals" => Risky,
            "AADUserRiskEvents" | "AADServicePrincipalRiskEvents" => RiskEvent,
            _ => return None,
        })
    }

    /// A category as a user names it (any of its table's categories or the table name, any
    /// case) to the category Entra sends for that table, and its writer.
    pub(crate) fn for_category(category: &str) -> Result<(&'static str, Writer)> {
        let catalogue = Catalogue::get();
        let table = catalogue
            .table_for_category(category)
            .map(|id| catalogue.table(id))
            .ok_or_else(|| {
                anyhow!(
                    "unknown category {category:?} (known: {})",
                    generated_categories().join(", ")
                )
            })?;
        let writer = Writer::for_table(table)
            .ok_or_else(|| anyhow!("no generator writes {} records yet", table.name))?;
        Ok((table.categories[0], writer))
    }
}

/// The canonical category of every catalogue table a writer serves.
pub(crate) fn generated_categories() -> Vec<&'static str> {
    Catalogue::get()
        .tables
        .iter()
        .filter(|t| Writer::for_table(t).is_some())
        .map(|t| t.categories[0])
        .collect()
}

/// Writes records one by one.
pub struct Generator {
    pub(super) rng: Rng,
    world: World,
    opts: GenerateOptions,
    /// (category, its writer, weight) of every category with a positive weight.
    weights: Vec<(&'static str, Writer, f64)>,
    total_weight: f64,
    index: u64,
    /// The record's correlation id, repeated inside `properties` as Entra does.
    correlation: String,
}

impl Generator {
    /// A generator of `opts`; an error names a mix category that no writer serves.
    pub fn new(opts: GenerateOptions) -> Result<Generator> {
        let weights = opts
            .mix
            .iter()
            .filter(|m| m.1 > 0.0)
            .map(|&(category, weight)| {
                Writer::for_category(category).map(|(category, writer)| (category, writer, weight))
            })
            .collect::<Result<Vec<_>>>()?;
        if weights.is_empty() {
            return Err(anyhow!("the category mix has no positive weight"));
        }
        let total_weight = weights.iter().map(|w| w.2).sum();
        let mut rng = Rng::new(opts.seed);
        let world = World::new(&mut rng, opts.users, opts.policies);
        Ok(Generator {
            rng,
            world,
            opts,
            weights,
            total_weight,
            index: 0,
            correlation: String::new(),
        })
    }

    fn category(&mut self) -> (&'static str, Writer) {
        let mut x = (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * self.total_weight;
        for &(c, writer, w) in &self.weights {
            if x < w {
                return (c, writer);
            }
            x -= w;
        }
        let last = self.weights.last().expect("a positive weight");
        (last.0, last.1)
    }

    /// Append the next record (no trailing newline) to `out`; returns its time (ns since the
    /// epoch), which a Capture writer needs for the message's enqueued time.
    pub fn record(&mut self, out: &mut Vec<u8>) -> i64 {
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
        let (cat, writer) = self.category();
        match writer {
            Writer::UserSignIn => self.user_signin(out, cat, time, quirk),
            Writer::PrincipalSignIn => self.principal_signin(out, cat, time, quirk),
            Writer::Audit => self.audit(out, time, quirk),
            Writer::Graph => self.graph(out, time, quirk),
            Writer::Provisioning => self.provisioning(out, time, quirk),
            Writer::Risky => self.risky(out, cat, time, quirk),
            Writer::RiskEvent => self.risk_event(out, cat, time, quirk),
        }
        time
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
}

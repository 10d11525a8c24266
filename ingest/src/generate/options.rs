//! What `generate` is asked for, and the category mix a user may give.

use anyhow::{anyhow, bail, Result};

use super::records::Writer;

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

/// Parse `Category=weight,…`: categories as Entra names them (or their table names, any case),
/// resolved through the catalogue to the category Entra sends.
pub fn parse_mix(text: &str) -> Result<Vec<(&'static str, f64)>> {
    let mut mix = Vec::new();
    for part in text.split(',').filter(|p| !p.trim().is_empty()) {
        let Some((name, w)) = part.split_once('=') else {
            bail!("mix entry {part:?} is not Category=weight")
        };
        let (cat, _) =
            Writer::for_category(name.trim()).map_err(|e| anyhow!("mix entry {part:?}: {e}"))?;
        let w: f64 = w
            .trim()
            .parse()
            .map_err(|_| anyhow!("weight {w:?} of {name} is not a number"))?;
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

//! From the config to running destinations: each with its compiled routes, and the place dead
//! letters go. `convert` and `run` build theirs here, so both read a config the same way.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aad_schemas::{Catalogue, SchemaOptions};
use anyhow::{Context, Result};
use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;

use super::delta::table::DeltaTables;
use super::delta::DeltaDestination;
use super::lake::LakeDestination;
use super::loganalytics::{LogAnalyticsDestination, LogAnalyticsOptions, StreamTarget};
use super::Destination;
use crate::config::{DestinationConfig, LakeDestinationConfig, LakeFormat, RunConfig};
use crate::route::{configured, TableRoutes};
use crate::sink::parquet::LakeOptions;
use crate::store::{self, Location};

/// A destination and the rows it receives.
pub struct Routed {
    pub destination: Box<dyn Destination>,
    pub routes: TableRoutes,
    /// `lake` or `loganalytics`, for reports.
    pub kind: &'static str,
}

/// Everything a pipeline writes to.
pub struct Plan {
    pub destinations: Vec<Routed>,
    /// Where decoding's dead letters go: the lake's root, or `[dead_letter] out`.
    pub dead_letters: Location,
    /// The lake's schema options (nanosecond timestamps); normalizing is done once for all.
    pub schema: SchemaOptions,
    /// The lake's root, for messages.
    pub lake: Option<String>,
}

/// How the pipeline that builds a plan behaves.
pub struct PlanOptions {
    /// The lake's file shape (its zstd level comes from the config).
    pub lake: LakeOptions,
    pub rt: Handle,
    /// `run` keeps in-flight markers in the lake and retries refused tokens until stopped;
    /// `convert` does neither.
    pub service: bool,
    pub max_backoff: Duration,
    pub cancel: CancellationToken,
}

impl Plan {
    /// Build the destinations `config` (and `convert --out`) name.
    pub fn build(
        config: &RunConfig,
        extra_lake: Option<&LakeDestinationConfig>,
        opts: &PlanOptions,
    ) -> Result<Plan> {
        let mut destinations = Vec::new();
        let mut lake_location = None;
        let mut lake_locations = Vec::new();
        let mut schema = SchemaOptions::default();
        let all = configured(config, extra_lake);
        // The lake first: Log Analytics keeps its records and dead letters beside it.
        for d in &all {
            if let DestinationConfig::Lake(l) = &d.config {
                let location = store::open(&l.out).with_context(|| format!("{}.out", d.path))?;
                schema.nanosecond_timestamps = l.nanos;
                lake_location = Some(location.clone());
                lake_locations.push(location.clone());
                let options = LakeOptions {
                    zstd_level: l.zstd_level,
                    ..opts.lake.clone()
                };
                let destination: Box<dyn Destination> = match l.format {
                    LakeFormat::Parquet => Box::new(LakeDestination::new(
                        &l.name,
                        location,
                        options,
                        opts.rt.clone(),
                        opts.service,
                    )?),
                    LakeFormat::Delta => {
                        let tables = DeltaTables::open(location, &l.out, &opts.rt)
                            .with_context(|| format!("{}.out", d.path))?;
                        Box::new(DeltaDestination::new(
                            &l.name,
                            Arc::new(tables),
                            options,
                            schema,
                            opts.rt.clone(),
                        )?)
                    }
                };
                destinations.push(Routed {
                    destination,
                    routes: TableRoutes::compile(d)?,
                    kind: "lake",
                });
            }
        }
        let dead_letters = match (&lake_location, &config.dead_letter) {
            (Some(l), _) => l.clone(),
            (None, Some(d)) => store::open(&d.out).context("dead_letter.out")?,
            (None, None) => anyhow::bail!("dead_letter.out: required when no lake is configured"),
        };
        // Staging files a killed process left go at start (see `StagedFile`).
        for location in lake_locations.iter().chain([&dead_letters]) {
            crate::sink::parquet::remove_left_staging(location);
        }
        for d in &all {
            let DestinationConfig::Loganalytics(la) = &d.config else {
                continue;
            };
            let routes = TableRoutes::compile(d)?;
            let streams: HashMap<_, _> = routes
                .tables()
                .map(|(t, r)| {
                    (
                        t,
                        StreamTarget {
                            dcr_immutable_id: r
                                .dcr_immutable_id
                                .clone()
                                .expect("checked: every route has a DCR"),
                            stream: r.stream.clone(),
                            asim: r.asim,
                        },
                    )
                })
                .collect();
            let endpoint = url::Url::parse(&la.endpoint).context("checked at load")?;
            let options = LogAnalyticsOptions {
                name: la.name.clone(),
                endpoint,
                credential: crate::auth::credential(&la.auth, &format!("{}.auth", d.path))?,
                scope: format!("{}//.default", la.audience.trim_end_matches('/')),
                streams,
                max_concurrency: la.max_concurrency,
                max_request_bytes: la.max_request_bytes,
                request_timeout: Duration::from_secs_f64(la.request_timeout_secs),
                max_backoff: opts.max_backoff,
                give_up_after: (!opts.service).then(|| Duration::from_secs_f64(la.auth_wait_secs)),
                dead_letters: dead_letters.clone(),
                state: dead_letters.clone(),
                rt: opts.rt.clone(),
                cancel: opts.cancel.clone(),
            };
            destinations.push(Routed {
                destination: Box::new(LogAnalyticsDestination::new(options)),
                routes,
                kind: "loganalytics",
            });
        }
        let catalogue = Catalogue::get();
        for r in &destinations {
            let tables: Vec<&str> = r
                .routes
                .tables()
                .map(|(t, _)| catalogue.table(t).name)
                .collect();
            tracing::debug!(destination = r.destination.name(), tables = ?tables, "routes");
        }
        Ok(Plan {
            destinations,
            dead_letters,
            schema,
            lake: lake_location.map(|l| l.display),
        })
    }
}

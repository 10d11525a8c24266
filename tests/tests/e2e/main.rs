//! End-to-end tests: one test binary (linking the whole stack once), one module per concern.

mod bounds;
mod broker;
mod columns;
mod delta;
mod hub;
mod lake;
mod loganalytics;
mod lossless;
mod queries;
mod samples;
mod service;

//! End-to-end tests: one test binary (linking the whole stack once), one module per concern.

mod archive;
mod bounds;
mod broker;
mod capture;
mod columns;
mod delta;
mod lake;
mod loganalytics;
mod lossless;
mod queries;
mod samples;
mod service;

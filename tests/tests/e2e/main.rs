//! End-to-end tests: one test binary (linking the whole stack once), one module per concern.

mod archive;
mod asim;
mod bounds;
mod broker;
mod capture;
mod columns;
mod delta;
mod hub;
mod lake;
mod loganalytics;
mod lossless;
mod ops;
mod queries;
mod samples;
mod service;

//! imgconf: a conformance test harness for OpenStack Images v2 API implementations.
//!
//! Data flows one way: case files ([`case`]) are parsed into a checked plan, [`runner`] executes
//! each case over [`http`] and checks responses with [`expect`], results ([`outcome`]) are
//! judged by the [`profile`] and written by [`report`]. [`reference`] is the built-in target.
//! [`run`] puts `imgconf run` together as stages: configuration, plan, environment, execution,
//! verdict ([`verdict`]), reports.

pub mod apiroot;
pub mod app;
pub mod applicable;
pub mod auth;
pub mod case;
pub mod cleanup;
pub mod cli;
pub mod compare;
pub mod coverage;
pub mod discovery;
pub mod diskimage;
pub mod expect;
pub mod http;
pub mod journal;
pub mod outcome;
pub mod persona;
pub mod policy;
pub mod precision;
pub mod profile;
pub mod progress;
pub mod reference;
pub mod references;
pub mod report;
pub mod run;
pub mod runner;
pub mod schema;
pub mod select;
pub mod source;
pub mod suite;
pub mod sweep;
pub mod template;
pub mod valuepath;
pub mod verdict;
pub mod websource;
pub mod yaml;

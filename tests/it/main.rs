//! Integration tests of the real binary, most of them against a real moto server, in one test
//! binary: the AWS SDK is linked once, not once per file.

#[path = "../common/mod.rs"]
mod common;

mod calls;
mod conversion;
mod datapath;
mod faults;
mod fleet;
mod fuzz;
mod hardening;
mod hostile_pr;
mod jq_oracle;
mod lifecycle;
mod local_aws;
mod manual;
mod one_build;
mod operate;
mod preview;
mod readme;
mod regions;
mod render_snapshots;
mod safety;
mod terraform_day;
mod trust;
mod validation;

//! provision: a Terraform-style provisioner for an Amazon Data Firehose dynamic-partitioning
//! pipeline. stack.toml -> model -> live state -> plan -> apply, with live AWS as the only state.
//! All output goes through [`output`]; the core reaches AWS only through [`provider::Provider`].

pub mod apply;
pub mod aws;
pub mod cli;
pub mod commands;
pub mod config;
pub mod datapath;
pub mod defaults;
pub mod destroy;
pub mod error;
pub mod forget;
pub mod graph;
pub mod import;
pub mod input;
pub mod interrupt;
pub mod jq;
pub mod live;
pub mod locking;
pub mod model;
/// Problems found in stack.toml (they live with the model: see [`model::diagnostic`]).
pub use model::diagnostic;
pub mod output;
pub mod package;
pub mod plan;
pub mod policy;
pub mod prefix;
pub mod process;
pub mod provider;
pub mod render;
pub mod retry;
pub mod sandbox;
pub mod session;
pub mod status;
#[cfg(test)]
pub mod testing;
pub mod validate;

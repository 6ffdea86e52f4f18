//! provision: a Terraform-style provisioner for an Amazon Data Firehose dynamic-partitioning
//! pipeline. stack.toml -> model -> live state -> plan -> apply, with live AWS as the only state.

pub mod apply;
pub mod aws;
pub mod cli;
pub mod commands;
pub mod config;
pub mod graph;
pub mod model;
pub mod package;
pub mod plan;
pub mod policy;
pub mod render;
pub mod retry;
pub mod validate;

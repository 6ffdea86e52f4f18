//! The data path: what Firehose does to a record (preview, offline), sending records (send) and
//! checking where they landed (verify). Pure logic here; AWS calls through `aws::data`.

pub mod convert;
pub mod lambda_runner;
pub mod pick;
pub mod preview;
pub mod query;
pub mod records;
pub mod scan;
pub mod send;
mod steps;
pub mod verify;
pub mod worker;

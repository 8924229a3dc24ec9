//! The OCI side of the protocol, independent of HTTP framework and storage: the reference grammar
//! and route parser, manifest parsing, and the error codes.

pub mod display;
pub mod error;
pub mod manifest;
pub mod reference;

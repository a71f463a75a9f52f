//! Authorization server and protected resource metadata.

pub mod resource;
pub mod server;

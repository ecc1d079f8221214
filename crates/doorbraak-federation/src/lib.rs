//! # doorbraak-federation
//!
//! Transport and trust between organisation nodes:
//! - [`pki`]: a development federation CA, node certificates (OIN in subject serialNumber),
//!   revocation (CRL);
//! - [`directory`]: the directory manifest (members, kinds, endpoints, certificates with their
//!   windows, roles) signed by the federation operator, with a serial and an expiry;
//! - [`operator`]: the operator's key, draft member list and the signing of each manifest;
//! - [`crypto`]: the signatures made and checked (ECDSA P-256/P-384, RSA 2048-4096 PKCS#1 v1.5
//!   or PSS) and certificate paths to the trust anchors;
//! - [`tls`]: rustls configurations for mutual TLS (TLS 1.3, and TLS 1.2 with forward-secret
//!   AEAD suites only), with CRLs;
//! - [`identity`]: the sender of a call is the OIN in its verified certificate;
//! - [`transport`]: the TLS accept loop for the tonic server and the per-peer channel pool;
//! - [`backoff`] and [`delivery`]: outbox delivery with exponential backoff and jitter.
//!
//! The gRPC service itself (what a node does with a delivery or a request) lives in
//! `doorbraak-node`, which owns the application logic.
#![forbid(unsafe_code)]

pub mod backoff;
pub mod crypto;
pub mod delivery;
pub mod directory;
pub mod identity;
pub mod operator;
pub mod pki;
pub mod refusal;
pub mod revocation;
pub mod signing;
pub mod tls;
pub mod trace;
pub mod transport;

pub use backoff::Backoff;
pub use directory::{Directory, Member};
pub use identity::PeerIdentity;

//! The check behind `doorbraak audit verify`: the store's walk of the access log's hash chain,
//! and each signed checkpoint's signature.

use base64::Engine;
use doorbraak_store::{Checkpoint, Store, StoreError};

/// What the check of the access log found.
#[derive(Debug, Clone, Default)]
pub struct AccessLogReport {
    /// Signs of tampering, each naming the row or link.
    pub findings: Vec<String>,
    /// Rows newer than the last seal (not tampering by themselves).
    pub unsealed: usize,
    pub links: i64,
    pub checkpoints: usize,
    pub signed_checkpoints: usize,
}

/// Does a checkpoint's signature verify with the certificate it carries?
pub fn checkpoint_signature_ok(c: &Checkpoint) -> bool {
    let b64 = base64::engine::general_purpose::STANDARD;
    let bytes = Checkpoint::signed_bytes(c.chain_seq, &c.chain_hash, c.at);
    let (Ok(alg), Ok(cert), Ok(sig)) = (
        doorbraak_federation::crypto::Algorithm::parse(&c.algorithm),
        b64.decode(&c.certificate),
        b64.decode(&c.signature),
    ) else {
        return false;
    };
    doorbraak_federation::crypto::verify(alg, &cert, &bytes, &sig).is_ok()
}

/// Check the whole access log of `store`.
pub async fn verify(store: &Store) -> Result<AccessLogReport, StoreError> {
    let mut report = AccessLogReport::default();
    for f in store.verify_access_chain().await? {
        if f.is_tampering() {
            report.findings.push(f.to_string());
        } else {
            report.unsealed += 1;
        }
    }
    let checkpoints = store.checkpoints().await?;
    for c in checkpoints.iter().filter(|c| !c.algorithm.is_empty()) {
        if checkpoint_signature_ok(c) {
            report.signed_checkpoints += 1;
        } else {
            report.findings.push(format!(
                "checkpoint at link {}: its signature does not verify",
                c.chain_seq
            ));
        }
    }
    report.checkpoints = checkpoints.len();
    report.links = store.seal_head().await?.map_or(0, |h| h.seq);
    Ok(report)
}

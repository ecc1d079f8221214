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
    /// Archived segments checked (their files beside the database).
    pub archived_segments: usize,
    pub archived_rows: i64,
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

/// Check the whole access log of `store`, with its archived segments under `data_dir`.
pub async fn verify(
    store: &Store,
    data_dir: &std::path::Path,
) -> Result<AccessLogReport, StoreError> {
    let mut report = AccessLogReport::default();
    let mut prev = doorbraak_store::chain::GENESIS.to_owned();
    for a in store.access_archives().await? {
        report.archived_segments += 1;
        report.archived_rows += a.rows;
        let path = data_dir.join(&a.file);
        let Ok(text) = std::fs::read_to_string(&path) else {
            report
                .findings
                .push(format!("archived segment {} is missing", a.file));
            continue;
        };
        if doorbraak_model::canonical::sha256_hex(text.as_bytes()) != a.sha256 {
            report.findings.push(format!(
                "archived segment {} was changed after it was archived",
                a.file
            ));
        }
        let Some(seg) = doorbraak_store::ArchiveSegment::from_jsonl(&text) else {
            report
                .findings
                .push(format!("archived segment {} cannot be read", a.file));
            continue;
        };
        report.findings.extend(seg.check());
        if seg.header.prev_chain_hash != prev || seg.header.chain_hash != a.chain_hash {
            report.findings.push(format!(
                "archived segment {} does not follow on from the one before",
                a.file
            ));
        }
        let cp = Checkpoint {
            chain_seq: seg.header.up_to_seq,
            chain_hash: seg.header.chain_hash.clone(),
            at: seg.header.checkpoint_at,
            algorithm: seg.header.algorithm.clone(),
            certificate: seg.header.certificate.clone(),
            signature: seg.header.signature.clone(),
        };
        if !cp.algorithm.is_empty() && !checkpoint_signature_ok(&cp) {
            report.findings.push(format!(
                "archived segment {}: its checkpoint's signature does not verify",
                a.file
            ));
        }
        prev = a.chain_hash;
    }
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

//! Tamper evidence for the access log: every row is sealed, in seal order, into a hash chain
//! (`access_chain`: the row's SHA-256 over its canonical JSON, and the chain hash over the
//! previous chain hash and the row's), and the chain's head is signed at intervals
//! (`access_checkpoints`, signed by the node). No code path changes or deletes a row of these
//! tables, and triggers refuse it on both databases. [`Store::verify_access_chain`] walks the
//! chain and names every row that was edited, deleted or inserted outside it.

use super::*;

/// The chain's last link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub seq: i64,
    pub hash: String,
}

/// A signed statement of the chain's head: "up to `chain_seq` the chain hash is `chain_hash`".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub chain_seq: i64,
    pub chain_hash: String,
    pub at: Timestamp,
    /// The signature algorithm, or empty for a node without a signing key.
    pub algorithm: String,
    /// The signing certificate (base64 DER), and the signature (base64).
    pub certificate: String,
    pub signature: String,
}

impl Checkpoint {
    /// The bytes a checkpoint's signature covers.
    pub fn signed_bytes(chain_seq: i64, chain_hash: &str, at: Timestamp) -> Vec<u8> {
        format!("doorbraak.access_log.checkpoint.v1\n{chain_seq}\n{chain_hash}\n{at}").into_bytes()
    }
}

/// What the check of the access log found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainFinding {
    /// The row's content is not what was sealed.
    Edited { event_id: String, chain_seq: i64 },
    /// A sealed row is gone.
    Deleted { event_id: String, chain_seq: i64 },
    /// A row that was never sealed into the chain although rows after it were (written past
    /// the node).
    Inserted { event_id: String },
    /// A row newer than everything sealed, not sealed yet (the node stopped before its next
    /// seal); not a sign of tampering by itself.
    Unsealed { event_id: String },
    /// The chain itself does not follow on (a link changed, removed or added).
    Broken { chain_seq: i64 },
    /// A checkpoint does not match the chain at its position.
    Checkpoint { chain_seq: i64, why: String },
}

impl ChainFinding {
    /// Is this a sign that the log was tampered with?
    pub fn is_tampering(&self) -> bool {
        !matches!(self, ChainFinding::Unsealed { .. })
    }
}

impl std::fmt::Display for ChainFinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainFinding::Edited {
                event_id,
                chain_seq,
            } => write!(
                f,
                "row {event_id} (link {chain_seq}) was changed after it was sealed"
            ),
            ChainFinding::Deleted {
                event_id,
                chain_seq,
            } => {
                write!(f, "row {event_id} (link {chain_seq}) was deleted")
            }
            ChainFinding::Inserted { event_id } => write!(
                f,
                "row {event_id} is not in the chain: it was inserted past the node"
            ),
            ChainFinding::Unsealed { event_id } => write!(
                f,
                "row {event_id} is newer than the last seal and not sealed yet"
            ),
            ChainFinding::Broken { chain_seq } => {
                write!(f, "the chain does not follow on at link {chain_seq}")
            }
            ChainFinding::Checkpoint { chain_seq, why } => {
                write!(f, "checkpoint at link {chain_seq}: {why}")
            }
        }
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    canonical::sha256_hex(bytes)
}

/// The hash of a row: SHA-256 over the canonical JSON (RFC 8785) of the entry as stored.
pub fn row_hash(e: &AccessEntry) -> Result<String> {
    Ok(hex_sha256(&canonical::to_vec(e)?))
}

/// The next chain hash: SHA-256 over the previous one and the row's hash.
pub fn next_hash(prev: &str, row: &str) -> String {
    hex_sha256(format!("{prev}\n{row}").as_bytes())
}

/// How far before the last sealed row a seal pass looks for rows committed late.
pub const SEAL_MARGIN_MS: i64 = 10 * 60 * 1000;

/// The chain hash before the first link.
pub const GENESIS: &str = "doorbraak.access_log.genesis.v1";

impl Store {
    /// Seal up to `max` rows not yet in the chain, oldest first; the head after it (`None`: the
    /// log is empty). Two sealers at once cannot both link: the second one's insert conflicts
    /// on the chain position and its pass is rolled back.
    pub async fn seal_access_log(&self, now: Timestamp, max: i64) -> Result<Option<ChainHead>> {
        let mut tx = self.pool.begin().await?;
        let head = sqlx::query(
            "SELECT chain_seq, chain_hash FROM access_chain ORDER BY chain_seq DESC LIMIT 1",
        )
        .fetch_optional(&mut *tx)
        .await?;
        let archived = sqlx::query(
            "SELECT up_to_seq, chain_hash FROM access_archives ORDER BY up_to_seq DESC LIMIT 1",
        )
        .fetch_optional(&mut *tx)
        .await?;
        // every link archived: the chain goes on from the archive's end
        let (mut seq, mut hash) = match head.or(archived) {
            Some(r) => (r.try_get::<i64, _>(0)?, r.try_get::<String, _>(1)?),
            None => (0, GENESIS.to_owned()),
        };
        // only rows from shortly before the last sealed one on (the time index): a row that
        // commits later than that with an older time is one `verify` names as inserted
        let last_sealed_at: Option<i64> = sqlx::query_scalar(
            "SELECT a.at_ms FROM access_chain c JOIN access_log a ON a.event_id = c.event_id \
             ORDER BY c.chain_seq DESC LIMIT 1",
        )
        .fetch_optional(&mut *tx)
        .await?;
        let from = last_sealed_at.map_or(i64::MIN, |at| at.saturating_sub(SEAL_MARGIN_MS));
        let rows = sqlx::query(
            "SELECT a.* FROM access_log a WHERE a.at_ms >= $2 AND NOT EXISTS \
             (SELECT 1 FROM access_chain c WHERE c.event_id = a.event_id) \
             ORDER BY a.at_ms, a.event_id LIMIT $1",
        )
        .bind(max.clamp(1, 100_000))
        .bind(from)
        .fetch_all(&mut *tx)
        .await?;
        for r in &rows {
            let e = access::access_entry(r)?;
            let row = row_hash(&e)?;
            hash = next_hash(&hash, &row);
            seq += 1;
            sqlx::query(
                "INSERT INTO access_chain (chain_seq, event_id, row_hash, chain_hash, sealed_at_ms) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(seq)
            .bind(e.event_id.to_string())
            .bind(&row)
            .bind(&hash)
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok((seq > 0).then_some(ChainHead { seq, hash }))
    }

    /// The chain's last link (`None`: nothing sealed yet).
    pub async fn seal_head(&self) -> Result<Option<ChainHead>> {
        let mut row = sqlx::query(
            "SELECT chain_seq, chain_hash FROM access_chain ORDER BY chain_seq DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        if row.is_none() {
            row = sqlx::query(
                "SELECT up_to_seq AS chain_seq, chain_hash FROM access_archives \
                 ORDER BY up_to_seq DESC LIMIT 1",
            )
            .fetch_optional(&self.pool)
            .await?;
        }
        row.map(|r| {
            Ok(ChainHead {
                seq: r.try_get("chain_seq")?,
                hash: r.try_get("chain_hash")?,
            })
        })
        .transpose()
    }

    /// Record a checkpoint of the chain.
    pub async fn add_checkpoint(&self, c: &Checkpoint) -> Result<()> {
        sqlx::query(
            "INSERT INTO access_checkpoints (chain_seq, chain_hash, at_ms, algorithm, certificate, signature) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (chain_seq) DO NOTHING",
        )
        .bind(c.chain_seq)
        .bind(&c.chain_hash)
        .bind(ms(c.at))
        .bind(&c.algorithm)
        .bind(&c.certificate)
        .bind(&c.signature)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The newest checkpoint.
    pub async fn last_checkpoint(&self) -> Result<Option<Checkpoint>> {
        Ok(self
            .checkpoints_where("ORDER BY chain_seq DESC LIMIT 1")
            .await?
            .pop())
    }

    async fn checkpoints_where(&self, tail: &'static str) -> Result<Vec<Checkpoint>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT * FROM access_checkpoints {tail}"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Checkpoint {
                    chain_seq: r.try_get("chain_seq")?,
                    chain_hash: r.try_get("chain_hash")?,
                    at: from_ms(r.try_get("at_ms")?)?,
                    algorithm: r.try_get("algorithm")?,
                    certificate: r.try_get("certificate")?,
                    signature: r.try_get("signature")?,
                })
            })
            .collect()
    }

    /// Every checkpoint, oldest first.
    pub async fn checkpoints(&self) -> Result<Vec<Checkpoint>> {
        self.checkpoints_where("ORDER BY chain_seq").await
    }

    /// Walk the chain: every sealed row must still hash to what was sealed, every link follow
    /// on from the one before, every checkpoint match the chain at its position, and no row
    /// be outside the chain. Rows written after the last seal are outside it too: seal first
    /// (the node seals at every sweep and when it stops).
    pub async fn verify_access_chain(&self) -> Result<Vec<ChainFinding>> {
        let mut findings = Vec::new();
        let links = sqlx::query(
            "SELECT c.chain_seq, c.event_id AS chain_event, c.row_hash, c.chain_hash, a.* \
             FROM access_chain c LEFT JOIN access_log a ON a.event_id = c.event_id \
             ORDER BY c.chain_seq",
        )
        .fetch_all(&self.pool)
        .await?;
        // the chain in the database goes on from the last archived segment
        let archived = self.access_archives().await?.pop();
        let mut prev = archived
            .as_ref()
            .map_or_else(|| GENESIS.to_owned(), |a| a.chain_hash.clone());
        let archived_to = archived.as_ref().map_or(0, |a| a.up_to_seq);
        let mut newest_sealed = archived.as_ref().map_or(i64::MIN, |a| ms(a.until));
        let mut expected_seq = archived_to + 1;
        let mut at_seq = std::collections::HashMap::new();
        for r in &links {
            let seq: i64 = r.try_get("chain_seq")?;
            let event_id: String = r.try_get("chain_event")?;
            let row: String = r.try_get("row_hash")?;
            let hash: String = r.try_get("chain_hash")?;
            if seq != expected_seq || next_hash(&prev, &row) != hash {
                findings.push(ChainFinding::Broken { chain_seq: seq });
            }
            let present: Option<String> = r.try_get("event_id")?;
            match present {
                None => findings.push(ChainFinding::Deleted {
                    event_id,
                    chain_seq: seq,
                }),
                Some(_) => {
                    let e = access::access_entry(r)?;
                    newest_sealed = newest_sealed.max(ms(e.at));
                    if row_hash(&e)? != row {
                        findings.push(ChainFinding::Edited {
                            event_id,
                            chain_seq: seq,
                        });
                    }
                }
            }
            at_seq.insert(seq, hash.clone());
            prev = hash;
            expected_seq = seq + 1;
        }
        let outside = sqlx::query(
            "SELECT a.event_id, a.at_ms FROM access_log a WHERE NOT EXISTS \
             (SELECT 1 FROM access_chain c WHERE c.event_id = a.event_id) ORDER BY a.at_ms",
        )
        .fetch_all(&self.pool)
        .await?;
        for r in &outside {
            let event_id: String = r.try_get("event_id")?;
            let at: i64 = r.try_get("at_ms")?;
            findings.push(if at <= newest_sealed {
                ChainFinding::Inserted { event_id }
            } else {
                ChainFinding::Unsealed { event_id }
            });
        }
        for c in self.checkpoints().await? {
            // checkpoints of archived links are checked with their segment
            if c.chain_seq < archived_to {
                continue;
            }
            if c.chain_seq == archived_to {
                if archived
                    .as_ref()
                    .is_some_and(|a| a.chain_hash != c.chain_hash)
                {
                    findings.push(ChainFinding::Checkpoint {
                        chain_seq: c.chain_seq,
                        why: "the archived segment ends at another chain hash".into(),
                    });
                }
                continue;
            }
            match at_seq.get(&c.chain_seq) {
                Some(h) if h == &c.chain_hash => {}
                Some(_) => findings.push(ChainFinding::Checkpoint {
                    chain_seq: c.chain_seq,
                    why: "the chain hash differs from the signed one".into(),
                }),
                None => findings.push(ChainFinding::Checkpoint {
                    chain_seq: c.chain_seq,
                    why: "the chain no longer reaches it".into(),
                }),
            }
        }
        Ok(findings)
    }
}

/// The format of an archived segment of the access log.
pub const ARCHIVE_FORMAT: &str = "doorbraak.access_log.archive.v1";

/// The first line of an archived segment: which links it holds, the chain hash before its
/// first link, and the signed checkpoint its last link is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveHeader {
    pub format: String,
    pub from_seq: i64,
    pub up_to_seq: i64,
    pub prev_chain_hash: String,
    pub chain_hash: String,
    pub checkpoint_at: Timestamp,
    pub algorithm: String,
    pub certificate: String,
    pub signature: String,
}

/// One line of an archived segment after its header: a link and the row it seals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivedLink {
    pub chain_seq: i64,
    pub row_hash: String,
    pub chain_hash: String,
    pub entry: AccessEntry,
}

/// A segment ready to be archived: its header and its lines, and the JSON-lines text of it.
#[derive(Debug, Clone)]
pub struct ArchiveSegment {
    pub header: ArchiveHeader,
    pub links: Vec<ArchivedLink>,
}

impl ArchiveSegment {
    /// The segment as written to its file: the header, then one link per line.
    pub fn to_jsonl(&self) -> Result<String> {
        let mut out = canonical::to_string(&self.header)?;
        out.push('\n');
        for l in &self.links {
            out.push_str(&canonical::to_string(l)?);
            out.push('\n');
        }
        Ok(out)
    }

    /// Read a segment back; `None` when it is not one.
    pub fn from_jsonl(text: &str) -> Option<Self> {
        let mut lines = text.lines();
        let header: ArchiveHeader = serde_json::from_str(lines.next()?).ok()?;
        if header.format != ARCHIVE_FORMAT {
            return None;
        }
        let links = lines
            .map(serde_json::from_str::<ArchivedLink>)
            .collect::<std::result::Result<Vec<_>, _>>()
            .ok()?;
        Some(Self { header, links })
    }

    /// What is wrong with the segment itself: a row that no longer hashes as sealed, a link
    /// that does not follow on, an end that is not the checkpoint's hash.
    pub fn check(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut prev = self.header.prev_chain_hash.clone();
        let mut expected = self.header.from_seq;
        for l in &self.links {
            if row_hash(&l.entry).ok().as_deref() != Some(l.row_hash.as_str()) {
                out.push(format!(
                    "archived row {} (link {}) was changed after it was sealed",
                    l.entry.event_id, l.chain_seq
                ));
            }
            if l.chain_seq != expected || next_hash(&prev, &l.row_hash) != l.chain_hash {
                out.push(format!(
                    "the archived chain does not follow on at link {}",
                    l.chain_seq
                ));
            }
            prev = l.chain_hash.clone();
            expected = l.chain_seq + 1;
        }
        if expected != self.header.up_to_seq + 1 || prev != self.header.chain_hash {
            out.push(format!(
                "the archived segment does not end at its checkpoint (link {})",
                self.header.up_to_seq
            ));
        }
        out
    }
}

/// An archived segment as the database remembers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveRow {
    pub from_seq: i64,
    pub up_to_seq: i64,
    pub chain_hash: String,
    pub rows: i64,
    pub from: Timestamp,
    pub until: Timestamp,
    pub file: String,
    pub sha256: String,
    pub archived_at: Timestamp,
}

impl Store {
    /// The archived segments, oldest first.
    pub async fn access_archives(&self) -> Result<Vec<ArchiveRow>> {
        let rows = sqlx::query("SELECT * FROM access_archives ORDER BY up_to_seq")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ArchiveRow {
                    from_seq: r.try_get("from_seq")?,
                    up_to_seq: r.try_get("up_to_seq")?,
                    chain_hash: r.try_get("chain_hash")?,
                    rows: r.try_get("rows_archived")?,
                    from: from_ms(r.try_get("from_ms")?)?,
                    until: from_ms(r.try_get("until_ms")?)?,
                    file: r.try_get("file")?,
                    sha256: r.try_get("sha256")?,
                    archived_at: from_ms(r.try_get("archived_at_ms")?)?,
                })
            })
            .collect()
    }

    /// The next segment to archive: the links after the last archived one up to the newest
    /// checkpoint whose row is older than `before` (`None`: nothing that old is checkpointed).
    pub async fn archive_candidate(&self, before: Timestamp) -> Result<Option<ArchiveSegment>> {
        let last = self.access_archives().await?.pop();
        let (from_seq, prev) = last.as_ref().map_or((1, GENESIS.to_owned()), |a| {
            (a.up_to_seq + 1, a.chain_hash.clone())
        });
        let cp = sqlx::query(
            "SELECT k.* FROM access_checkpoints k JOIN access_chain c ON c.chain_seq = k.chain_seq \
             JOIN access_log a ON a.event_id = c.event_id \
             WHERE k.chain_seq >= $1 AND a.at_ms < $2 ORDER BY k.chain_seq DESC LIMIT 1",
        )
        .bind(from_seq)
        .bind(ms(before))
        .fetch_optional(&self.pool)
        .await?;
        let Some(cp) = cp else {
            return Ok(None);
        };
        let up_to: i64 = cp.try_get("chain_seq")?;
        let links = sqlx::query(
            "SELECT c.chain_seq, c.row_hash, c.chain_hash AS link_hash, a.* FROM access_chain c \
             JOIN access_log a ON a.event_id = c.event_id \
             WHERE c.chain_seq >= $1 AND c.chain_seq <= $2 ORDER BY c.chain_seq",
        )
        .bind(from_seq)
        .bind(up_to)
        .fetch_all(&self.pool)
        .await?;
        let links = links
            .iter()
            .map(|r| {
                Ok(ArchivedLink {
                    chain_seq: r.try_get("chain_seq")?,
                    row_hash: r.try_get("row_hash")?,
                    chain_hash: r.try_get("link_hash")?,
                    entry: access::access_entry(r)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(ArchiveSegment {
            header: ArchiveHeader {
                format: ARCHIVE_FORMAT.into(),
                from_seq,
                up_to_seq: up_to,
                prev_chain_hash: prev,
                chain_hash: cp.try_get("chain_hash")?,
                checkpoint_at: from_ms(cp.try_get("at_ms")?)?,
                algorithm: cp.try_get("algorithm")?,
                certificate: cp.try_get("certificate")?,
                signature: cp.try_get("signature")?,
            },
            links,
        }))
    }

    /// Record a segment as archived (its file written and synced first) and remove its rows
    /// and links from the database, in one transaction.
    pub async fn commit_archive(
        &self,
        seg: &ArchiveSegment,
        file: &str,
        sha256: &str,
        now: Timestamp,
    ) -> Result<()> {
        let h = &seg.header;
        let (first, last) = (seg.links.first(), seg.links.last());
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO access_archives (up_to_seq, from_seq, chain_hash, rows_archived, from_ms, \
             until_ms, file, sha256, archived_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(h.up_to_seq)
        .bind(h.from_seq)
        .bind(&h.chain_hash)
        .bind(i64::try_from(seg.links.len()).unwrap_or(i64::MAX))
        .bind(first.map_or(0, |l| ms(l.entry.at)))
        .bind(last.map_or(0, |l| ms(l.entry.at)))
        .bind(file)
        .bind(sha256)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM access_log WHERE event_id IN (SELECT event_id FROM access_chain \
             WHERE chain_seq >= $1 AND chain_seq <= $2)",
        )
        .bind(h.from_seq)
        .bind(h.up_to_seq)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM access_chain WHERE chain_seq >= $1 AND chain_seq <= $2")
            .bind(h.from_seq)
            .bind(h.up_to_seq)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

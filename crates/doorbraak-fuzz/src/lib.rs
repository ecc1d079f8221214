//! # doorbraak-fuzz
//!
//! What every fuzz target feeds outside bytes into, and the valid inputs the structure-aware
//! targets mutate. The targets are in `tests/fuzz.rs`: on the stable toolchain
//! `cargo test -p doorbraak-fuzz` runs each for `DOORBRAAK_FUZZ_MS` milliseconds (default
//! 2000: the bounded run in CI) with inputs drawn by `arbitrary` (arbtest); a failure prints
//! its seed, and `ARBTEST_SEED=0x…` replays it. The functions here take plain bytes, so the
//! same targets can be driven by libFuzzer (`cargo fuzz`, nightly) where that is installed.
//!
//! A target passes when nothing panics, and where an input decodes, what it decodes to holds
//! its invariants (canonical bytes decode back to the same value).
#![forbid(unsafe_code)]

use doorbraak_federation::crypto;
use doorbraak_federation::directory::SignedManifest;
use doorbraak_federation::identity::{CertificateSummary, PeerIdentity};
use doorbraak_federation::signing::MinutesBundle;
use doorbraak_model::{EscalationCommand, EscalationEvent, Event, MinutesCommand, MinutesEvent};
use doorbraak_proto::v1;
use prost::Message;

/// A gRPC request body of any of the federation's calls, and the events a delivery carries.
pub fn grpc_message(bytes: &[u8]) {
    if let Ok(d) = v1::DeliverRequest::decode(bytes) {
        for m in &d.messages {
            let _ = doorbraak_proto::from_wire::<EscalationEvent>(&m.events);
            let _ = doorbraak_proto::from_wire::<MinutesEvent>(&m.events);
            let _ = m.stream_kind.parse::<doorbraak_model::StreamKind>();
            let _ = uuid::Uuid::parse_str(&m.stream_id);
        }
    }
    if let Ok(r) = v1::CommandRequest::decode(bytes) {
        let _ = doorbraak_model::canonical::from_slice::<EscalationCommand>(&r.command);
        let _ = doorbraak_model::canonical::from_slice::<MinutesCommand>(&r.command);
        if let Some(p) = r.person {
            let _ = p.role.parse::<doorbraak_model::Role>();
        }
    }
    let _ = v1::FetchEventsRequest::decode(bytes);
    if let Ok(a) = v1::AggregatesRequest::decode(bytes) {
        let _ = a.from.parse::<jiff::Timestamp>();
        let _ = a.to.parse::<jiff::Timestamp>();
    }
    let _ = v1::DeliverResponse::decode(bytes);
    let _ = v1::CommandResponse::decode(bytes);
}

/// Canonical JSON of an event or a command, as stored and sent: what decodes, encodes to
/// canonical bytes that decode to the same value.
pub fn canonical(bytes: &[u8]) {
    use doorbraak_model::canonical::{from_slice, to_vec};
    fn round_trip<T>(bytes: &[u8])
    where
        T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        if let Ok(v) = from_slice::<T>(bytes) {
            let again = to_vec(&v).unwrap_or_else(|e| panic!("decoded but not encodable: {e}"));
            let back: T = from_slice(&again)
                .unwrap_or_else(|e| panic!("its canonical bytes do not decode: {e}"));
            assert_eq!(back, v, "a value changed in its round trip");
        }
    }
    round_trip::<Event<EscalationEvent>>(bytes);
    round_trip::<Event<MinutesEvent>>(bytes);
    round_trip::<EscalationCommand>(bytes);
    round_trip::<MinutesCommand>(bytes);
}

/// The operator a seed's manifest names: its own certificate's fingerprint (so that a mutated
/// manifest reaches the signature check rather than stopping at "not the operator").
pub const SEED_OPERATOR_FINGERPRINT: &str = "";

/// The fingerprint of the certificate a signed manifest carries, when `given` is empty.
fn operator_of(m: &SignedManifest, given: &str) -> String {
    use base64::Engine;
    if !given.is_empty() {
        return given.to_owned();
    }
    base64::engine::general_purpose::STANDARD
        .decode(&m.certificate)
        .map(|der| doorbraak_federation::identity::fingerprint(&der))
        .unwrap_or_default()
}

/// A directory manifest as read from a file or a URL (an empty `operator_fingerprint`: the
/// operator is the manifest's own certificate).
pub fn manifest(bytes: &[u8], operator_fingerprint: &str) {
    if let Ok(m) = serde_json::from_slice::<SignedManifest>(bytes) {
        let operator_fingerprint = operator_of(&m, operator_fingerprint);
        let _ = doorbraak_federation::directory::verify(&m, &operator_fingerprint);
        let _ = doorbraak_federation::directory::check_fresh(&m, jiff::Timestamp::now());
        let d = doorbraak_federation::Directory::from_signed(m);
        for member in d.members() {
            let _ = d.admits(&member.oin, "00", jiff::Timestamp::now());
        }
    }
}

/// A minutes bundle given to `doorbraak minutes verify` (an empty `operator_fingerprint`: the
/// operator of the bundle's first directory).
pub fn bundle(bytes: &[u8], anchors: &[Vec<u8>], operator_fingerprint: &str) {
    if let Ok(b) = serde_json::from_slice::<MinutesBundle>(bytes) {
        let operator = match b.directories.first() {
            Some(d) => operator_of(d, operator_fingerprint),
            None => operator_fingerprint.to_owned(),
        };
        let _ = doorbraak_federation::signing::verify_bundle(&b, anchors, &operator);
    }
}

/// A delivery as a member sends it, judged by a replica's acceptance
/// (`doorbraak_model::acceptance`) at Veilig Thuis from the local team: for a stream it does
/// not hold and for one it holds. A verdict or a refusal, never a panic; a verdict `Apply`
/// leaves a state that names the stream and has Veilig Thuis as a party.
pub fn replica_acceptance(bytes: &[u8]) {
    use doorbraak_model::acceptance::{Receipt, Receiver, Verdict, accept};
    use doorbraak_model::{Escalation, Oin, OrgKind, Streamed};
    let Ok(d) = v1::DeliverRequest::decode(bytes) else {
        return;
    };
    let oin = |s: &str| Oin::parse(s).ok();
    let (Some(lt), Some(vt), Some(gi)) = (
        oin("00000001000000000010"),
        oin("00000001000000000020"),
        oin("00000001000000000030"),
    ) else {
        return;
    };
    let members = |o: &Oin| {
        if o == &lt {
            Some(OrgKind::LocalTeam)
        } else if o == &vt {
            Some(OrgKind::VeiligThuis)
        } else if o == &gi {
            Some(OrgKind::CertifiedInstitution)
        } else {
            None
        }
    };
    let Ok(now) = "2030-01-01T00:00:00Z".parse::<jiff::Timestamp>() else {
        return;
    };
    let receiver = Receiver {
        me: &vt,
        now,
        max_skew: doorbraak_model::acceptance::DEFAULT_MAX_CLOCK_SKEW,
        members: &members,
    };
    for m in d.messages.iter().take(16) {
        let Ok(events) = doorbraak_proto::from_wire::<EscalationEvent>(&m.events) else {
            continue;
        };
        let receipt = Receipt {
            stream_id: &m.stream_id,
            events: &events,
        };
        for from in [&lt, &gi] {
            let held_ids: Vec<uuid::Uuid> = events.iter().map(|e| e.event_id).collect();
            for (state, version) in [(None::<Escalation>, 0i64), (None, 1)] {
                let got = accept::<Escalation, _>(
                    state,
                    version,
                    |seq| held_ids.get(usize::try_from(seq - 1).ok()?).copied(),
                    &receipt,
                    from,
                    &receiver,
                    |_, _, _| {},
                );
                if let Ok((Verdict::Apply { .. }, Some(after))) = got {
                    assert_eq!(after.stream_id(), m.stream_id, "applied under another id");
                    assert!(
                        Streamed::parties(&after).contains(&vt),
                        "applied without being a party"
                    );
                    assert_eq!(
                        &Streamed::home(&after),
                        from,
                        "applied from another than the home"
                    );
                }
            }
        }
    }
}

/// A certificate (DER) as a peer presents it or a signature carries it.
pub fn certificate(der: &[u8], anchors: &[Vec<u8>]) {
    let _ = PeerIdentity::from_der(der);
    let _ = CertificateSummary::from_der(der);
    let _ = doorbraak_federation::operator::listed(der);
    let _ = crypto::check_path(der, &[], anchors, jiff::Timestamp::now().as_second());
    for a in crypto::Algorithm::ALL {
        let _ = crypto::verify(a, der, b"bytes", b"signature");
    }
}

/// A CRL (DER), as fetched: the open connections are checked against it.
pub fn crl(der: &[u8], live: &doorbraak_federation::revocation::LiveConnections) {
    use x509_parser::prelude::FromDer;
    let _ = x509_parser::revocation_list::CertificateRevocationList::from_der(der);
    let list = [rustls::pki_types::CertificateRevocationListDer::from(
        der.to_vec(),
    )];
    let _ = live.close_revoked(&list);
}

/// PEM text: certificates, CRLs and keys as configured.
pub fn pem(text: &[u8]) {
    use rustls::pki_types::pem::PemObject;
    if let Ok(s) = std::str::from_utf8(text) {
        let _ = crypto::pem_certificates(s);
    }
    for c in rustls::pki_types::CertificateRevocationListDer::pem_slice_iter(text).take(64) {
        let _ = c;
    }
    let _ = rustls::pki_types::PrivateKeyDer::from_pem_slice(text);
}

/// `seed` with `edits` applied: each edit (position, byte) overwrites, inserts or deletes a
/// byte (chosen by the byte's low bits), so a valid input turns into nearly valid ones.
pub fn mutate(seed: &[u8], edits: &[(u16, u8)]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for (pos, b) in edits.iter().take(16) {
        if out.is_empty() {
            out.push(*b);
            continue;
        }
        let at = usize::from(*pos) % out.len();
        match b % 4 {
            0 => {
                out.remove(at);
            }
            1 => out.insert(at, *b),
            _ => out[at] = *b,
        }
    }
    out
}

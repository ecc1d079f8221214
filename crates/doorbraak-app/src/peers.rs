//! Calls to other nodes that are not a command: a stream's log from its home, and the figures
//! of the stagnation view (the client side of `FetchEvents` and `Aggregates`; the server side
//! is `crate::federation`). Forwarding a command is in `forward`.

use std::time::Duration;

use doorbraak_model::oversight::{NodeFigures, Period};
use doorbraak_model::{Oin, StreamKind, canonical};
use doorbraak_proto::v1;

use tonic::Status;

use super::{MAX_EVENTS, Node};

impl Node {
    /// The figures of `member`, or why there are none (in words for the alderman's "missing"
    /// list): not reachable, refused, no answer within `deadline`, or figures that do not parse.
    /// The returned future owns what it needs, so it can be spawned.
    pub fn ask_figures(
        &self,
        member: &Oin,
        deadline: Duration,
        period: Period,
    ) -> impl Future<Output = Result<NodeFigures, String>> + Send + 'static {
        let bound =
            |t: Option<doorbraak_model::Timestamp>| t.map(|t| t.to_string()).unwrap_or_default();
        let request = v1::AggregatesRequest {
            from: bound(period.from),
            to: bound(period.to),
        };
        let client = match self.federation.as_ref() {
            None => Err("this node has no federation".to_owned()),
            Some(f) => f.peers.client(member).map_err(|s| s.message().to_owned()),
        };
        async move {
            let mut client = client?;
            match tokio::time::timeout(deadline, client.aggregates(request)).await {
                Ok(Ok(r)) => canonical::from_slice::<NodeFigures>(&r.into_inner().figures)
                    .map_err(|e| format!("invalid figures: {e}")),
                Ok(Err(s)) => Err(format!("{:?}: {}", s.code(), s.message())),
                Err(_) => Err(format!("no answer within {} ms", deadline.as_millis())),
            }
        }
    }
}

/// Every event of a stream after `after` from `home`, page by page (each answer holds at most
/// [`MAX_EVENTS`]).
pub async fn fetch_all(
    node: &Node,
    home: &Oin,
    kind: StreamKind,
    id: &str,
    after: i64,
) -> Result<Vec<v1::StoredEvent>, Status> {
    let fed = node
        .federation
        .as_ref()
        .ok_or_else(|| Status::unavailable("no federation"))?;
    let mut client = fed.peers.client(home)?;
    let mut events: Vec<v1::StoredEvent> = Vec::new();
    let mut after = after;
    loop {
        let page = client
            .fetch_events(v1::FetchEventsRequest {
                stream_kind: kind.code().to_owned(),
                stream_id: id.to_owned(),
                after_seq: after,
            })
            .await?
            .into_inner()
            .events;
        let n = page.len();
        after = page.last().map_or(after, |e| e.seq);
        events.extend(page);
        if n < MAX_EVENTS || events.len() > 1_000_000 {
            return Ok(events);
        }
    }
}

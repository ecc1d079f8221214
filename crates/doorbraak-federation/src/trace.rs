//! One trace across nodes: the W3C `traceparent` of the request being served, kept in a
//! task-local while it is served, read from HTTP headers and gRPC metadata alike (both are HTTP
//! headers) by [`TraceLayer`], and sent along on every federation call the task makes
//! ([`with_traceparent`]). Its trace id is written into the access log.

use std::task::{Context, Poll};

/// A W3C trace context: trace id (32 hex), this span's id (16 hex), and the span of the caller
/// it came from (16 hex), if it came with one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    pub trace_id: String,
    pub span_id: String,
    pub parent_span_id: Option<String>,
}

tokio::task_local! {
    static CURRENT: TraceContext;
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && s.bytes().any(|b| b != b'0')
}

impl TraceContext {
    /// A new trace (this node starts it).
    pub fn new_root() -> Self {
        let t: u128 = rand::random();
        let s: u64 = rand::random();
        Self {
            trace_id: format!("{:032x}", t.max(1)),
            span_id: format!("{:016x}", s.max(1)),
            parent_span_id: None,
        }
    }

    /// Parse `traceparent` (`00-<trace id>-<parent id>-<flags>`); anything else is `None`.
    pub fn parse(header: &str) -> Option<Self> {
        let mut parts = header.trim().split('-');
        let (version, trace, span, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if version != "00" || parts.next().is_some() || !is_hex(flags, 2) && flags != "00" {
            return None;
        }
        (is_hex(trace, 32) && is_hex(span, 16)).then(|| Self {
            trace_id: trace.to_owned(),
            span_id: span.to_owned(),
            parent_span_id: None,
        })
    }

    /// This trace with a new span of this node, whose parent is this one.
    pub fn child(&self) -> Self {
        let s: u64 = rand::random();
        Self {
            trace_id: self.trace_id.clone(),
            span_id: format!("{:016x}", s.max(1)),
            parent_span_id: Some(self.span_id.clone()),
        }
    }

    pub fn header(&self) -> String {
        format!("00-{}-{}-01", self.trace_id, self.span_id)
    }
}

/// The trace of the request this task serves, if any.
pub fn current() -> Option<TraceContext> {
    CURRENT.try_with(Clone::clone).ok()
}

/// The trace id of the request this task serves, if any.
pub fn current_trace_id() -> Option<String> {
    current().map(|t| t.trace_id)
}

/// Add the current trace (as a child span) to an outgoing gRPC request.
pub fn with_traceparent<T>(mut req: tonic::Request<T>) -> tonic::Request<T> {
    if let Some(t) = current()
        && let Ok(v) = t.child().header().parse()
    {
        req.metadata_mut().insert("traceparent", v);
    }
    req
}

/// A tower layer that serves each request inside its trace: the incoming `traceparent`
/// header's (as a child span), or a new one.
#[derive(Debug, Clone, Copy, Default)]
pub struct TraceLayer;

impl<S> tower::Layer<S> for TraceLayer {
    type Service = TraceService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        TraceService { inner }
    }
}

#[derive(Debug, Clone)]
pub struct TraceService<S> {
    inner: S,
}

impl<S, B> tower::Service<http::Request<B>> for TraceService<S>
where
    S: tower::Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = tokio::task::futures::TaskLocalFuture<TraceContext, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let ctx = req
            .headers()
            .get("traceparent")
            .and_then(|v| v.to_str().ok())
            .and_then(TraceContext::parse)
            .map_or_else(TraceContext::new_root, |t| t.child());
        // the inner call itself (where a span for the request is made) runs in the trace too
        let fut = CURRENT.sync_scope(ctx.clone(), || self.inner.call(req));
        CURRENT.scope(ctx, fut)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_traceparent_is_read_as_w3c_writes_it_and_anything_else_is_refused() {
        let t = TraceContext::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
            .unwrap_or_else(|| panic!("valid"));
        assert_eq!(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(t.child().trace_id, t.trace_id);
        assert_ne!(t.child().span_id, t.span_id);
        assert_eq!(
            t.child().parent_span_id.as_deref(),
            Some("00f067aa0ba902b7")
        );
        assert_eq!(TraceContext::parse(&t.header()), Some(t));
        for bad in [
            "",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",
        ] {
            assert_eq!(TraceContext::parse(bad), None, "{bad}");
        }
    }
}

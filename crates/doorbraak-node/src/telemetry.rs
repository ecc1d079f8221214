//! OpenTelemetry: the spans a node exports over OTLP (when `[telemetry] otlp_endpoint` is set;
//! the exporter itself is set up by the binary) belong to the request's W3C trace, the same
//! trace id as in the `traceparent` the request came with, the log lines and the access log.

use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Make `span` a child of the current request's trace (its caller's span, where the request
/// came with a `traceparent`). Without an OpenTelemetry layer this does nothing.
pub fn link(span: &tracing::Span) {
    let Some(t) = doorbraak_federation::trace::current() else {
        return;
    };
    let parent = t.parent_span_id.as_deref().unwrap_or(&t.span_id);
    let (Ok(trace_id), Ok(span_id)) = (TraceId::from_hex(&t.trace_id), SpanId::from_hex(parent))
    else {
        return;
    };
    let remote = SpanContext::new(
        trace_id,
        span_id,
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    );
    // no OpenTelemetry layer in this process: nothing to link
    let _ = span.set_parent(opentelemetry::Context::new().with_remote_span_context(remote));
}

/// The span of one HTTP request, in its trace.
pub fn http_span<B>(req: &http::Request<B>) -> tracing::Span {
    let span = tracing::info_span!(
        "http",
        otel.name = %format!("{} {}", req.method(), req.uri().path()),
        method = %req.method(),
        path = %req.uri().path(),
        trace_id = doorbraak_federation::trace::current_trace_id().unwrap_or_default(),
    );
    link(&span);
    span
}

/// The span of one gRPC call another node made here, in its trace.
pub fn grpc_span<B>(req: &http::Request<B>) -> tracing::Span {
    let span = tracing::info_span!(
        "grpc",
        otel.name = %req.uri().path(),
        path = %req.uri().path(),
        trace_id = doorbraak_federation::trace::current_trace_id().unwrap_or_default(),
    );
    link(&span);
    span
}

"""Schemathesis hooks for a Doorbraak node (see crates/doorbraak/tests/openapi.rs).

A client uses a fresh Idempotency-Key for every operation; the same key for another operation
is refused (422 input.idempotency_key_reused), as the idempotency draft prescribes. Generated
test cases draw keys from a small space and would reuse them across operations, so a valid key
gets a unique suffix just before it is sent. A key that breaks the documented pattern is left
as it is, so the node's refusal of malformed keys is still tested.
"""

import itertools
import re

import schemathesis

_VALID = re.compile(r"^[!-~]{1,128}$")
_counter = itertools.count()


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key":
            key = headers[name]
            if isinstance(key, str) and _VALID.match(key):
                headers[name] = f"{key[:100]}-{next(_counter)}"


@schemathesis.hook("filter_query").apply_to(path="/api/v1/oversight/stagnation")
def period_in_order(ctx, query):
    """OpenAPI cannot say that a period ends on or after the day it starts. The node refuses a
    period that ends before it starts with 422 (input.invalid_field, naming `period.to`), which
    tests/oversight.rs checks; generated queries with such a period are left out here."""
    if not isinstance(query, dict):
        return True
    start, end = query.get("from"), query.get("to")
    return not (isinstance(start, str) and isinstance(end, str) and end < start)


_LISTS = {"/api/v1/escalations", "/api/v1/kwesties", "/api/v1/meetings", "/api/v1/recommendations"}


@schemathesis.hook("before_call")
def cursor_from_a_link(ctx, case, **kwargs):
    """A list's `cursor` is opaque: only the one in a page's `Link: <…>; rel="next"` header is
    valid, and any other is refused with 422 (input.invalid_field, naming `cursor`), which
    tests/node_api.rs checks. A generated cursor is never one the node made, so it is taken out
    of the query just before the call (in every phase, the coverage phase's too)."""
    if case.path in _LISTS and isinstance(case.query, dict):
        case.query.pop("cursor", None)

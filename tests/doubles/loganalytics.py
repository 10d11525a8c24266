#!/usr/bin/env python3
"""Strict local double of the Azure Monitor Logs Ingestion API and of the App Service
managed-identity token endpoint, for aad-ingest's end-to-end tests.

Usage (both endpoints are served on one port of 127.0.0.1):

    python3 tests/doubles/loganalytics.py --template <ARM template JSON> \
        --dcr <immutable-id> [--dcr <immutable-id> ...] --identity-header <secret> \
        [--port 0] [--token-lifetime 3600] [--exit-with-stdin] [--verbose]

Once ready it prints exactly one line, ``listening <port>``, to stdout and then serves until
killed. Nothing else is written to stdout; stderr is silent unless --verbose is given (so a
parent that pipes stderr and never reads it cannot block the double). With
--exit-with-stdin the double exits when its stdin reaches EOF, so it dies with a parent that
spawned it with a piped stdin.

The contract
------------
Every resource of type ``Microsoft.Insights/dataCollectionRules`` of the template (top-level
``resources``, in template order) gets the i-th ``--dcr`` immutable id. A stream is accepted on
a DCR only if it is declared in ``properties.streamDeclarations`` AND listed by one of that
DCR's ``properties.dataFlows[].streams``. A data flow whose ``outputStream`` is
``Microsoft-<table>`` must name a built-in table the double knows (``builtin_tables.py``: the
ASIM tables, their columns from the Azure Monitor table reference) with transformKql ``source``,
and each of its streams' columns must be a column of that table of the same type; otherwise the
template is refused at start.

Sources of each rule (reference docs in /work/shared/reference/):
  P = peers-and-log-analytics.md §3, L = lakehouse-sentinel-keda.md §5,
  S = azure_identity 1.1.0-beta.1 (the crate in Cargo.lock), files
      app_service_managed_identity_credential.rs and imds_managed_identity_credential.rs.

Token endpoint, ``GET /msi/token`` (S):
  api-version=2019-08-01, resource=https://monitor.azure.com[/] (P §3.2: the public-cloud
  audience; azure_identity sends the scope minus "/.default", so the SDK scope
  "https://monitor.azure.com//.default" arrives as "https://monitor.azure.com/"), optional
  client_id (or object_id / principal_id / msi_res_id / mi_res_id, at most one), headers
  ``x-identity-header: <secret>`` and ``metadata: true``. 200 returns a fresh random token with
  ``expires_on`` as a string of unix seconds (S parses it as a string). Anything else:
  400 {"error": "invalid_request", "error_description": ...}, counted as token_refused.
  Note: azure_identity's TokenCache refreshes a token 300 s before it expires, so with
  --token-lifetime <= 300 the client fetches a new token for every request.

Ingestion endpoint, ``POST /dataCollectionRules/{id}/streams/{stream}`` (P §3.1), checked in
this order; errors are {"error": {"code", "message"}} plus header x-ms-error-code (L):
  1. injected faults (control API), first matching one in FIFO order, one per request;
     then fail_always.
  2. Authorization: Bearer <token issued here, not expired> (P §3.2)
       else 401 InvalidAuthenticationToken.
  3. api-version exactly 2023-01-01 (P §3.1)            else 400 InvalidApiVersion.
  4. known DCR immutable id                              else 404 NotFound;
     stream declared and in a data flow of that DCR     else 404 InvalidStream.
  5. Content-Type application/json (P §3.3)              else 415 UnsupportedMediaType.
  6. raw body <= 1,048,576 bytes; Content-Encoding gzip (or none/identity) is decompressed and
     the decompressed body <= 1,048,576 bytes too (P §3.4, L: "1 MB, for both compressed and
     uncompressed data")  else 413 ContentLengthLimitExceeded
     "Maximum allowed content length: 1048576 bytes (1 MB)"; bad gzip or another encoding
     -> 400 InvalidContentEncoding.
  7. UTF-8 JSON (no BOM, no NaN/Infinity) that is an array of objects (P §3.3)
       else 400 InvalidPayload.
  8. declared columns type-checked (null always allowed); undeclared keys are silently dropped
     from the stored row and counted (P §3.3: "undeclared properties are silently dropped")
       else 400 InvalidPayload naming row, column and expected type.
     datetime: string "YYYY-MM-DDThh:mm:ss[.f{1,7}](Z|±hh:mm)" that is a real date/time
     (a time zone is required: a zoneless timestamp is ambiguous); int: JSON integer in the
     32-bit range; long: JSON integer in the 64-bit range; real: JSON number; boolean/bool:
     JSON true/false; string/guid: JSON string; dynamic: anything. Column names match
     case-sensitively.
  9. 204 No Content (P §3.3); rows stored in arrival order per (DCR, stream). A request either
     stores all its rows or none.
  Bodies are always read in full before answering (Content-Length required: chunked without
  a length -> 411 and the connection is closed; a POST with neither -> 411), so a 413 leaves
  a keep-alive connection usable. Unknown paths -> 404 NotFound.

Control API (no auth):
  POST /_control/inject       {"status": 429, "count": 3, "retry_after": 1, "stream": "Custom-X",
                               "delay_ms": 0, "code": ..., "message": ...}
                              status and/or delay_ms; count defaults to 1. -> 200 {"pending": n}
  POST /_control/fail_always  {"status": 401, "retry_after": ..., "stream": ...} -> 200
  POST /_control/clear        drop pending injections and fail_always (rows stay) -> 200
  POST /_control/reset        clear + drop rows, stats and the request log (tokens stay) -> 200
  POST /_control/expire_tokens  every token issued so far is now expired -> 200
  GET  /_control/rows?stream=Custom-X[&dcr=<id>]  stored rows of that stream, arrival order
  GET  /_control/stats        counters (see State.stats)
  GET  /_control/requests     one record per ingestion request (see handle_ingest)
"""

import argparse
import datetime
import json
import os
import re
import secrets
import sys
import threading
import time
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from builtin_tables import BUILTIN_TABLES  # noqa: E402

MAX_BODY_BYTES = 1_048_576
TOO_LARGE_MESSAGE = "Maximum allowed content length: 1048576 bytes (1 MB)"
INGEST_API_VERSION = "2023-01-01"
MSI_API_VERSION = "2019-08-01"
MONITOR_RESOURCES = ("https://monitor.azure.com", "https://monitor.azure.com/")
DEFAULT_CLIENT_ID = "00000000-0000-0000-0000-000000000001"
IDENTITY_PARAMS = ("client_id", "object_id", "principal_id", "msi_res_id", "mi_res_id")
DCR_TYPE = "microsoft.insights/datacollectionrules"
COLUMN_TYPES = {
    "string": "string", "int": "int", "long": "long", "real": "real", "boolean": "boolean",
    "bool": "boolean", "datetime": "datetime", "dynamic": "dynamic", "guid": "guid",
}
# Counting a gzip body's decompressed size stops here (protection against gzip bombs).
MAX_COUNTED_DECOMPRESSED = 256 * 1024 * 1024

# Error code and message for each status the control API can inject.
INJECTED_ERRORS = {
    400: ("BadRequest", "Injected bad request."),
    401: ("InvalidAuthenticationToken", "The access token is missing, invalid or expired."),
    403: ("Forbidden", "The principal does not have the Monitoring Metrics Publisher role"),
    404: ("NotFound", "The requested resource was not found."),
    408: ("RequestTimeout", "The request timed out."),
    413: ("ContentLengthLimitExceeded", TOO_LARGE_MESSAGE),
    429: ("TooManyRequests", "Too many requests. Retry after the Retry-After interval."),
    500: ("InternalServerError", "An internal server error occurred."),
    502: ("BadGateway", "Bad gateway."),
    503: ("ServiceUnavailable", "The service is temporarily unavailable."),
    504: ("GatewayTimeout", "Gateway timeout."),
}


class ApiError(Exception):
    """An error response in the service's shape: {"error": {"code", "message"}}."""

    def __init__(self, status, code, message, headers=()):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.headers = status, code, message, list(headers)


class ContractError(Exception):
    """The template or the --dcr ids cannot be used."""


# --------------------------------------------------------------------------------------------
# The contract: template -> {dcr immutable id: {stream: {column: type}}}
# --------------------------------------------------------------------------------------------

def load_contract(template, dcr_ids):
    resources = template.get("resources") if isinstance(template, dict) else None
    if isinstance(resources, dict):  # languageVersion 2.0 symbolic names
        resources = list(resources.values())
    if not isinstance(resources, list):
        raise ContractError("template has no 'resources' array")
    dcrs = [r for r in resources
            if isinstance(r, dict) and str(r.get("type", "")).lower() == DCR_TYPE]
    if len(dcrs) != len(dcr_ids):
        raise ContractError(f"template has {len(dcrs)} Microsoft.Insights/dataCollectionRules "
                            f"resources but {len(dcr_ids)} --dcr ids were given")
    if len(set(dcr_ids)) != len(dcr_ids):
        raise ContractError("the --dcr ids are not distinct")
    return {dcr_id: load_dcr(resource) for dcr_id, resource in zip(dcr_ids, dcrs)}


def load_dcr(resource):
    name = resource.get("name", "?")
    props = resource.get("properties") or {}
    declarations = props.get("streamDeclarations") or {}
    flows = props.get("dataFlows") or []
    if not isinstance(declarations, dict) or not isinstance(flows, list):
        raise ContractError(f"DCR {name}: streamDeclarations must be an object, "
                            "dataFlows an array")
    in_flows = {s for flow in flows if isinstance(flow, dict) for s in flow.get("streams") or []}
    outputs = {}  # stream -> built-in table it flows into
    for flow in flows:
        output = str((flow or {}).get("outputStream", ""))
        if output.startswith("Microsoft-"):
            table = output[len("Microsoft-"):]
            if table not in BUILTIN_TABLES:
                raise ContractError(f"DCR {name}: output stream {output} is not a built-in table "
                                    "the Logs Ingestion API can write")
            if flow.get("transformKql", "source").strip() != "source":
                raise ContractError(f"DCR {name}: only transformKql 'source' is modelled")
            for s in flow.get("streams") or []:
                outputs[s] = table
    streams = {}
    for stream, declaration in declarations.items():
        columns = (declaration or {}).get("columns")
        if not isinstance(columns, list):
            raise ContractError(f"DCR {name}: stream {stream} has no 'columns' array")
        typed = {}
        for column in columns:
            col, kind = column.get("name"), str(column.get("type", "")).lower()
            if not isinstance(col, str) or kind not in COLUMN_TYPES:
                raise ContractError(f"DCR {name}: stream {stream}: bad column {column!r}")
            if col in typed:
                raise ContractError(f"DCR {name}: stream {stream}: column {col} declared twice")
            typed[col] = COLUMN_TYPES[kind]
        table = outputs.get(stream)
        if table is not None:
            # transformKql 'source' into a built-in table: every column of the stream must be
            # a column of the table, of the same type.
            known = BUILTIN_TABLES[table]
            for col, kind in typed.items():
                if col not in known:
                    raise ContractError(f"DCR {name}: stream {stream}: column {col} is not a "
                                        f"column of {table}")
                if COLUMN_TYPES[known[col]] != kind:
                    raise ContractError(f"DCR {name}: stream {stream}: column {col} is {kind} "
                                        f"but {table}.{col} is {known[col]}")
        if stream in in_flows:
            streams[stream] = typed
    return streams


# --------------------------------------------------------------------------------------------
# Shared state (one lock)
# --------------------------------------------------------------------------------------------

class State:
    def __init__(self, contract, identity_header, token_lifetime):
        self.lock = threading.Lock()
        self.contract = contract
        self.identity_header = identity_header
        self.token_lifetime = token_lifetime
        self.tokens = {}  # access token -> expiry (unix seconds); kept by reset()
        self.injections = []  # FIFO of dicts with a remaining "count"
        self.fail_always = None
        self.reset()

    def reset(self):
        """Forget rows, the request log and every counter (not tokens nor injections)."""
        self.token_issued = 0
        self.token_refused = 0
        self.rows = {}  # (dcr, stream) -> [row]
        self.rows_order = []  # (dcr, stream, row) in arrival order across DCRs
        self.requests = []
        self.by_status = {}
        self.by_code = {}
        self.max_body_bytes = 0
        self.max_decompressed_bytes = 0
        self.missing_client_request_id = 0
        self.undeclared = {}
        self.injected = 0
        self.empty_batches = 0

    def take_injection(self, stream):
        """Rule 1: the first pending injection that applies to this stream, consumed once."""
        with self.lock:
            taken = None
            for i, fault in enumerate(self.injections):
                if fault["stream"] is None or fault["stream"] == stream:
                    fault["count"] -= 1
                    if fault["count"] <= 0:
                        del self.injections[i]
                    taken = dict(fault)
                    break
            failing = self.fail_always and self.fail_always["stream"] in (None, stream)
            if failing and not (taken and taken["status"]):
                # fail_always answers every request a queued status fault does not
                taken = dict(self.fail_always, delay_ms=taken["delay_ms"] if taken else 0)
            if taken:
                self.injected += 1
            return taken

    def issue_token(self):
        token = "la-double." + secrets.token_urlsafe(32)
        expires_on = int(time.time()) + self.token_lifetime
        with self.lock:
            self.tokens[token] = expires_on
            self.token_issued += 1
        return token, expires_on

    def token_expiry(self, token):
        with self.lock:
            return self.tokens.get(token)

    def store(self, dcr, stream, rows, undeclared):
        with self.lock:
            self.rows.setdefault((dcr, stream), []).extend(rows)
            self.rows_order.extend((dcr, stream, row) for row in rows)
            counts = self.undeclared.setdefault(stream, {}) if undeclared else None
            for column, n in undeclared.items():
                counts[column] = counts.get(column, 0) + n
            if not rows:
                self.empty_batches += 1

    def record(self, rec):
        with self.lock:
            self.requests.append(rec)
            status = str(rec["status"])
            self.by_status[status] = self.by_status.get(status, 0) + 1
            if rec["error_code"]:
                self.by_code[rec["error_code"]] = self.by_code.get(rec["error_code"], 0) + 1
            self.max_body_bytes = max(self.max_body_bytes, rec["body_bytes"] or 0)
            self.max_decompressed_bytes = max(self.max_decompressed_bytes,
                                              rec["decompressed_bytes"] or 0)
            if rec["client_request_id"] is None:
                self.missing_client_request_id += 1

    def stats(self):
        with self.lock:
            rows = {}
            for (_, stream), stored in self.rows.items():
                rows[stream] = rows.get(stream, 0) + len(stored)
            return {
                "requests": len(self.requests),
                "by_status": dict(self.by_status),
                "by_code": dict(self.by_code),
                "max_body_bytes": self.max_body_bytes,
                "max_decompressed_bytes": self.max_decompressed_bytes,
                "missing_client_request_id": self.missing_client_request_id,
                "undeclared_columns": {s: dict(c) for s, c in self.undeclared.items()},
                "token_issued": self.token_issued,
                "token_refused": self.token_refused,
                "rows": rows,
                "empty_batches": self.empty_batches,
                "injected": self.injected,
                "pending_injections": sum(f["count"] for f in self.injections),
                "fail_always": self.fail_always["status"] if self.fail_always else None,
            }


# --------------------------------------------------------------------------------------------
# Token endpoint checks
# --------------------------------------------------------------------------------------------

def token_request_problem(state, query, headers):
    """None if this is what azure_identity's App Service credential sends, else the reason."""
    if query.get("api-version") != [MSI_API_VERSION]:
        return f"api-version must be {MSI_API_VERSION}"
    if len(query.get("resource", [])) != 1 or query["resource"][0] not in MONITOR_RESOURCES:
        return f"resource must be one of {MONITOR_RESOURCES}"
    unknown = set(query) - {"api-version", "resource", *IDENTITY_PARAMS}
    if unknown:
        return f"unknown query parameters {sorted(unknown)}"
    if sum(len(query.get(p, [])) for p in IDENTITY_PARAMS) > 1:
        return "at most one of client_id/object_id/msi_res_id may be given"
    if headers.get("x-identity-header") != state.identity_header:
        return "x-identity-header is missing or wrong"
    if (headers.get("metadata") or "").lower() != "true":
        return "metadata: true header is missing"
    return None


# --------------------------------------------------------------------------------------------
# Ingestion checks, one function per rule, in the order they apply
# --------------------------------------------------------------------------------------------

def injected_error(fault):
    """Rule 1: the response an injected fault (or fail_always) stands for."""
    code, message = INJECTED_ERRORS.get(fault["status"], ("InjectedFault", "Injected fault."))
    headers = []
    if fault.get("retry_after") is not None:
        headers.append(("Retry-After", str(fault["retry_after"])))
    if fault["status"] == 401:
        headers.append(("WWW-Authenticate", 'Bearer error="invalid_token"'))
    return ApiError(fault["status"], fault.get("code") or code,
                    fault.get("message") or message, headers)


def check_token(state, headers):
    """Rule 2: a bearer token this double issued and that has not expired."""
    def refuse(message):
        return ApiError(401, "InvalidAuthenticationToken", message,
                        [("WWW-Authenticate", 'Bearer error="invalid_token"')])
    authorization = headers.get("authorization")
    if not authorization:
        raise refuse("The Authorization header is missing.")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise refuse("The Authorization header is not a Bearer token.")
    expiry = state.token_expiry(token.strip())
    if expiry is None:
        raise refuse("The access token is unknown (not issued by this token endpoint).")
    if expiry <= time.time():
        raise refuse(f"The access token expired at {expiry} (unix seconds).")


def check_api_version(query):
    """Rule 3: api-version exactly 2023-01-01."""
    versions = query.get("api-version", [])
    if versions != [INGEST_API_VERSION]:
        shown = ",".join(versions) if versions else "(missing)"
        raise ApiError(400, "InvalidApiVersion",
                       f"The api-version '{shown}' is invalid. "
                       f"The supported version is '{INGEST_API_VERSION}'.")


def check_route(contract, dcr, stream):
    """Rule 4: a known DCR, and a stream declared and routed by a data flow there."""
    if dcr not in contract:
        raise ApiError(404, "NotFound", f"Data collection rule with immutable Id '{dcr}' not found.")
    columns = contract[dcr].get(stream)
    if columns is None:
        raise ApiError(404, "InvalidStream", f"Stream '{stream}' not found in data collection rule")
    return columns


def check_content_type(headers):
    """Rule 5: Content-Type application/json."""
    content_type = headers.get("content-type") or ""
    if not content_type.strip().lower().startswith("application/json"):
        raise ApiError(415, "UnsupportedMediaType",
                       f"Unsupported Content-Type '{content_type}'; expected application/json.")


def decode_body(raw, raw_len, headers, rec):
    """Rule 6: 1 MB limit on the raw body, then gunzip, then 1 MB on the decompressed body."""
    if raw is None or raw_len > MAX_BODY_BYTES:
        raise ApiError(413, "ContentLengthLimitExceeded", TOO_LARGE_MESSAGE)
    encoding = (headers.get("content-encoding") or "").strip().lower()
    if encoding in ("", "identity"):
        rec["decompressed_bytes"] = raw_len
        return raw
    if encoding != "gzip":
        raise ApiError(400, "InvalidContentEncoding",
                       f"Unsupported Content-Encoding '{encoding}'; only gzip is supported.")
    try:
        body, total = gunzip(raw, MAX_BODY_BYTES)
    except (zlib.error, ValueError) as e:
        raise ApiError(400, "InvalidContentEncoding", f"The body is not valid gzip: {e}")
    rec["decompressed_bytes"] = total
    if total > MAX_BODY_BYTES:
        raise ApiError(413, "ContentLengthLimitExceeded", TOO_LARGE_MESSAGE)
    return body


def gunzip(data, keep):
    """Decompress every gzip member of data; keep at most keep+1 bytes, count the total."""
    if not data:
        raise ValueError("empty body")
    out, total, rest = bytearray(), 0, data
    while rest:
        d, pending = zlib.decompressobj(16 + zlib.MAX_WBITS), rest
        while not d.eof:
            chunk = d.decompress(pending, 1 << 20)
            pending = d.unconsumed_tail
            if not chunk and not pending:
                raise ValueError("truncated gzip stream")
            total += len(chunk)
            if len(out) <= keep:
                out += chunk[: keep + 1 - len(out)]
            if total > MAX_COUNTED_DECOMPRESSED:
                return bytes(out), total
        rest = d.unused_data
    return bytes(out), total


def parse_payload(body):
    """Rule 7: UTF-8 JSON (strict), an array of objects."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ApiError(400, "InvalidPayload", f"The body is not valid UTF-8: {e}")
    try:
        items = json.loads(text, parse_constant=reject_constant)
    except ValueError as e:
        raise ApiError(400, "InvalidPayload", f"The body is not valid JSON: {e}")
    if not isinstance(items, list):
        raise ApiError(400, "InvalidPayload",
                       f"The body must be a JSON array of objects, not {json_kind(items)}.")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ApiError(400, "InvalidPayload",
                           f"Item {i} of the array is {json_kind(item)}, not an object.")
    return items


def reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def check_rows(items, columns):
    """Rule 8: declared columns type-checked; undeclared keys dropped and counted."""
    rows, undeclared = [], {}
    for i, item in enumerate(items):
        row = {}
        for key, value in item.items():
            kind = columns.get(key)
            if kind is None:
                undeclared[key] = undeclared.get(key, 0) + 1
                continue
            if value is not None and not VALUE_CHECKS[kind](value):
                raise ApiError(400, "InvalidPayload",
                               f"Row {i}: column '{key}' expects {kind}, got "
                               f"{json_kind(value)} {preview(value)}.")
            row[key] = value
        rows.append(row)
    return rows, undeclared


DATETIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?"
                      r"(Z|[+-](\d{2}):(\d{2}))")


def is_datetime(v):
    m = isinstance(v, str) and DATETIME.fullmatch(v)
    if not m:
        return False
    y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
    try:
        datetime.datetime(y, mo, d, h, mi, s)
    except ValueError:
        return False
    return m.group(8) == "Z" or (int(m.group(9)) <= 23 and int(m.group(10)) <= 59)


def is_integer(v, bits):
    return type(v) is int and -(1 << (bits - 1)) <= v < (1 << (bits - 1))


VALUE_CHECKS = {
    "string": lambda v: isinstance(v, str),
    "guid": lambda v: isinstance(v, str),
    "int": lambda v: is_integer(v, 32),
    "long": lambda v: is_integer(v, 64),
    "real": lambda v: type(v) in (int, float),
    "boolean": lambda v: type(v) is bool,
    "datetime": is_datetime,
    "dynamic": lambda v: True,
}


def json_kind(v):
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            int: "an integer", float: "a number", type(None): "null"}[type(v)]


def preview(v):
    text = json.dumps(v)
    return text if len(text) <= 60 else text[:57] + "..."


# --------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as reqwest expects
    server_version = "loganalytics-double/1"
    sys_version = ""

    def log_message(self, fmt, *args):
        if self.server.verbose:
            super().log_message(fmt, *args)

    # ---- plumbing ------------------------------------------------------------------------

    def read_body(self):
        """Read the whole body (Content-Length only), keeping at most MAX_BODY_BYTES of it.

        Returns (body, length); body is None when longer than MAX_BODY_BYTES. Raises ApiError
        (411/400) when the length is unknown; the connection is then closed if a body may
        follow that cannot be skipped."""
        length = self.headers.get("content-length")
        if self.headers.get("transfer-encoding"):
            self.close_connection = True
            if length is None:
                raise ApiError(411, "LengthRequired",
                               "Chunked bodies are not accepted; send Content-Length.")
            raise ApiError(400, "BadRequest", "Both Content-Length and Transfer-Encoding sent.")
        if length is None:
            if self.command == "POST":
                raise ApiError(411, "LengthRequired", "Content-Length is required.")
            return b"", 0
        try:
            length = int(length)
            if length < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            raise ApiError(400, "BadRequest", "Invalid Content-Length.")
        kept, remaining = bytearray(), length
        while remaining:
            chunk = self.rfile.read(min(remaining, 1 << 16))
            if not chunk:
                self.close_connection = True
                break
            remaining -= len(chunk)
            if length <= MAX_BODY_BYTES:
                kept += chunk
        return (bytes(kept) if length <= MAX_BODY_BYTES else None), length

    def send_json(self, status, obj, headers=()):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def send_error_json(self, err):
        self.send_json(err.status, {"error": {"code": err.code, "message": err.message}},
                       [("x-ms-error-code", err.code)] + err.headers)

    def send_no_content(self, headers=()):
        self.send_response(204)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()

    # ---- dispatch ------------------------------------------------------------------------

    def body_or_error(self, url):
        """read_body, answering (and, outside the control API, recording) a refusal."""
        try:
            return self.read_body()
        except ApiError as err:
            if not url.path.startswith("/_control/") and url.path != "/msi/token":
                self.server.state.record(self.new_record(None, None, 0, err.status, err.code))
            self.send_error_json(err)
            return None

    def do_GET(self):
        url = urlsplit(self.path)
        if self.body_or_error(url) is None:
            return
        query = parse_qs(url.query, keep_blank_values=True)
        state = self.server.state
        if url.path == "/msi/token":
            return self.handle_token(query)
        if url.path == "/_control/stats":
            return self.send_json(200, state.stats())
        if url.path == "/_control/requests":
            with state.lock:
                return self.send_json(200, list(state.requests))
        if url.path == "/_control/rows":
            return self.handle_rows(query)
        self.handle_other(url)

    def do_POST(self):
        url = urlsplit(self.path)
        body = self.body_or_error(url)
        if body is None:
            return
        raw, raw_len = body
        if url.path.startswith("/_control/"):
            return self.handle_control(url.path, raw)
        parts = url.path.split("/")
        if len(parts) == 5 and parts[:2] == ["", "dataCollectionRules"] and parts[3] == "streams":
            return self.handle_ingest(url, unquote(parts[2]), unquote(parts[4]), raw, raw_len)
        self.handle_other(url, raw_len)

    def handle_other(self, url, raw_len=0):
        """Anything else outside /_control/ and /msi/token: 404, counted as a request."""
        err = ApiError(404, "NotFound", f"No route for {self.command} {url.path}.")
        # Recorded before the answer leaves, as every other refusal is (see handle_ingest).
        self.server.state.record(self.new_record(None, None, raw_len, err.status, err.code))
        self.send_error_json(err)

    # ---- token endpoint ------------------------------------------------------------------

    def handle_token(self, query):
        state = self.server.state
        problem = token_request_problem(state, query, self.headers)
        if problem:
            with state.lock:
                state.token_refused += 1
            return self.send_json(400, {"error": "invalid_request",
                                        "error_description": problem})
        token, expires_on = state.issue_token()
        client_id = (query.get("client_id") or [DEFAULT_CLIENT_ID])[0]
        self.send_json(200, {
            "access_token": token,
            "expires_on": str(expires_on),
            "resource": query["resource"][0],
            "token_type": "Bearer",
            "client_id": client_id,
        })

    # ---- ingestion endpoint --------------------------------------------------------------

    def new_record(self, dcr, stream, raw_len, status=None, code=None):
        return {
            "method": self.command,
            "path": self.path,
            "dcr": dcr,
            "stream": stream,
            "client_request_id": self.headers.get("x-ms-client-request-id"),
            "content_encoding": self.headers.get("content-encoding"),
            "body_bytes": raw_len,
            "decompressed_bytes": None,
            "rows": 0,
            "status": status,
            "error_code": code,
            "injected": False,
            "time": time.time(),
        }

    def handle_ingest(self, url, dcr, stream, raw, raw_len):
        state = self.server.state
        rec = self.new_record(dcr, stream, raw_len)
        query = parse_qs(url.query, keep_blank_values=True)
        headers = [("x-ms-request-id", str(uuid.uuid4()))]
        error = None
        try:
            fault = state.take_injection(stream)
            if fault:
                rec["injected"] = True
                if fault.get("delay_ms"):
                    time.sleep(fault["delay_ms"] / 1000)
                if fault.get("status"):
                    raise injected_error(fault)
            check_token(state, self.headers)
            check_api_version(query)
            columns = check_route(state.contract, dcr, stream)
            check_content_type(self.headers)
            body = decode_body(raw, raw_len, self.headers, rec)
            items = parse_payload(body)
            rows, undeclared = check_rows(items, columns)
            state.store(dcr, stream, rows, undeclared)
            rec.update(status=204, rows=len(rows))
        except ApiError as err:
            rec.update(status=err.status, error_code=err.code)
            err.headers = headers + err.headers
            error = err
        finally:
            if rec["status"] is None:  # an unexpected exception: still account for it
                rec["status"] = 500
            # Recorded before the answer leaves, so a client that reads the stats right after
            # its answer sees this request counted.
            state.record(rec)
        if error is None:
            self.send_no_content(headers)
        else:
            self.send_error_json(error)

    # ---- control API ---------------------------------------------------------------------

    def handle_rows(self, query):
        stream = (query.get("stream") or [None])[0]
        if not stream:
            return self.send_json(400, {"error": "stream query parameter required"})
        dcr = (query.get("dcr") or [None])[0]
        state = self.server.state
        with state.lock:
            rows = [row for (d, s, row) in state.rows_order
                    if s == stream and (dcr is None or d == dcr)]
        self.send_json(200, rows)

    def handle_control(self, path, raw):
        state = self.server.state
        try:
            spec = json.loads(raw) if raw and raw.strip() else {}
            if not isinstance(spec, dict):
                raise ValueError("body must be a JSON object")
            if path == "/_control/inject":
                fault = parse_fault(spec, with_count=True)
                with state.lock:
                    state.injections.append(fault)
                    pending = sum(f["count"] for f in state.injections)
                return self.send_json(200, {"pending": pending})
            if path == "/_control/fail_always":
                fault = parse_fault(spec, with_count=False)
                if not fault.get("status"):
                    raise ValueError("fail_always needs a status")
                with state.lock:
                    state.fail_always = fault
                return self.send_json(200, {"fail_always": fault["status"]})
            if path == "/_control/clear":
                with state.lock:
                    state.injections.clear()
                    state.fail_always = None
                return self.send_json(200, {"cleared": True})
            if path == "/_control/reset":
                with state.lock:
                    state.injections.clear()
                    state.fail_always = None
                    state.reset()
                return self.send_json(200, {"reset": True})
            if path == "/_control/expire_tokens":
                with state.lock:
                    for token in state.tokens:
                        state.tokens[token] = 0
                    expired = len(state.tokens)
                return self.send_json(200, {"expired": expired})
            return self.send_json(404, {"error": f"unknown control path {path}"})
        except ValueError as e:
            self.send_json(400, {"error": str(e)})


def parse_fault(spec, with_count):
    """Validate an /_control/inject or /_control/fail_always body."""
    known = {"status", "count", "retry_after", "delay_ms", "stream", "code", "message"}
    if set(spec) - known:
        raise ValueError(f"unknown keys {sorted(set(spec) - known)}")
    status, delay = spec.get("status"), spec.get("delay_ms", 0)
    count = spec.get("count", 1) if with_count else 1
    if status is not None and not (type(status) is int and 400 <= status <= 599):
        raise ValueError("status must be an integer 400..599")
    if not (type(delay) in (int, float) and delay >= 0):
        raise ValueError("delay_ms must be a non-negative number")
    if status is None and not delay:
        raise ValueError("give a status and/or delay_ms")
    if not (type(count) is int and count >= 1):
        raise ValueError("count must be a positive integer")
    retry_after = spec.get("retry_after")
    if retry_after is not None and not (type(retry_after) is int and retry_after >= 0):
        raise ValueError("retry_after must be a non-negative integer (seconds)")
    stream = spec.get("stream")
    if stream is not None and not isinstance(stream, str):
        raise ValueError("stream must be a string")
    return {"status": status, "count": count, "retry_after": retry_after, "delay_ms": delay,
            "stream": stream, "code": spec.get("code"), "message": spec.get("message")}


class Server(ThreadingHTTPServer):
    daemon_threads = True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--template", required=True, help="ARM template JSON with the DCRs")
    parser.add_argument("--dcr", action="append", default=[], required=True,
                        help="immutable id of the i-th DCR of the template (repeat)")
    parser.add_argument("--identity-header", required=True,
                        help="secret the token endpoint expects in x-identity-header")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token-lifetime", type=int, default=3600, help="seconds")
    parser.add_argument("--exit-with-stdin", action="store_true",
                        help="exit when stdin reaches EOF (dies with the parent)")
    parser.add_argument("--verbose", action="store_true", help="log requests to stderr")
    args = parser.parse_args(argv)
    try:
        with open(args.template, encoding="utf-8") as f:
            contract = load_contract(json.load(f), args.dcr)
    except (OSError, ValueError, ContractError) as e:
        print(f"loganalytics double: {e}", file=sys.stderr)
        return 2
    server = Server(("127.0.0.1", args.port), Handler)
    server.state = State(contract, args.identity_header, args.token_lifetime)
    server.verbose = args.verbose
    if args.exit_with_stdin:
        def watch_stdin():
            while sys.stdin.buffer.read(4096):
                pass
            os._exit(0)
        threading.Thread(target=watch_stdin, daemon=True).start()
    print(f"listening {server.server_address[1]}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Tests of tests/doubles/loganalytics.py (the Logs Ingestion API + token endpoint double).

Run from the repository root:  python3 -m unittest tests/doubles/test_loganalytics.py
Standard library only.
"""

import gzip
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid
from urllib.parse import quote

DOUBLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "loganalytics.py")
SECRET = "s3cret-identity-header"
DCR_A = "dcr-00000000000000000000000000000aaa"
DCR_B = "dcr-00000000000000000000000000000bbb"
TOO_LARGE = "Maximum allowed content length: 1048576 bytes (1 MB)"

SIGNIN_COLUMNS = [
    {"name": "TimeGenerated", "type": "datetime"},
    {"name": "UserPrincipalName", "type": "string"},
    {"name": "ResultType", "type": "int"},
    {"name": "DurationMs", "type": "long"},
    {"name": "RiskScore", "type": "real"},
    {"name": "IsInteractive", "type": "boolean"},
    {"name": "Flagged", "type": "bool"},
    {"name": "LocationDetails", "type": "dynamic"},
    {"name": "CorrelationId", "type": "guid"},
]

TEMPLATE = {
    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    "contentVersion": "1.0.0.0",
    "resources": [
        {"type": "Microsoft.OperationalInsights/workspaces/tables", "name": "ws/SigninLogs_CL",
         "properties": {}},
        {
            "type": "Microsoft.Insights/dataCollectionRules",
            "name": "dcr-entra",
            "properties": {
                "streamDeclarations": {
                    "Custom-SigninLogs": {"columns": SIGNIN_COLUMNS},
                    "Custom-AuditLogs": {"columns": [
                        {"name": "TimeGenerated", "type": "datetime"},
                        {"name": "OperationName", "type": "string"},
                    ]},
                    "Custom-Unrouted": {"columns": [{"name": "TimeGenerated", "type": "datetime"}]},
                },
                "dataFlows": [
                    {"streams": ["Custom-SigninLogs"], "destinations": ["la"],
                     "transformKql": "source", "outputStream": "Custom-SigninLogs_CL"},
                    {"streams": ["Custom-AuditLogs"], "destinations": ["la"],
                     "transformKql": "source", "outputStream": "Custom-AuditLogs_CL"},
                ],
            },
        },
        {
            "type": "Microsoft.Insights/dataCollectionRules",
            "name": "dcr-asim",
            "properties": {
                "streamDeclarations": {
                    "Custom-ASimAuth": {"columns": [
                        {"name": "TimeGenerated", "type": "datetime"},
                        {"name": "EventCount", "type": "int"},
                    ]},
                },
                "dataFlows": [
                    {"streams": ["Custom-ASimAuth"], "destinations": ["la"],
                     "transformKql": "source", "outputStream": "Microsoft-ASimAuthenticationEventLogs"},
                ],
            },
        },
    ],
}


def signin_row(i=0, **overrides):
    row = {
        "TimeGenerated": "2026-11-29T10:00:00.1234567Z",
        "UserPrincipalName": f"user{i}@contoso.com",
        "ResultType": 0,
        "DurationMs": 12345678901,
        "RiskScore": 0.5,
        "IsInteractive": True,
        "Flagged": False,
        "LocationDetails": {"city": "Oslo", "geo": [59.9, 10.7]},
        "CorrelationId": str(uuid.uuid4()),
    }
    row.update(overrides)
    return row


def start_double(template_path, dcrs, *extra):
    args = [sys.executable, DOUBLE, "--template", template_path, "--identity-header", SECRET]
    for dcr in dcrs:
        args += ["--dcr", dcr]
    return subprocess.Popen(args + list(extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True)


class LogAnalyticsDoubleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.template = os.path.join(cls.tmp.name, "template.json")
        with open(cls.template, "w") as f:
            json.dump(TEMPLATE, f)
        cls.proc = start_double(cls.template, [DCR_A, DCR_B])
        line = cls.proc.stdout.readline()
        if not line.startswith("listening "):
            cls.proc.kill()
            raise RuntimeError(f"double did not start: {line!r} {cls.proc.stderr.read()}")
        cls.port = int(line.split()[1])

    @classmethod
    def tearDownClass(cls):
        cls.proc.kill()
        cls.proc.wait()
        cls.proc.stdout.close()
        cls.proc.stderr.close()
        cls.tmp.cleanup()

    def setUp(self):
        self.control("POST", "/_control/reset")

    # ---- helpers -----------------------------------------------------------------------

    def request(self, method, path, body=None, headers=None, conn=None):
        own = conn is None
        conn = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, dict((k.lower(), v) for k, v in resp.getheaders()), data
        finally:
            if own:
                conn.close()

    def control(self, method, path, payload=None):
        body = json.dumps(payload).encode() if payload is not None else b""
        status, _, data = self.request(method, path, body,
                                       {"Content-Type": "application/json"})
        self.assertEqual(status, 200, data)
        return json.loads(data)

    def token(self, resource="https://monitor.azure.com/"):
        status, _, data = self.request(
            "GET", f"/msi/token?api-version=2019-08-01&resource={quote(resource, safe='')}",
            headers={"X-IDENTITY-HEADER": SECRET, "Metadata": "true"})
        self.assertEqual(status, 200, data)
        return json.loads(data)["access_token"]

    def ingest(self, rows=None, dcr=DCR_A, stream="Custom-SigninLogs", token=None, body=None,
               gzipped=False, api_version="2023-01-01", headers=None, conn=None):
        if body is None:
            body = json.dumps(rows if rows is not None else [signin_row()]).encode()
        hdrs = {"Content-Type": "application/json",
                "x-ms-client-request-id": str(uuid.uuid4())}
        if token is None:
            token = self.token()
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        if gzipped:
            body = gzip.compress(body)
            hdrs["Content-Encoding"] = "gzip"
        hdrs.update(headers or {})
        hdrs = {k: v for k, v in hdrs.items() if v is not None}
        path = f"/dataCollectionRules/{dcr}/streams/{stream}"
        if api_version is not None:
            path += f"?api-version={api_version}"
        return self.request("POST", path, body, hdrs, conn)

    def assert_error(self, result, status, code, message=None):
        got_status, headers, data = result
        self.assertEqual(got_status, status, data)
        error = json.loads(data)["error"]
        self.assertEqual(error["code"], code)
        self.assertEqual(headers.get("x-ms-error-code"), code)
        if message is not None:
            self.assertIn(message, error["message"])
        return error

    def stats(self):
        return self.control("GET", "/_control/stats")

    def rows(self, stream):
        return self.control("GET", f"/_control/rows?stream={stream}")

    # ---- startup -----------------------------------------------------------------------

    def test_startup_refuses_dcr_count_mismatch(self):
        proc = start_double(self.template, [DCR_A])
        out, err = proc.communicate(timeout=30)
        self.assertNotEqual(proc.returncode, 0)
        self.assertEqual(out, "")
        self.assertIn("2 Microsoft.Insights/dataCollectionRules resources but 1 --dcr", err)

    # ---- token endpoint ----------------------------------------------------------------

    def test_token_issued(self):
        before = time.time()
        for resource in ("https://monitor.azure.com", "https://monitor.azure.com/"):
            status, _, data = self.request(
                "GET", f"/msi/token?api-version=2019-08-01&resource={quote(resource, safe='')}"
                       "&client_id=11111111-2222-3333-4444-555555555555",
                headers={"x-identity-header": SECRET, "metadata": "true"})
            self.assertEqual(status, 200, data)
            body = json.loads(data)
            self.assertEqual(body["token_type"], "Bearer")
            self.assertEqual(body["resource"], resource)
            self.assertIsInstance(body["expires_on"], str)
            self.assertAlmostEqual(int(body["expires_on"]), before + 3600, delta=5)
        self.assertNotEqual(self.token(), self.token())  # fresh every time
        self.assertEqual(self.stats()["token_issued"], 4)

    def test_token_refused(self):
        good = "api-version=2019-08-01&resource=https%3A%2F%2Fmonitor.azure.com"
        good_headers = {"x-identity-header": SECRET, "metadata": "true"}
        cases = [
            (good, {"x-identity-header": "wrong", "metadata": "true"}),
            (good, {"metadata": "true"}),
            (good, {"x-identity-header": SECRET}),
            ("api-version=2018-02-01&resource=https%3A%2F%2Fmonitor.azure.com", good_headers),
            ("api-version=2019-08-01&resource=https%3A%2F%2Feventhubs.azure.net", good_headers),
            ("api-version=2019-08-01", good_headers),
        ]
        for query, headers in cases:
            status, _, data = self.request("GET", f"/msi/token?{query}", headers=headers)
            self.assertEqual(status, 400, (query, headers))
            self.assertEqual(json.loads(data)["error"], "invalid_request")
        stats = self.stats()
        self.assertEqual(stats["token_refused"], len(cases))
        self.assertEqual(stats["token_issued"], 0)

    # ---- success -----------------------------------------------------------------------

    def test_204_plain_and_gzip(self):
        token = self.token()
        first = [signin_row(0), signin_row(1, ResultType=None, LocationDetails="text")]
        second = [signin_row(2, TimeGenerated="2026-11-29T10:00:00+01:00", RiskScore=3)]
        status, headers, data = self.ingest(first, token=token)
        self.assertEqual((status, data), (204, b""))
        status, _, _ = self.ingest(second, token=token, gzipped=True)
        self.assertEqual(status, 204)
        status, _, _ = self.ingest([{"TimeGenerated": "2026-11-29T10:00:00Z", "EventCount": 3}],
                                   dcr=DCR_B, stream="Custom-ASimAuth", token=token)
        self.assertEqual(status, 204)
        self.assertEqual(self.rows("Custom-SigninLogs"), first + second)
        self.assertEqual(self.rows("Custom-ASimAuth"), [{"TimeGenerated": "2026-11-29T10:00:00Z",
                                                         "EventCount": 3}])
        stats = self.stats()
        self.assertEqual(stats["rows"], {"Custom-SigninLogs": 3, "Custom-ASimAuth": 1})
        self.assertEqual(stats["by_status"], {"204": 3})

    # ---- rule 2: auth ------------------------------------------------------------------

    def test_401_without_and_with_bad_token(self):
        self.assert_error(self.ingest(token=""), 401, "InvalidAuthenticationToken", "missing")
        self.assert_error(self.ingest(token="not-issued-here"), 401,
                          "InvalidAuthenticationToken", "unknown")
        token = self.token()
        self.assertEqual(self.ingest(token=token)[0], 204)
        self.control("POST", "/_control/expire_tokens")
        self.assert_error(self.ingest(token=token), 401, "InvalidAuthenticationToken", "expired")
        self.assertEqual(self.stats()["rows"], {"Custom-SigninLogs": 1})

    # ---- rules 3 to 5 ------------------------------------------------------------------

    def test_400_api_version(self):
        self.assert_error(self.ingest(api_version="2021-11-01-preview"), 400, "InvalidApiVersion")
        self.assert_error(self.ingest(api_version=None), 400, "InvalidApiVersion")

    def test_404_wrong_dcr_and_stream(self):
        self.assert_error(self.ingest(dcr="dcr-unknown"), 404, "NotFound",
                          "Data collection rule with immutable Id 'dcr-unknown' not found.")
        self.assert_error(self.ingest(stream="Custom-Nope"), 404, "InvalidStream",
                          "Stream 'Custom-Nope' not found in data collection rule")
        # declared but in no data flow, and declared on the other DCR only
        self.assert_error(self.ingest(stream="Custom-Unrouted"), 404, "InvalidStream")
        self.assert_error(self.ingest(dcr=DCR_B), 404, "InvalidStream")

    def test_415_content_type(self):
        self.assert_error(self.ingest(headers={"Content-Type": "text/plain"}), 415,
                          "UnsupportedMediaType")
        self.assertEqual(
            self.ingest(headers={"Content-Type": "application/json; charset=utf-8"})[0], 204)

    # ---- rule 6: size and encoding ------------------------------------------------------

    def test_413_oversized_keeps_connection(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        token = self.token()
        big = [signin_row(i, UserPrincipalName="x" * 1000) for i in range(1100)]
        raw = json.dumps(big).encode()
        self.assertGreater(len(raw), 1_048_576)
        error = self.assert_error(self.ingest(big, token=token, conn=conn), 413,
                                  "ContentLengthLimitExceeded")
        self.assertEqual(error["message"], TOO_LARGE)
        # gzip: small on the wire, over 1 MB once decompressed
        error = self.assert_error(self.ingest(big, token=token, gzipped=True, conn=conn), 413,
                                  "ContentLengthLimitExceeded")
        self.assertEqual(error["message"], TOO_LARGE)
        # the same keep-alive connection still works
        self.assertEqual(self.ingest([signin_row()], token=token, conn=conn)[0], 204)
        conn.close()
        stats = self.stats()
        self.assertEqual(stats["max_body_bytes"], len(raw))
        self.assertEqual(stats["max_decompressed_bytes"], len(raw))
        self.assertEqual(stats["by_status"], {"413": 2, "204": 1})
        self.assertEqual(stats["rows"], {"Custom-SigninLogs": 1})

    def test_400_bad_gzip(self):
        self.assert_error(self.ingest(body=b"[{}]", headers={"Content-Encoding": "gzip"}), 400,
                          "InvalidContentEncoding")
        truncated = gzip.compress(json.dumps([signin_row()]).encode())[:-10]
        self.assert_error(self.ingest(body=truncated, headers={"Content-Encoding": "gzip"}), 400,
                          "InvalidContentEncoding")

    def test_411_chunked(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("POST", f"/dataCollectionRules/{DCR_A}/streams/Custom-SigninLogs"
                     "?api-version=2023-01-01", body=iter([b"[", b"]"]),
                     headers={"Content-Type": "application/json",
                              "Authorization": f"Bearer {self.token()}"},
                     encode_chunked=True)
        resp = conn.getresponse()
        self.assertEqual(resp.status, 411)
        self.assertEqual(resp.getheader("Connection"), "close")
        resp.read()
        conn.close()

    # ---- rules 7 and 8: payload --------------------------------------------------------

    def test_400_invalid_payload(self):
        for body in (b"{not json", b'{"a": 1}', b"[1, 2]", b"\xff\xfe[]", b"[{\"RiskScore\": NaN}]"):
            self.assert_error(self.ingest(body=body), 400, "InvalidPayload")

    def test_400_type_violations(self):
        bad = [
            ("TimeGenerated", "2026-11-29 10:00:00"),
            ("TimeGenerated", "2026-11-29T10:00:00"),  # no time zone
            ("TimeGenerated", "2026-11-29T10:00:00.12345678Z"),  # 8 fractional digits
            ("TimeGenerated", "2026-02-30T10:00:00Z"),
            ("TimeGenerated", 1764410400),
            ("ResultType", 1.5),
            ("ResultType", "50126"),
            ("ResultType", 2 ** 31),
            ("ResultType", True),
            ("DurationMs", 2 ** 63),
            ("DurationMs", "1"),
            ("RiskScore", "0.5"),
            ("IsInteractive", 1),
            ("Flagged", "true"),
            ("UserPrincipalName", 42),
            ("CorrelationId", {"id": 1}),
        ]
        token = self.token()
        for column, value in bad:
            rows = [signin_row(0), signin_row(1, **{column: value})]
            error = self.assert_error(self.ingest(rows, token=token), 400, "InvalidPayload")
            self.assertIn("Row 1", error["message"])
            self.assertIn(f"'{column}'", error["message"])
        self.assertEqual(self.rows("Custom-SigninLogs"), [])  # all or nothing

    def test_nulls_and_edge_values_accepted(self):
        row = {c["name"]: None for c in SIGNIN_COLUMNS}
        edge = signin_row(1, TimeGenerated="2026-11-29T10:00:00.5-05:30", ResultType=-(2 ** 31),
                          DurationMs=2 ** 63 - 1, RiskScore=-1e300, LocationDetails=None)
        self.assertEqual(self.ingest([row, edge])[0], 204)
        self.assertEqual(self.ingest([])[0], 204)
        self.assertEqual(self.rows("Custom-SigninLogs"), [row, edge])
        self.assertEqual(self.stats()["empty_batches"], 1)

    def test_undeclared_columns_counted_and_dropped(self):
        rows = [signin_row(0, Extra=1, AppId="a"), signin_row(1, Extra=None)]
        self.assertEqual(self.ingest(rows)[0], 204)
        stored = self.rows("Custom-SigninLogs")
        self.assertEqual(stored, [signin_row(0, CorrelationId=stored[0]["CorrelationId"]),
                                  signin_row(1, CorrelationId=stored[1]["CorrelationId"])])
        self.assertNotIn("Extra", stored[0])
        self.assertEqual(self.stats()["undeclared_columns"],
                         {"Custom-SigninLogs": {"Extra": 2, "AppId": 1}})

    # ---- control API -------------------------------------------------------------------

    def test_injected_429_with_retry_after(self):
        token = self.token()
        self.control("POST", "/_control/inject", {"status": 429, "count": 2, "retry_after": 1})
        for _ in range(2):
            result = self.ingest(token=token)
            self.assert_error(result, 429, "TooManyRequests")
            self.assertEqual(result[1].get("retry-after"), "1")
        self.assertEqual(self.ingest(token=token)[0], 204)
        stats = self.stats()
        self.assertEqual(stats["by_status"], {"429": 2, "204": 1})
        self.assertEqual(stats["rows"], {"Custom-SigninLogs": 1})  # injected failures store nothing

    def test_injection_fifo_stream_filter_and_other_statuses(self):
        token = self.token()
        self.control("POST", "/_control/inject", {"status": 503, "stream": "Custom-AuditLogs"})
        self.control("POST", "/_control/inject", {"status": 403})
        self.control("POST", "/_control/inject", {"status": 500})
        # the SigninLogs request skips the AuditLogs-only fault and takes the 403
        self.assert_error(self.ingest(token=token), 403, "Forbidden",
                          "The principal does not have the Monitoring Metrics Publisher role")
        audit = [{"TimeGenerated": "2026-11-29T10:00:00Z", "OperationName": "Add user"}]
        self.assert_error(self.ingest(audit, stream="Custom-AuditLogs", token=token), 503,
                          "ServiceUnavailable")
        self.assert_error(self.ingest(token=token), 500, "InternalServerError")
        self.assertEqual(self.ingest(audit, stream="Custom-AuditLogs", token=token)[0], 204)
        # injections apply before auth
        self.control("POST", "/_control/inject", {"status": 404})
        self.assert_error(self.ingest(token="bogus"), 404, "NotFound")

    def test_delay(self):
        token = self.token()
        self.control("POST", "/_control/inject", {"delay_ms": 400, "count": 2})
        for _ in range(2):
            start = time.monotonic()
            self.assertEqual(self.ingest(token=token)[0], 204)
            self.assertGreaterEqual(time.monotonic() - start, 0.4)
        start = time.monotonic()
        self.assertEqual(self.ingest(token=token)[0], 204)
        self.assertLess(time.monotonic() - start, 0.4)

    def test_fail_always_and_clear(self):
        token = self.token()
        self.control("POST", "/_control/fail_always", {"status": 401})
        for _ in range(3):
            self.assert_error(self.ingest(token=token), 401, "InvalidAuthenticationToken")
        self.assertEqual(self.stats()["fail_always"], 401)
        # a queued delay still applies, then fail_always answers
        self.control("POST", "/_control/inject", {"delay_ms": 300})
        start = time.monotonic()
        self.assert_error(self.ingest(token=token), 401, "InvalidAuthenticationToken")
        self.assertGreaterEqual(time.monotonic() - start, 0.3)
        self.control("POST", "/_control/clear")
        self.assertEqual(self.ingest(token=token)[0], 204)
        self.assertEqual(self.stats()["by_status"], {"401": 4, "204": 1})

    def test_bad_control_requests(self):
        for payload in ({"count": 2}, {"status": 200}, {"status": 429, "count": 0},
                        {"status": 429, "bogus": 1}):
            status, _, _ = self.request("POST", "/_control/inject", json.dumps(payload).encode(),
                                        {"Content-Type": "application/json"})
            self.assertEqual(status, 400, payload)

    def test_stats_and_request_log(self):
        token = self.token()
        self.ingest(token=token, headers={"x-ms-client-request-id": None})
        self.ingest(token=token, gzipped=True)
        self.ingest(token="")
        self.request("POST", "/nowhere", b"{}", {"Content-Type": "application/json"})
        stats = self.stats()
        self.assertEqual(stats["requests"], 4)
        self.assertEqual(stats["by_status"], {"204": 2, "401": 1, "404": 1})
        self.assertEqual(stats["missing_client_request_id"], 2)  # first and /nowhere
        self.assertEqual(stats["token_issued"], 1)
        self.assertEqual(stats["rows"], {"Custom-SigninLogs": 2})
        self.assertGreater(stats["max_decompressed_bytes"], 0)
        log = self.control("GET", "/_control/requests")
        self.assertEqual([r["status"] for r in log], [204, 204, 401, 404])
        self.assertIsNone(log[0]["client_request_id"])
        self.assertEqual(log[1]["content_encoding"], "gzip")
        self.assertLess(log[1]["body_bytes"], log[1]["decompressed_bytes"])

    def test_concurrent_requests(self):
        token = self.token()
        results = []

        def worker(n):
            for i in range(10):
                results.append(self.ingest([signin_row(n * 100 + i)], token=token)[0])

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(results, [204] * 80)
        self.assertEqual(len(self.rows("Custom-SigninLogs")), 80)
        self.assertEqual(self.stats()["requests"], 80)


class BuiltinTableFlows(unittest.TestCase):
    """A flow into a built-in table (Microsoft-<table>) must declare only columns of that table,
    of their types: checked when the template loads."""

    @staticmethod
    def template(columns, output="Microsoft-ASimAuditEventLogs", kql="source"):
        return {"resources": [{
            "type": "Microsoft.Insights/dataCollectionRules", "name": "dcr-x",
            "properties": {
                "streamDeclarations": {"Custom-A": {"columns": columns}},
                "dataFlows": [{"streams": ["Custom-A"], "destinations": ["la"],
                               "transformKql": kql, "outputStream": output}],
            },
        }]}

    def load(self, template):
        sys.path.insert(0, os.path.dirname(DOUBLE))
        import loganalytics
        return loganalytics.load_contract(template, [DCR_A]), loganalytics.ContractError

    def test_asim_columns_of_the_table_are_accepted(self):
        cols = [{"name": "TimeGenerated", "type": "datetime"}, {"name": "Operation", "type": "string"},
                {"name": "EventCount", "type": "int"}, {"name": "AdditionalFields", "type": "dynamic"}]
        contract, _ = self.load(self.template(cols))
        self.assertEqual(contract[DCR_A]["Custom-A"]["EventCount"], "int")

    def test_a_column_the_table_lacks_a_wrong_type_or_an_unknown_table_are_refused(self):
        _, error = self.load(self.template([]))
        cases = [
            (self.template([{"name": "Dvc", "type": "string"}]), "column Dvc is not a column of ASimAuditEventLogs"),
            (self.template([{"name": "EventCount", "type": "long"}]), "column EventCount is long but ASimAuditEventLogs.EventCount is int"),
            (self.template([{"name": "LogonMethod", "type": "string"}]), "column LogonMethod is not a column of ASimAuditEventLogs"),
            (self.template([], output="Microsoft-SigninLogs"), "is not a built-in table"),
            (self.template([], kql="source | extend X = 1"), "only transformKql 'source'"),
        ]
        for template, message in cases:
            with self.assertRaises(error) as ctx:
                self.load(template)
            self.assertIn(message, str(ctx.exception))


if __name__ == "__main__":
    unittest.main()

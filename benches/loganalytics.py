"""Log Analytics sink throughput, side by side in one run: `convert` into the lake alone, then
the same input with sign-ins and audits also routed to the Logs Ingestion double.

Prints wall and CPU seconds (the aad-ingest process's user+sys, from getrusage) for both, the
double's CPU beside them (it shares the two cores: on this machine it is the bottleneck, so the
sink's own cost is the CPU-per-MB line), records/s and MB/s of input, and how the measured
request rate and volume compare with one DCR's limits (2 GB/min, 12,000 requests/min).

Usage: benches/loganalytics [--records N] [--rounds R]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "aad-ingest")
DOUBLE = os.path.join(ROOT, "tests", "doubles", "loganalytics.py")
TEMPLATE = os.path.join(ROOT, "config", "azure", "loganalytics.json")


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd, env):
    cpu0, t0 = children_cpu(), time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, children_cpu() - cpu0
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stdout}\n{out.stderr}")
    return wall, cpu, out.stdout


def double_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=2)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="la-bench-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    capture = os.path.join(work, "capture.ndjson")
    subprocess.run([BIN, "generate", "--records", str(a.records), "--seed", "5", "--out", capture], check=True)
    mb = os.path.getsize(capture) / 1e6
    resources = json.load(open(TEMPLATE))["resources"]
    dcrs = [r for r in resources if r["type"] == "Microsoft.Insights/dataCollectionRules"]
    ids = [f"dcr-{i + 1:032x}" for i in range(len(dcrs))]
    proc = subprocess.Popen(
        [sys.executable, DOUBLE, "--template", TEMPLATE, "--identity-header", "bench", "--port", "0"]
        + [x for d in ids for x in ("--dcr", d)],
        stdout=subprocess.PIPE, text=True)
    port = int(proc.stdout.readline().split()[1])
    endpoint = f"http://127.0.0.1:{port}"
    env = dict(os.environ, IDENTITY_ENDPOINT=f"{endpoint}/msi/token", IDENTITY_HEADER="bench")
    # The first DCR holds the sign-in and audit tables (see config/azure/README.md).
    config = os.path.join(work, "route.toml")
    with open(config, "w") as f:
        f.write(f"""[[destination]]
name = "sentinel"
kind = "loganalytics"
endpoint = "{endpoint}"
dcr_immutable_id = "{ids[0]}"
auth = {{ method = "managed_identity" }}
[[destination.route]]
tables = ["SigninLogs", "AADNonInteractiveUserSignInLogs", "AADServicePrincipalSignInLogs", "AuditLogs"]
""")
    best = {}
    for r in range(a.rounds):
        for name, cmd in [
            ("lake alone", [BIN, "convert", capture, "--out", os.path.join(work, f"lake-a{r}")]),
            ("lake + Log Analytics", [BIN, "convert", "-c", config, capture, "--out", os.path.join(work, f"lake-b{r}")]),
        ]:
            d0 = double_cpu(proc.pid)
            wall, cpu, out = timed(cmd, env)
            dcpu = double_cpu(proc.pid) - d0
            if name not in best or wall < best[name][0]:
                best[name] = (wall, cpu, dcpu, out)
    stats = json.load(urllib.request.urlopen(f"{endpoint}/_control/stats"))
    proc.kill()
    sent = sum(stats["rows"].values()) // a.rounds
    requests = stats["by_status"].get("204", 0) // a.rounds
    print(f"input: {a.records} records, {mb:.1f} MB; routed to Log Analytics: {sent} rows in {requests} requests per run")
    print(f"{'run':<22} {'wall s':>8} {'CPU s':>8} {'CPU s/GB':>9} {'MB/s':>8} {'records/s':>10} {'double CPU s':>13}")
    for name, (wall, cpu, dcpu, _) in best.items():
        print(f"{name:<22} {wall:8.2f} {cpu:8.2f} {cpu / mb * 1000:9.1f} {mb / wall:8.1f} {a.records / wall:10.0f} {dcpu:13.2f}")
    (wa, ca, _, _), (wb, cb, _, out) = best["lake alone"], best["lake + Log Analytics"]
    print(f"ratio lake+LA / lake alone: wall {wb / wa:.2f}x, CPU {cb / ca:.2f}x")
    per_min_req = requests / wb * 60
    line = [l for l in out.splitlines() if l.startswith("destination sentinel")]
    print(line[0] if line else out)
    json_mb = float(line[0].split("(")[2].split(" MB")[0]) if line else 0.0
    print(f"against one DCR's limits: {per_min_req:,.0f} requests/min of 12,000; "
          f"{json_mb / wb * 60 / 1000:.2f} GB/min of JSON of 2 GB/min")


if __name__ == "__main__":
    main()

"""Check that config/deploy/ references what the program has: binary path, flags, config path,
port, probe paths, metric names, and the KEDA trigger's checkpoint names.

  deploy_contract.py [--repo DIR] [--exposition FILE] [--binary PATH] [--no-cargo]
                     [--promql-rules-out FILE] [--prometheus URL]

  --repo DIR           the repository root (default: this file's repository); its config/deploy/
                       and config/run.example.toml are checked
  --exposition FILE    a scraped /metrics body: every metric the dashboard, the alert rules and the
                       KEDA triggers name must be in it, rate()/increase() only over counters and
                       histogram series, and the labels they match or group by must be on it
  --binary PATH        the built aad-ingest: its --help and run/check-config/status --help must offer
                       the subcommands and flags the files use, and `check-config -c` must accept
                       the Kubernetes ConfigMap's run.toml and config/run.example.toml
  --no-cargo           skip comparing the Dockerfile's Rust version with the locked dependencies'
                       (`cargo metadata --offline`)
  --promql-rules-out F write every dashboard query as a recording rule to F (Grafana variables
                       filled in), so `promtool check rules F` parses them
  --prometheus URL     run every dashboard, rule and trigger query on this Prometheus server's
                       HTTP API (one that scrapes the service): a refused query is a problem;
                       prints how many returned series

Prints one line per problem ("file: what is wrong") and exits 1 if there is any, else prints a
summary and exits 0. Without --exposition and --binary only the files are compared with each
other and with the contract below.
"""
import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import yaml

# The contract between the program and its deployment files (issue 10).
APP = "aad-ingest"  # the name of the service's Deployment, Service, ServiceMonitor, ScaledObject
BINARY = "/usr/local/bin/aad-ingest"
CONFIG_PATH = "/etc/aad-ingest/run.toml"
PORT = 9464
PORT_NAME = "metrics"
METRICS_PATH = "/metrics"
LIVENESS_PATH = "/healthz"
READINESS_PATH = "/readyz"
LOG_FORMATS = {"auto", "text", "json"}
SUBCOMMANDS = ("run", "check-config", "status")
CONFIGMAP_KEY = "run.toml"

# Trigger metadata keys the azure-eventhub scaler reads: kedacore/keda v2.20.2,
# pkg/scalers/azure_eventhub_scaler.go, pkg/scalers/azure/azure_eventhub.go and
# azure_cloud_environment.go (a `resolvedEnv` key may also be given as `<key>FromEnv`).
KEDA_EVENTHUB_KEYS = {
    "unprocessedEventThreshold", "activationUnprocessedEventThreshold",
    "stalePartitionInfoThreshold", "consumerGroup", "storageAccountName", "blobContainer",
    "eventHubNamespace", "eventHubNamespaceFromEnv", "eventHubName", "eventHubNameFromEnv",
    "checkpointStrategy", "connectionFromEnv", "storageConnectionFromEnv", "cloud",
    "endpointSuffix", "storageEndpointSuffix",
}
# KEDA's service bus suffix per `cloud` (pkg/scalers/azure/azure_cloud_environment.go).
KEDA_SERVICEBUS_SUFFIX = {
    "AzurePublicCloud": "servicebus.windows.net",
    "AzureChinaCloud": "servicebus.chinacloudapi.cn",
    "AzureUSGovernmentCloud": "servicebus.usgovcloudapi.net",
    "AzureGermanCloud": "servicebus.cloudapi.de",
}
# Labels Prometheus or the Prometheus operator put on every series of a target.
TARGET_LABELS = {"job", "instance", "pod", "namespace", "service", "endpoint", "container"}


class Problems(list):
    def add(self, where, what):
        self.append(f"{where}: {what}")


# --- PromQL --------------------------------------------------------------------------------

PROMQL_KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
    "unless", "offset", "inf", "nan", "atan2",
}
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


def _strip(expr):
    """The expression without string literals, ranges, Grafana variables and label lists."""
    expr = _STRING.sub('""', expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # [5m], [$__rate_interval], subqueries' [1h:5m]
    expr = re.sub(r"\$\{?\w+\}?", "", expr)
    return expr


def grouping_labels(expr):
    """Label names in by/without/on/ignoring/group_left/group_right lists."""
    expr = _strip(expr)
    labels = set()
    for m in re.finditer(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)", expr):
        labels |= {x.strip() for x in m.group(1).split(",") if x.strip()}
    return labels


def selectors(expr):
    """(metric name, {label names matched}) for each vector selector that names a metric."""
    s = _strip(expr)
    s = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", s)
    out = []
    # A label block is consumed with the name before it, so its label names are never taken
    # for metric names. (A matcher-only selector, {__name__=~"…"}, is not used here.)
    for m in re.finditer(r"([A-Za-z_:][A-Za-z0-9_:]*)\s*(\{[^}]*\})?|\{[^}]*\}", s):
        name = m.group(1)
        if name is None or name in PROMQL_KEYWORDS:
            continue
        if m.start() and (s[m.start() - 1].isalnum() or s[m.start() - 1] == "."):
            continue  # the tail of a number or a duration: 1e3, offset 5m
        if m.group(2) is None and s[m.end():].lstrip().startswith("("):
            continue  # a function or aggregation
        matched = set(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)", m.group(2) or ""))
        out.append((name, matched))
    return out


def metric_names(expr):
    return {name for name, _ in selectors(expr)}


def rated_names(expr):
    """Metric names that rate(), irate() or increase() is applied to directly."""
    s = _strip(expr)
    return set(re.findall(r"\b(?:rate|irate|increase)\s*\(\s*([A-Za-z_:][A-Za-z0-9_:]*)", s))


# --- exposition ------------------------------------------------------------------------------

class Exposition:
    """The metric families of a Prometheus text (or OpenMetrics) exposition."""

    def __init__(self, text):
        self.types = {}  # family -> type
        self.samples = {}  # sample name -> set of label names seen
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                _, _, name, kind = line.split(None, 3)
                self.types[name] = kind.strip()
            elif line.startswith("#") or not line.strip():
                continue
            else:
                m = re.match(r"([A-Za-z_:][A-Za-z0-9_:]*)(\{(.*)\})?\s", line)
                if not m:
                    continue
                labels = set(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=\"", m.group(3) or ""))
                self.samples.setdefault(m.group(1), set()).update(labels)
        # Series name -> the kind rate() cares about. OpenMetrics names a counter family without
        # its `_total`; a histogram's or summary's _bucket/_sum/_count series are counters.
        self.series_kind = {}
        for family, kind in self.types.items():
            if kind == "counter":
                base = family.removesuffix("_total")
                for name in (base + "_total", base + "_created"):
                    self.series_kind[name] = "counter"
            elif kind in ("histogram", "summary"):
                self.series_kind[family + "_created"] = "counter"
                for suffix in ("_bucket", "_sum", "_count") if kind == "histogram" else ("_sum", "_count"):
                    self.series_kind[family + suffix] = "counter"
                if kind == "summary":
                    self.series_kind[family] = "summary"
            else:
                self.series_kind[family] = kind
        for name in self.samples:
            self.series_kind.setdefault(name, "untyped")

    def has(self, name):
        return name in self.series_kind

    def labels(self, name):
        return self.samples.get(name, set())


# --- file readers ------------------------------------------------------------------------------

def systemd_unit(path):
    """{section: [(key, value)]}, keeping repeated keys, joining continued lines."""
    sections, current, pending = {}, None, ""
    for raw in path.read_text().splitlines():
        line = pending + raw.strip()
        pending = ""
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
        elif "=" in line and current is not None:
            k, v = line.split("=", 1)
            current.append((k.strip(), v.strip()))
    return sections


def dockerfile_stages(path):
    """[[(INSTRUCTION, arguments)]] per stage, continuation lines joined."""
    stages, pending = [], ""
    for raw in path.read_text().splitlines():
        line = raw.rstrip()
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = (pending + line).strip(), ""
        if not line or line.startswith("#"):
            continue
        word, _, args = line.partition(" ")
        word = word.upper()
        if word == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((word, args.strip()))
    return stages


def yaml_docs(path):
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def exec_argv(value):
    """ExecStart= value as argv, without systemd's prefixes (-, @, +, !, :)."""
    return shlex.split(value.lstrip("-@+!:"))


# --- checks --------------------------------------------------------------------------------------

def check_argv(argv, where, problems, subcommand="run"):
    """`BINARY [--log-format F] <subcommand> -c CONFIG_PATH`; returns the log format or None."""
    if not argv or argv[0] != BINARY:
        problems.add(where, f"runs {argv[:1]} instead of {BINARY}")
        return None
    log_format, args, rest = None, argv[1:], []
    while args:
        a = args.pop(0)
        if a == "--log-format" and args:
            log_format = args.pop(0)
        elif a.startswith("--log-format="):
            log_format = a.split("=", 1)[1]
        else:
            rest.append(a)
    if log_format is not None and log_format not in LOG_FORMATS:
        problems.add(where, f"--log-format {log_format!r} is not one of {sorted(LOG_FORMATS)}")
    if not rest or rest[0] != subcommand:
        problems.add(where, f"does not run the `{subcommand}` subcommand: {shlex.join(argv)}")
        return log_format
    config = None
    for j, a in enumerate(rest):
        if a in ("-c", "--config") and j + 1 < len(rest):
            config = rest[j + 1]
        elif a.startswith("--config="):
            config = a.split("=", 1)[1]
    if config != CONFIG_PATH:
        problems.add(where, f"`{subcommand}` is not given `-c {CONFIG_PATH}`: {shlex.join(argv)}")
    if subcommand == "run" and log_format is None:
        problems.add(where, "`run` without --log-format (say which format the log collector gets)")
    return log_format


def check_systemd(deploy, problems):
    path = deploy / "systemd" / "aad-ingest.service"
    unit = systemd_unit(path)
    service = unit.get("Service", [])
    get = lambda key: [v for k, v in service if k == key]
    starts = get("ExecStart")
    if len(starts) != 1:
        problems.add(path, f"needs exactly one ExecStart=, has {len(starts)}")
    for v in starts:
        check_argv(exec_argv(v), f"{path} ExecStart", problems)
    for v in get("ExecStartPre"):
        argv = exec_argv(v)
        if argv[:1] == [BINARY]:
            check_argv(argv, f"{path} ExecStartPre", problems, subcommand="check-config")
    user = get("User")
    if not user or user[-1] in ("root", "0"):
        problems.add(path, "must run as its own user (User=)")
    required = {"NoNewPrivileges": "yes", "ProtectSystem": "strict"}
    for key, want in required.items():
        if get(key)[-1:] != [want]:
            problems.add(path, f"needs {key}={want}")
    if not get("StateDirectory"):
        problems.add(path, "needs a StateDirectory=")


def check_dockerfile(deploy, repo, problems, cargo):
    path = deploy / "Dockerfile"
    stages = dockerfile_stages(path)
    if len(stages) < 2:
        problems.add(path, "must be multi-stage (a build stage and a small runtime stage)")
        return
    final = stages[-1]
    get = lambda word: [a for w, a in final if w == word]
    entry = get("ENTRYPOINT")
    cmd = get("CMD")
    try:
        argv = json.loads(entry[-1]) + json.loads(cmd[-1])
    except (IndexError, json.JSONDecodeError):
        problems.add(path, "the final stage needs ENTRYPOINT and CMD in exec (JSON) form")
        argv = []
    if argv:
        check_argv(argv, f"{path} ENTRYPOINT+CMD", problems)
    if not any(a.split()[-1] == BINARY for a in get("COPY")):
        problems.add(path, f"the final stage does not COPY the binary to {BINARY}")
    exposed = {p.split("/")[0] for a in get("EXPOSE") for p in a.split()}
    if str(PORT) not in exposed:
        problems.add(path, f"does not EXPOSE {PORT}")
    user = get("USER")
    if not user or user[-1].split(":")[0] in ("root", "0"):
        problems.add(path, "the final stage must set a non-root USER")
    # The build stage's toolchain must build the workspace and every locked dependency.
    arg_lines = [a for w, a in dockerfile_preamble(path) if w == "ARG" and a.startswith("RUST_VERSION=")]
    if not arg_lines:
        problems.add(path, "needs `ARG RUST_VERSION=…` before the first FROM")
        return
    rust = arg_lines[0].split("=", 1)[1]
    workspace = tomllib.loads((repo / "Cargo.toml").read_text())["workspace"]["package"]["rust-version"]
    if version_tuple(rust) < version_tuple(workspace):
        problems.add(path, f"RUST_VERSION {rust} is below the workspace's rust-version {workspace}")
    if cargo:
        name, need = locked_rust_version(repo)
        if need and version_tuple(rust) < version_tuple(need):
            problems.add(path, f"RUST_VERSION {rust} is below {name}'s rust-version {need}")


def dockerfile_preamble(path):
    """Instructions before the first FROM (global ARGs)."""
    out = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _, args = line.partition(" ")
        if word.upper() == "FROM":
            break
        out.append((word.upper(), args.strip()))
    return out


def version_tuple(v):
    """Version text as (major, minor, patch): 1.88 and 1.88.0 compare equal."""
    parts = [int(x) for x in re.findall(r"\d+", v)[:3]]
    return tuple(parts + [0] * (3 - len(parts)))


def locked_rust_version(repo):
    """The highest rust-version among the packages the aad-ingest binary is built from."""
    meta = json.loads(subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked", "--offline",
         "--filter-platform", "x86_64-unknown-linux-gnu"],
        cwd=repo, check=True, capture_output=True, text=True).stdout)
    packages = {p["id"]: p for p in meta["packages"]}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    root = next(p["id"] for p in meta["packages"] if p["name"] == "aad-ingest")
    seen, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        for dep in nodes[pid]["deps"]:
            if any(k["kind"] in (None, "build") for k in dep["dep_kinds"]):
                todo.append(dep["pkg"])
    best = max(((version_tuple(packages[p]["rust_version"]), packages[p]["name"], packages[p]["rust_version"])
                for p in seen if packages[p].get("rust_version")), default=None)
    return (best[1], best[2]) if best else (None, None)


def kube(deploy):
    """Every document of config/deploy/kubernetes/*.yaml except the kustomization, by kind."""
    docs = {}
    for path in sorted((deploy / "kubernetes").glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in yaml_docs(path):
            docs.setdefault(doc["kind"], []).append((path, doc))
    return docs


def named(docs, kind, name, problems, where):
    """(path, document) of the `kind` called `name` (other files, such as a backfill Job's, may
    sit beside the service's own)."""
    found = [(p, d) for p, d in docs.get(kind, []) if d["metadata"].get("name") == name]
    if len(found) != 1:
        problems.add(where, f"expected one {kind} named {name!r}, found {len(found)}")
        return None, {}
    return found[0]


def pod_templates(doc):
    """The pod specs of a workload of any kind."""
    spec = doc.get("spec", {})
    if doc["kind"] == "CronJob":
        spec = spec.get("jobTemplate", {}).get("spec", {})
    template = spec.get("template", {}).get("spec")
    return [template] if template else []


def check_kubernetes(deploy, problems):
    """Returns (run.toml text of the ConfigMap, its parsed config, the Deployment's plain env,
    the Deployment)."""
    where = deploy / "kubernetes"
    docs = kube(deploy)
    # Every container that runs the program runs it from the image's path.
    for path, doc in [x for kind in docs.values() for x in kind]:
        for pod in pod_templates(doc):
            for c in pod.get("containers", []) + pod.get("initContainers", []):
                argv = c.get("command", []) + c.get("args", [])
                if argv and Path(argv[0]).name == "aad-ingest" and argv[0] != BINARY:
                    problems.add(path, f"container {c.get('name')!r} runs {argv[0]} instead of {BINARY}")
    dpath, dep = named(docs, "Deployment", APP, problems, where)
    spath, svc = named(docs, "Service", APP, problems, where)
    mpath, mon = named(docs, "ServiceMonitor", APP, problems, where)
    if not dep:
        return None, {}, {}, dep
    if "replicas" in dep["spec"]:
        problems.add(dpath, "sets spec.replicas, which an apply would reset under KEDA: leave it out")
    pod = dep["spec"]["template"]["spec"]
    pod_labels = dep["spec"]["template"]["metadata"].get("labels", {})
    containers = [c for c in pod["containers"] if c.get("name") == APP] or pod["containers"][:1]
    c = containers[0]
    check_argv(c.get("command", []) + c.get("args", []), f"{dpath} command+args", problems)
    ports = [p for p in c.get("ports", []) if p.get("name") == PORT_NAME]
    if not ports or ports[0].get("containerPort") != PORT:
        problems.add(dpath, f"needs containerPort {PORT} named {PORT_NAME!r}")
    for probe, want in (("livenessProbe", LIVENESS_PATH), ("startupProbe", LIVENESS_PATH),
                        ("readinessProbe", READINESS_PATH)):
        get = c.get(probe, {}).get("httpGet", {})
        if probe != "startupProbe" or probe in c:
            if get.get("path") != want or get.get("port") not in (PORT_NAME, PORT):
                problems.add(dpath, f"{probe} must GET {want} on port {PORT_NAME}, has {get}")
    if not pod.get("securityContext", {}).get("runAsNonRoot") and not c.get("securityContext", {}).get("runAsNonRoot"):
        problems.add(dpath, "needs runAsNonRoot")
    # The config file reaches CONFIG_PATH from a ConfigMap's run.toml key.
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    cm_name = None
    for m in c.get("volumeMounts", []):
        v = volumes.get(m["name"], {}).get("configMap")
        if v:
            items = {i["key"]: i["path"] for i in v.get("items", [])}
            if f"{m['mountPath'].rstrip('/')}/{items.get(CONFIGMAP_KEY, CONFIGMAP_KEY)}" == CONFIG_PATH:
                cm_name = v["name"]
    if cm_name is None:
        problems.add(dpath, f"does not mount a ConfigMap's {CONFIGMAP_KEY} at {CONFIG_PATH}")
        return None, {}, {}, dep
    cpath, cm = named(docs, "ConfigMap", cm_name, problems, where)
    text = cm.get("data", {}).get(CONFIGMAP_KEY)
    config = {}
    if text is None:
        problems.add(cpath, f"has no {CONFIGMAP_KEY} key")
    else:
        config = tomllib.loads(text)
        listen = config.get("service", {}).get("listen")
        if listen != f"0.0.0.0:{PORT}":
            problems.add(cpath, f"service.listen must be \"0.0.0.0:{PORT}\" in a container, is {listen!r}")
        if "owner_id" in config.get("checkpoint", {}):
            problems.add(cpath, "sets checkpoint.owner_id: every replica would share it; leave it out (the pod name is used)")
    # The Service and ServiceMonitor reach the port by name.
    if svc:
        if not all(pod_labels.get(k) == v for k, v in svc["spec"].get("selector", {}).items()):
            problems.add(spath, "selector does not match the Deployment's pod labels")
        sp = [p for p in svc["spec"].get("ports", []) if p.get("name") == PORT_NAME]
        if not sp or sp[0].get("targetPort") not in (PORT_NAME, PORT):
            problems.add(spath, f"needs a port named {PORT_NAME!r} targeting {PORT_NAME!r}")
    if mon and svc:
        sel = mon["spec"].get("selector", {}).get("matchLabels", {})
        if not all(svc["metadata"].get("labels", {}).get(k) == v for k, v in sel.items()):
            problems.add(mpath, "selector does not match the Service's labels")
        eps = mon["spec"].get("endpoints", [])
        if not eps or any(e.get("port") != PORT_NAME or e.get("path", "/metrics") != METRICS_PATH for e in eps):
            problems.add(mpath, f"endpoints must scrape port {PORT_NAME!r} at {METRICS_PATH}")
    env = {e["name"]: e["value"] for e in c.get("env", []) if "value" in e}
    return text, config, env, dep


def check_keda(deploy, config, env, dep, problems):
    docs = kube(deploy)
    spath, so = named(docs, "ScaledObject", APP, problems, deploy / "kubernetes")
    if not so:
        return []
    auths = {d["metadata"]["name"] for _, d in docs.get("TriggerAuthentication", [])}
    if dep and so["spec"]["scaleTargetRef"].get("name") != dep["metadata"]["name"]:
        problems.add(spath, "scaleTargetRef does not name the Deployment")
    queries = []
    hubs = [t for t in so["spec"]["triggers"] if t["type"] == "azure-eventhub"]
    if not hubs:
        problems.add(spath, "has no azure-eventhub trigger")
    for t in so["spec"]["triggers"]:
        ref = t.get("authenticationRef", {}).get("name")
        if ref and ref not in auths:
            problems.add(spath, f"authenticationRef {ref!r} has no TriggerAuthentication beside it")
        if t["type"] == "prometheus" and "query" in t.get("metadata", {}):
            queries.append((f"{spath} trigger prometheus", t["metadata"]["query"]))
    source = config.get("source", {}).get("eventhubs", {})
    for t in hubs:
        md = t.get("metadata", {})
        unknown = set(md) - KEDA_EVENTHUB_KEYS
        if unknown:
            problems.add(spath, f"azure-eventhub trigger keys KEDA does not read: {sorted(unknown)}")
        if md.get("checkpointStrategy") != "blobMetadata":
            problems.add(spath, "checkpointStrategy must be blobMetadata (the only one that reads our blobs)")
        ns, hub = md.get("eventHubNamespace", ""), md.get("eventHubName", "")
        for key, value in (("eventHubNamespace", ns), ("eventHubName", hub)):
            if value != value.lower():
                problems.add(spath, f"{key} {value!r} must be lower-cased: our checkpoint blobs are, and KEDA does not lower-case it")
        cloud = md.get("cloud", "AzurePublicCloud")
        suffix = md.get("endpointSuffix") if cloud == "Private" else KEDA_SERVICEBUS_SUFFIX.get(cloud)
        want_ns = source.get("namespace", "").lower()
        if f"{ns}.{suffix}" != want_ns:
            problems.add(spath, f"eventHubNamespace {ns!r} (+ .{suffix}) is not the config's namespace {want_ns!r}")
        if hub != source.get("hub", "").lower():
            problems.add(spath, f"eventHubName {hub!r} is not the config's hub {source.get('hub', '').lower()!r}")
        group = source.get("consumer_group", "$Default").lower()
        if md.get("consumerGroup", "$Default").lower() != group:
            problems.add(spath, f"consumerGroup {md.get('consumerGroup')!r} is not the config's {group!r}")
        store = urlparse(config.get("checkpoint", {}).get("store", ""))
        if store.scheme not in ("az", "azure", "abfs", "abfss") or store.path.strip("/"):
            problems.add(spath, f"checkpoint.store {config.get('checkpoint', {}).get('store')!r} must be az://<container> with no path: KEDA reads checkpoints at the container's root")
        elif md.get("blobContainer") != store.netloc.split("@")[0]:
            problems.add(spath, f"blobContainer {md.get('blobContainer')!r} is not checkpoint.store's container {store.netloc!r}")
        if "storageAccountName" in md and md["storageAccountName"] != env.get("AZURE_STORAGE_ACCOUNT_NAME"):
            problems.add(spath, f"storageAccountName {md['storageAccountName']!r} is not the Deployment's AZURE_STORAGE_ACCOUNT_NAME {env.get('AZURE_STORAGE_ACCOUNT_NAME')!r}")
    return queries


def check_run_example(repo, problems):
    path = repo / "config" / "run.example.toml"
    config = tomllib.loads(path.read_text())
    if "owner_id" in config.get("checkpoint", {}):
        problems.add(path, "sets checkpoint.owner_id: replicas started from it would share one; leave it out (the host name is used)")
    listen = config.get("service", {}).get("listen")
    if listen is not None and not listen.endswith(f":{PORT}"):
        problems.add(path, f"service.listen {listen!r} is not on port {PORT}")
    return path


def queries(deploy):
    """(where, PromQL) of the dashboard and the alert rules."""
    out = []
    dash_path = deploy / "grafana" / "aad-ingest.json"
    dash = json.loads(dash_path.read_text())

    def walk(node, where):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "expr" and isinstance(v, str):
                    out.append((where, v))
                elif k == "query" and isinstance(v, str) and "label_values" in v:
                    m = re.match(r"label_values\((.+),\s*\w+\)\s*$", v)
                    if m:
                        out.append((where, m.group(1)))
                else:
                    walk(v, f"{dash_path} panel {node['title']!r}" if "title" in node and "gridPos" in node else where)
        elif isinstance(node, list):
            for v in node:
                walk(v, where)

    walk(dash, f"{dash_path} templating")
    rules_path = deploy / "prometheus" / "aad-ingest.rules.yml"
    for group in yaml.safe_load(rules_path.read_text())["groups"]:
        for rule in group["rules"]:
            out.append((f"{rules_path} {rule.get('alert') or rule.get('record')}", rule["expr"]))
    return out


GRAFANA_BUILTINS = {"__rate_interval", "__range", "__interval", "__interval_ms", "__range_s"}


def check_dashboard(deploy, problems):
    """Panels have unique ids and refIds, fit the 24-column grid without overlapping, and use
    only variables the dashboard defines."""
    path = deploy / "grafana" / "aad-ingest.json"
    dash = json.loads(path.read_text())
    defined = {v["name"] for v in dash.get("templating", {}).get("list", [])} | GRAFANA_BUILTINS
    panels = dash["panels"]
    ids = [p["id"] for p in panels]
    if len(ids) != len(set(ids)):
        problems.add(path, f"panel ids repeat: {sorted(i for i in ids if ids.count(i) > 1)}")
    boxes = []
    for p in panels:
        g = p["gridPos"]
        if g["x"] < 0 or g["x"] + g["w"] > 24:
            problems.add(path, f"panel {p['title']!r} is outside the 24-column grid: {g}")
        for title, o in boxes:
            if g["x"] < o["x"] + o["w"] and o["x"] < g["x"] + g["w"] and g["y"] < o["y"] + o["h"] and o["y"] < g["y"] + g["h"]:
                problems.add(path, f"panels {title!r} and {p['title']!r} overlap")
        boxes.append((p["title"], g))
        refs = [t["refId"] for t in p.get("targets", [])]
        if len(refs) != len(set(refs)):
            problems.add(path, f"panel {p['title']!r} repeats a refId")
    used = set(re.findall(r"\$\{?(\w+)", json.dumps({k: v for k, v in dash.items() if k != "templating"})))
    for name in sorted(used - defined):
        problems.add(path, f"uses ${name}, which the dashboard does not define")


def recorded_names(deploy):
    rules = yaml.safe_load((deploy / "prometheus" / "aad-ingest.rules.yml").read_text())
    return {r["record"] for g in rules["groups"] for r in g["rules"] if "record" in r}


def check_metrics(refs, exposition, recorded, problems):
    for where, expr in refs:
        names = {n for n, _ in selectors(expr)}
        for name in sorted(names - recorded):
            if not exposition.has(name):
                problems.add(where, f"metric {name} is not on /metrics")
        for name in sorted(rated_names(expr) - recorded):
            kind = exposition.series_kind.get(name)
            if kind not in (None, "counter", "untyped"):
                problems.add(where, f"rate()/increase() over {name}, which is a {kind}, not a counter")
        # Labels matched or grouped by must be on the series (when the exposition shows any).
        known = set()
        for name in names:
            known |= exposition.labels(name)
        if not known:
            continue
        used = set(grouping_labels(expr))
        for _, matched in selectors(expr):
            used |= matched
        histogram = any(n.endswith("_bucket") for n in names)
        for label in sorted(used - known - TARGET_LABELS - ({"le"} if histogram else set()) - {"__name__"}):
            problems.add(where, f"label {label!r} is on none of {sorted(names)}")


def filled(expr):
    """A dashboard query with Grafana's variables filled in as Grafana would (all jobs)."""
    return (expr.replace("$__rate_interval", "1m").replace("$__range", "1h")
            .replace("$__interval", "15s").replace('"$job"', '".+"'))


def dashboard_rules(refs, path):
    """The dashboard's queries as recording rules, Grafana's variables filled in."""
    rules = []
    for i, (where, expr) in enumerate(refs):
        if "grafana" not in str(where):
            continue
        rules.append({"record": f"dashboard:query_{i}", "expr": filled(expr)})
    Path(path).write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, sort_keys=False))
    return len(rules)


def evaluate(refs, prometheus, problems):
    """Run every query on a Prometheus server's HTTP API; returns {where + expr: series count}.
    A query the server refuses is a problem; an empty answer is not (no dead letter yet)."""
    answers = {}
    for where, expr in refs:
        url = f"{prometheus.rstrip('/')}/api/v1/query?" + urllib.parse.urlencode({"query": filled(expr)})
        try:
            with urllib.request.urlopen(url, timeout=30) as r:
                body = json.load(r)
        except urllib.error.HTTPError as e:
            body = json.load(e)
        except urllib.error.URLError as e:
            problems.add(prometheus, f"cannot query Prometheus: {e.reason}")
            return answers
        if body.get("status") != "success":
            problems.add(where, f"Prometheus refuses {filled(expr)!r}: {body.get('error')}")
            continue
        answers[(where, expr)] = len(body["data"]["result"])
    return answers


# --- the binary --------------------------------------------------------------------------------

def check_binary(binary, repo, config_text, env, problems):
    def run(*args, extra_env=None):
        e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
        e.update(extra_env or {})
        return subprocess.run([binary, *args], capture_output=True, text=True, env=e, timeout=60)

    top = run("--help")
    if top.returncode != 0:
        problems.add(binary, f"--help exits {top.returncode}: {top.stderr.strip()[:300]}")
        return
    commands = set(re.findall(r"^\s{2}([a-z][a-z0-9-]*)\s", top.stdout.split("Commands:", 1)[-1].split("Options:", 1)[0], re.M))
    for sub in SUBCOMMANDS:
        if sub not in commands:
            problems.add(f"{binary} --help", f"lists no `{sub}` subcommand (has {sorted(commands)})")
    # The option's block runs to the next option line ("-h, --help", "--x"); its values are
    # "[possible values: a, b]" (short help) or "- a: …" lines (long help of a documented enum).
    m = re.search(r"--log-format\b[^\n]*(?:\n(?!\s*-[-\w])[^\n]*)*", top.stdout)
    if not m:
        problems.add(f"{binary} --help", "offers no --log-format")
    else:
        inline = re.search(r"\[possible values: ([^\]]+)\]", m.group(0))
        offered = ({v.strip() for v in inline.group(1).split(",")} if inline
                   else set(re.findall(r"(?m)^\s*- ([\w-]+)", m.group(0))))
        if offered != LOG_FORMATS:
            problems.add(f"{binary} --help", f"--log-format offers {sorted(offered)}, the files use {sorted(LOG_FORMATS)}")
    for sub in SUBCOMMANDS:
        h = run(sub, "--help")
        if h.returncode != 0 or not re.search(r"-c, --config\b", h.stdout):
            problems.add(f"{binary} {sub} --help", "offers no `-c, --config`")
    if "--json" not in run("status", "--help").stdout:
        problems.add(f"{binary} status --help", "offers no --json")
    # The shipped configs are ones the program accepts, with the environment they run with.
    with tempfile.TemporaryDirectory() as tmp:
        token = Path(tmp) / "token"
        token.write_text("x")
        workload = {  # what the Azure workload identity webhook injects
            "AZURE_CLIENT_ID": "00000000-0000-0000-0000-000000000000",
            "AZURE_TENANT_ID": "00000000-0000-0000-0000-000000000000",
            "AZURE_FEDERATED_TOKEN_FILE": str(token),
            "AZURE_AUTHORITY_HOST": "https://login.microsoftonline.com/",
        }
        configs = [("config/run.example.toml", repo / "config" / "run.example.toml", {"AZURE_STORAGE_ACCOUNT_NAME": "example"})]
        if config_text is not None:
            k8s = Path(tmp) / "run.toml"
            k8s.write_text(config_text)
            configs.append(("kubernetes/configmap.yaml run.toml", k8s, {**env, **workload}))
        for name, path, extra in configs:
            r = run("check-config", "-c", str(path), extra_env=extra)
            if r.returncode != 0:
                problems.add(f"{binary} check-config", f"refuses {name}: {(r.stderr or r.stdout).strip()[:500]}")


def check(repo, exposition=None, binary=None, cargo=True, promql_rules_out=None, prometheus=None):
    repo = Path(repo)
    deploy = repo / "config" / "deploy"
    problems = Problems()
    check_systemd(deploy, problems)
    check_dockerfile(deploy, repo, problems, cargo)
    config_text, config, env, dep = check_kubernetes(deploy, problems)
    check_dashboard(deploy, problems)
    refs = queries(deploy)
    refs += check_keda(deploy, config, env, dep, problems)
    check_run_example(repo, problems)
    if promql_rules_out:
        dashboard_rules(refs, promql_rules_out)
    if exposition is not None:
        check_metrics(refs, Exposition(exposition), recorded_names(deploy), problems)
    if binary is not None:
        check_binary(binary, repo, config_text, env, problems)
    if prometheus is not None:
        answered = evaluate(refs, prometheus, problems)
        print(f"{sum(1 for n in answered.values() if n)} of {len(refs)} queries returned series from {prometheus}")
    names = set()
    for _, expr in refs:
        names |= metric_names(expr)
    return problems, names


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repo", default=Path(__file__).resolve().parents[2])
    p.add_argument("--exposition", type=Path)
    p.add_argument("--binary")
    p.add_argument("--no-cargo", action="store_true")
    p.add_argument("--promql-rules-out")
    p.add_argument("--prometheus")
    a = p.parse_args()
    text = a.exposition.read_text() if a.exposition else None
    problems, names = check(a.repo, text, a.binary, not a.no_cargo, a.promql_rules_out, a.prometheus)
    for line in problems:
        print(line)
    if problems:
        print(f"deploy contract: {len(problems)} problem(s)", file=sys.stderr)
        sys.exit(1)
    print(f"deploy contract: ok ({len(names)} metric names referenced"
          f"{', all on /metrics' if text is not None else ''}"
          f"{', binary help and check-config agree' if a.binary else ''})")


if __name__ == "__main__":
    main()

"""Tests of tests/py/deploy_contract.py and tests/py/crd_validate.py: the shipped deployment files
pass against a hand-made exposition of the contract's metrics, and each kind of mismatch between
the files and the program is reported, naming the file and the fact.

  python -m unittest tests/py/test_deploy_contract.py
"""
import json
import re
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
import urllib.parse
import urllib.request
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import crd_validate  # noqa: E402
import deploy_contract  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SAMPLE = (Path(__file__).resolve().parent / "fixtures" / "deploy-metrics.prom").read_text()


def without_family(text, family):
    return "\n".join(l for l in text.splitlines() if family not in l) + "\n"


class Repo:
    """A scratch copy of the files the contract reads, to change one fact at a time."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="deploy-contract-"))
        shutil.copytree(REPO / "config" / "deploy", self.dir / "config" / "deploy")
        shutil.copy(REPO / "config" / "run.example.toml", self.dir / "config" / "run.example.toml")
        shutil.copy(REPO / "Cargo.toml", self.dir / "Cargo.toml")

    def edit(self, rel, old, new, count=1):
        path = self.dir / rel
        text = path.read_text()
        self_check = text.count(old)
        assert self_check >= count, f"{old!r} is not in {rel} (the test would prove nothing)"
        path.write_text(text.replace(old, new, count))
        return self

    def problems(self, exposition=SAMPLE, binary=None):
        problems, _ = deploy_contract.check(self.dir, exposition, binary, cargo=False)
        return problems

    def close(self):
        shutil.rmtree(self.dir)


class ShippedFiles(unittest.TestCase):
    def test_pass_against_the_contract_sample(self):
        problems, names = deploy_contract.check(REPO, SAMPLE, None, cargo=False)
        self.assertEqual(problems, [])
        # The dashboard and rules cover throughput, lag, dead letters, destinations, ownership.
        for name in ("aad_ingest_received_bytes_total", "aad_ingest_partition_lag_seconds",
                     "aad_ingest_partition_lag_events", "aad_ingest_dead_letters_total",
                     "aad_ingest_destination_requests_total", "aad_ingest_destination_up",
                     "aad_ingest_destination_request_duration_seconds_bucket",
                     "aad_ingest_partitions_owned", "aad_ingest_ready"):
            self.assertIn(name, names)

    def test_every_reference_is_a_contract_metric(self):
        # Everything the files name is in the sample, which lists the contract's metrics only.
        sample = deploy_contract.Exposition(SAMPLE)
        _, names = deploy_contract.check(REPO, None, None, cargo=False)
        self.assertEqual(sorted(n for n in names if not sample.has(n)), [])


class Metrics(unittest.TestCase):
    def setUp(self):
        self.repo = Repo()

    def tearDown(self):
        self.repo.close()

    def test_a_metric_missing_from_metrics_is_named_where_used(self):
        problems = self.repo.problems(without_family(SAMPLE, "aad_ingest_partition_lag_seconds"))
        self.assertTrue(problems)
        self.assertTrue(all("aad_ingest_partition_lag_seconds is not on /metrics" in p for p in problems), problems)
        where = {p.split(": metric")[0].rsplit(" ", 1)[-1] for p in problems}
        for user in ("AadIngestLagGrowing", "AadIngestLagHigh", "(time)'", "lag'"):
            self.assertIn(user, where)

    def test_a_histogram_without_buckets_is_missing(self):
        text = re.sub(r"(?m)^aad_ingest_commit_duration_seconds_bucket.*\n", "", SAMPLE)
        text = text.replace("# TYPE aad_ingest_commit_duration_seconds histogram", "# TYPE aad_ingest_commit_duration_seconds summary")
        problems = self.repo.problems(text)
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("Commit latency (p95)", problems[0])
        self.assertIn("aad_ingest_commit_duration_seconds_bucket is not on /metrics", problems[0])

    def test_openmetrics_counters_typed_without_total_are_found(self):
        text = re.sub(r"(?m)^# (TYPE|HELP) (\w+)_total ", r"# \1 \2 ", SAMPLE)
        self.assertIn("# TYPE aad_ingest_dead_letters counter", text)
        self.assertEqual(self.repo.problems(text), [])

    def test_rate_over_a_gauge_is_refused(self):
        text = SAMPLE.replace("# TYPE aad_ingest_dead_letters_total counter", "# TYPE aad_ingest_dead_letters_total gauge")
        problems = self.repo.problems(text)
        self.assertTrue(problems)
        self.assertTrue(all("over aad_ingest_dead_letters_total, which is a gauge" in p for p in problems), problems)

    def test_a_label_not_on_the_series_is_refused(self):
        self.repo.edit("config/deploy/grafana/aad-ingest.json", "sum by (reason) (increase(aad_ingest_dead_letters_total",
                       "sum by (reasons) (increase(aad_ingest_dead_letters_total")
        problems = self.repo.problems()
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("label 'reasons' is on none of ['aad_ingest_dead_letters_total']", problems[0])

    def test_a_misspelt_metric_in_a_rule_is_refused(self):
        self.repo.edit("config/deploy/prometheus/aad-ingest.rules.yml", "sum by (job) (aad_ingest_partitions_owned)",
                       "sum by (job) (aad_ingest_partition_owned)")
        problems = self.repo.problems()
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("AadIngestNoPartitionsOwned: metric aad_ingest_partition_owned is not on /metrics", problems[0])


class Files(unittest.TestCase):
    """One changed fact each; the problem names the file and the fact."""

    CASES = [
        ("config/deploy/systemd/aad-ingest.service", "ExecStart=/usr/local/bin/aad-ingest", "ExecStart=/usr/bin/aad-ingest",
         "aad-ingest.service ExecStart: runs ['/usr/bin/aad-ingest'] instead of /usr/local/bin/aad-ingest"),
        ("config/deploy/systemd/aad-ingest.service", "--log-format text run", "--log-format plain run",
         "--log-format 'plain' is not one of"),
        ("config/deploy/systemd/aad-ingest.service", "check-config -c /etc/aad-ingest/run.toml", "check-config -c /etc/aad-ingest.toml",
         "ExecStartPre: `check-config` is not given `-c /etc/aad-ingest/run.toml`"),
        ("config/deploy/systemd/aad-ingest.service", "ProtectSystem=strict", "ProtectSystem=full",
         "needs ProtectSystem=strict"),
        ("config/deploy/Dockerfile", '"run", "-c"', '"run", "--conf"',
         "ENTRYPOINT+CMD: `run` is not given `-c /etc/aad-ingest/run.toml`"),
        ("config/deploy/Dockerfile", "EXPOSE 9464", "EXPOSE 8080", "does not EXPOSE 9464"),
        ("config/deploy/Dockerfile", "USER 65532:65532", "USER root", "must set a non-root USER"),
        ("config/deploy/Dockerfile", "ARG RUST_VERSION=1.90", "ARG RUST_VERSION=1.87",
         "RUST_VERSION 1.87 is below the workspace's rust-version 1.88"),
        ("config/deploy/kubernetes/deployment.yaml", '"--log-format", "json", ', "",
         "`run` without --log-format"),
        ("config/deploy/kubernetes/deployment.yaml", "containerPort: 9464", "containerPort: 9465",
         "needs containerPort 9464 named 'metrics'"),
        ("config/deploy/kubernetes/deployment.yaml", "path: /readyz", "path: /ready",
         "readinessProbe must GET /readyz on port metrics"),
        ("config/deploy/kubernetes/deployment.yaml", "mountPath: /etc/aad-ingest\n", "mountPath: /etc/aad\n",
         "does not mount a ConfigMap's run.toml at /etc/aad-ingest/run.toml"),
        ("config/deploy/kubernetes/deployment.yaml", "spec:\n  selector:", "spec:\n  replicas: 2\n  selector:",
         "sets spec.replicas"),
        ("config/deploy/kubernetes/configmap.yaml", 'listen = "0.0.0.0:9464"', 'listen = "127.0.0.1:9464"',
         'service.listen must be "0.0.0.0:9464" in a container'),
        ("config/deploy/kubernetes/configmap.yaml", "    strategy = ", '    owner_id = "aad-ingest-0"\n    strategy = ',
         "configmap.yaml: sets checkpoint.owner_id"),
        ("config/deploy/kubernetes/service.yaml", "targetPort: metrics", "targetPort: http",
         "needs a port named 'metrics' targeting 'metrics'"),
        ("config/deploy/kubernetes/servicemonitor.yaml", "path: /metrics", "path: /prometheus",
         "endpoints must scrape port 'metrics' at /metrics"),
        ("config/deploy/kubernetes/scaledobject.yaml", "eventHubNamespace: contoso-entra", "eventHubNamespace: Contoso-Entra",
         "eventHubNamespace 'Contoso-Entra' must be lower-cased"),
        ("config/deploy/kubernetes/scaledobject.yaml", "eventHubName: insights-logs-entra", "eventHubName: insights-logs-signin",
         "eventHubName 'insights-logs-signin' is not the config's hub 'insights-logs-entra'"),
        ("config/deploy/kubernetes/scaledobject.yaml", "consumerGroup: aad-ingest", "consumerGroup: $Default",
         "consumerGroup '$Default' is not the config's 'aad-ingest'"),
        ("config/deploy/kubernetes/scaledobject.yaml", "        checkpointStrategy: blobMetadata", "        checkpointStrategy: azureFunction",
         "checkpointStrategy must be blobMetadata"),
        ("config/deploy/kubernetes/scaledobject.yaml", "blobContainer: eventhub-checkpoints", "blobContainer: checkpoints",
         "blobContainer 'checkpoints' is not checkpoint.store's container"),
        ("config/deploy/kubernetes/scaledobject.yaml", "storageAccountName: contosoentralake", "storageAccountName: other",
         "storageAccountName 'other' is not the Deployment's AZURE_STORAGE_ACCOUNT_NAME"),
        ("config/deploy/kubernetes/scaledobject.yaml", "cloud: AzurePublicCloud", "cloud: AzureChinaCloud",
         "eventHubNamespace 'contoso-entra' (+ .servicebus.chinacloudapi.cn) is not the config's namespace"),
        ("config/deploy/kubernetes/scaledobject.yaml", "        checkpointStrategy: blobMetadata", "        checkpointStrategy: blobMetadata\n        checkpointStrategyy: x",
         "azure-eventhub trigger keys KEDA does not read: ['checkpointStrategyy']"),
        ("config/deploy/kubernetes/configmap.yaml", 'store = "az://eventhub-checkpoints"', 'store = "az://eventhub-checkpoints/entra"',
         "must be az://<container> with no path"),
        ("config/deploy/grafana/aad-ingest.json", '"x": 4,\n        "y": 1,', '"x": 2,\n        "y": 1,',
         "panels 'Replicas ready' and 'Partitions owned' overlap"),
        ("config/deploy/grafana/aad-ingest.json", 'job=~\\"$job\\"', 'job=~\\"$jobs\\"',
         "uses $jobs, which the dashboard does not define"),
        ("config/run.example.toml", "[checkpoint]\n", '[checkpoint]\nowner_id = "aad-ingest-0"\n',
         "run.example.toml: sets checkpoint.owner_id"),
    ]

    def test_each_mismatch_is_reported(self):
        for rel, old, new, expected in self.CASES:
            with self.subTest(file=rel, change=new):
                repo = Repo()
                try:
                    problems = repo.edit(rel, old, new).problems()
                finally:
                    repo.close()
                self.assertTrue(any(expected in p for p in problems), f"{expected!r} not in {problems}")

    def test_the_docker_toolchain_must_build_every_locked_dependency(self):
        name, need = deploy_contract.locked_rust_version(REPO)  # cargo metadata --offline
        workspace = "1.88"
        repo = Repo()
        try:
            # cargo metadata reads the workspace: its lock file and members, linked into the copy.
            for part in ("Cargo.lock", "schemas", "ingest", "benches", "tests", "vendor"):
                (repo.dir / part).symlink_to(REPO / part)
            repo.edit("config/deploy/Dockerfile", "ARG RUST_VERSION=1.90", f"ARG RUST_VERSION={workspace}")
            problems, _ = deploy_contract.check(repo.dir, None, None, cargo=True)
        finally:
            repo.close()
        if deploy_contract.version_tuple(need) > deploy_contract.version_tuple(workspace):
            self.assertEqual(len(problems), 1, problems)
            self.assertIn(f"RUST_VERSION {workspace} is below {name}'s rust-version {need}", problems[0])
        else:
            self.assertEqual(problems, [])

    def test_other_workloads_beside_the_service_are_allowed_but_run_the_images_binary(self):
        job = textwrap.dedent("""\
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: aad-ingest-other
            data:
              run.toml: ""
            ---
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: aad-ingest-other
            spec:
              template:
                spec:
                  restartPolicy: Never
                  containers:
                    - name: other
                      image: aad-ingest:0.1.0
                      command: ["/usr/local/bin/aad-ingest"]
                      args: ["convert", "--out", "az://lake/entra"]
            """)
        repo = Repo()
        try:
            path = repo.dir / "config" / "deploy" / "kubernetes" / "other-job.yaml"
            path.write_text(job)
            self.assertEqual(repo.problems(), [])
            path.write_text(job.replace('["/usr/local/bin/aad-ingest"]', '["/aad-ingest"]'))
            self.assertEqual([p.split("kubernetes/", 1)[1] for p in repo.problems()],
                             ["other-job.yaml: container 'other' runs /aad-ingest instead of /usr/local/bin/aad-ingest"])
        finally:
            repo.close()

    def test_a_mixed_case_config_namespace_matches_its_lower_cased_trigger(self):
        repo = Repo()
        try:
            repo.edit("config/deploy/kubernetes/configmap.yaml", 'namespace = "contoso-entra.servicebus.windows.net"',
                      'namespace = "Contoso-Entra.servicebus.windows.net"')
            repo.edit("config/deploy/kubernetes/configmap.yaml", 'hub = "insights-logs-entra"', 'hub = "Insights-Logs-Entra"')
            self.assertEqual(repo.problems(), [])
        finally:
            repo.close()


class Binary(unittest.TestCase):
    """The binary's help and check-config, through a stand-in printing clap's help layout."""

    TOP = """\
        Drain Entra ID activity logs into a typed Parquet lake

        Usage: aad-ingest [OPTIONS] <COMMAND>

        Commands:
          run           Run the service: Event Hubs to the destinations
          check-config  Check a config offline and print it with secrets masked
          status        Each partition's owner, checkpoint and lag
          help          Print this message or the help of the given subcommand(s)

        Options:
              --log-format <LOG_FORMAT>
                  Log line format: text on a terminal, JSON lines otherwise

                  [default: auto]
                  [possible values: auto, text, json]

          -h, --help
                  Print help
        """
    SUB = """\
        Usage: aad-ingest SUB [OPTIONS] --config <CONFIG>

        Options:
          -c, --config <CONFIG>  The service's TOML config
              --json             For scripts
          -h, --help             Print help
        """

    def fake(self, top=TOP, sub=SUB, check_config_exit=0):
        d = Path(tempfile.mkdtemp(prefix="fake-aad-ingest-"))
        self.addCleanup(shutil.rmtree, d)
        (d / "top.txt").write_text(textwrap.dedent(top))
        (d / "sub.txt").write_text(textwrap.dedent(sub))
        script = d / "aad-ingest"
        script.write_text(textwrap.dedent(f"""\
            #!/bin/sh
            case "$1 $2" in
              "--help "*) cat {d}/top.txt ;;
              *" --help") sed "s/SUB/$1/" {d}/sub.txt ;;
              "check-config -c") echo "== $3" >> {d}/checked; cat "$3" >> {d}/checked || exit 3; exit {check_config_exit} ;;
              *) exit 2 ;;
            esac
            """))
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
        return script, d

    def problems(self, binary):
        problems, _ = deploy_contract.check(REPO, None, str(binary), cargo=False)
        return problems

    def test_a_binary_with_the_contracts_flags_passes_and_checks_both_configs(self):
        binary, d = self.fake()
        self.assertEqual(self.problems(binary), [])
        checked = (d / "checked").read_text()
        self.assertEqual(len(re.findall(r"(?m)^== ", checked)), 2)
        self.assertIn((REPO / "config" / "run.example.toml").read_text(), checked)
        self.assertIn('auth = { method = "workload_identity" }', checked)  # the ConfigMap's run.toml

    def test_missing_log_format_is_refused(self):
        binary, _ = self.fake(top=self.TOP.replace("--log-format <LOG_FORMAT>", "--verbose"))
        self.assertTrue(any("offers no --log-format" in p for p in self.problems(binary)))

    def test_other_log_formats_are_refused(self):
        binary, _ = self.fake(top=self.TOP.replace("auto, text, json", "text, json"))
        self.assertTrue(any("--log-format offers ['json', 'text']" in p for p in self.problems(binary)))

    def test_the_long_help_list_of_documented_values_is_read(self):
        long = self.TOP.replace("""                  [default: auto]
                  [possible values: auto, text, json]
""", """                  Possible values:
                  - auto: Text on a terminal, JSON lines otherwise
                  - text: Human text
                  - json: JSON lines
""")
        binary, _ = self.fake(top=long)
        self.assertEqual(self.problems(binary), [])
        binary, _ = self.fake(top=long.replace("                  - json: JSON lines\n", ""))
        self.assertTrue(any("--log-format offers ['auto', 'text']" in p for p in self.problems(binary)))

    def test_a_missing_subcommand_is_refused(self):
        binary, _ = self.fake(top=self.TOP.replace("  status        Each partition's owner, checkpoint and lag\n", ""))
        self.assertTrue(any("lists no `status` subcommand" in p for p in self.problems(binary)))

    def test_a_config_check_config_refuses_is_reported(self):
        binary, _ = self.fake(check_config_exit=2)
        problems = self.problems(binary)
        self.assertTrue(any("refuses config/run.example.toml" in p for p in problems), problems)
        self.assertTrue(any("refuses kubernetes/configmap.yaml run.toml" in p for p in problems), problems)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RealPrometheus(unittest.TestCase):
    """Debian's Prometheus scrapes the contract sample; every dashboard, rule and trigger query
    runs on it, and the main panels return the sample's series."""

    @classmethod
    def setUpClass(cls):
        prometheus = shutil.which("prometheus")
        if prometheus is None:
            raise AssertionError("prometheus is not installed (Debian package prometheus; scripts/check-deploy installs it)")
        cls.tmp = Path(tempfile.mkdtemp(prefix="deploy-prometheus-"))
        shutil.copy(Path(__file__).resolve().parent / "fixtures" / "deploy-metrics.prom", cls.tmp / "metrics")
        web, api = free_port(), free_port()
        cls.procs = [subprocess.Popen([sys.executable, "-m", "http.server", str(web), "--bind", "127.0.0.1",
                                       "--directory", str(cls.tmp)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
        (cls.tmp / "prometheus.yml").write_text(yaml.safe_dump({
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "scrape_configs": [{"job_name": "aad-ingest", "metrics_path": "/metrics",
                                "static_configs": [{"targets": [f"127.0.0.1:{web}"]}]}]}))
        cls.procs.append(subprocess.Popen(
            [prometheus, f"--config.file={cls.tmp / 'prometheus.yml'}", f"--storage.tsdb.path={cls.tmp / 'data'}",
             f"--web.listen-address=127.0.0.1:{api}"], stdout=subprocess.DEVNULL, stderr=cls.log()))
        cls.url = f"http://127.0.0.1:{api}"
        # rate() needs two samples in its window: wait for three scrapes.
        deadline = time.monotonic() + 120
        while cls.query("count_over_time(aad_ingest_ready[1m])") < [3]:
            if time.monotonic() > deadline or any(p.poll() is not None for p in cls.procs):
                cls.tearDownClass()
                raise AssertionError(f"Prometheus did not scrape the sample; its log: {(cls.tmp / 'prometheus.log').read_text()[-2000:]}")
            time.sleep(0.5)

    @classmethod
    def log(cls):
        cls.log_file = open(cls.tmp / "prometheus.log", "w")
        return cls.log_file

    @classmethod
    def query(cls, q):
        try:
            with urllib.request.urlopen(f"{cls.url}/api/v1/query?" + urllib.parse.urlencode({"query": q}), timeout=10) as r:
                return [float(x["value"][1]) for x in json.load(r)["data"]["result"]]
        except OSError:
            return []

    @classmethod
    def tearDownClass(cls):
        for p in cls.procs:
            p.terminate()
            p.wait()
        cls.log_file.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_every_query_runs_and_the_main_panels_show_the_sample(self):
        problems = deploy_contract.Problems()
        refs = deploy_contract.queries(REPO / "config" / "deploy")
        answers = deploy_contract.evaluate(refs, self.url, problems)
        self.assertEqual(problems, [])
        self.assertEqual(len(answers), len(refs))
        by_title = {}
        for (where, _), n in answers.items():
            by_title.setdefault(where.split("panel ", 1)[-1], []).append(n)
        self.assertEqual(by_title["'Lag per partition (time)'"], [2])  # partitions 0 and 1
        self.assertEqual(by_title["'Bytes in per partition'"], [2])
        self.assertEqual(by_title["'Rows written per table and destination'"], [2])
        self.assertEqual(by_title["'Requests by status'"], [2])
        self.assertEqual(by_title["'Request latency'"], [1, 1, 1])  # p50, p95, p99 of sentinel
        self.assertEqual(by_title["'Destinations up'"], [2])
        self.assertEqual(by_title["'Partitions owned'"], [1])
        self.assertEqual(self.query("sum(aad_ingest_partitions_owned)"), [2])
        # The sample is healthy: no alert's expression has a result.
        for where, n in answers.items():
            if "rules.yml" in str(where[0]):
                self.assertEqual(n, 0, where)

    def test_a_query_prometheus_refuses_is_a_problem(self):
        problems = deploy_contract.Problems()
        deploy_contract.evaluate([("here", "sum by (x) (rate(aad_ingest_ready))")], self.url, problems)
        self.assertEqual(len(problems), 1)
        self.assertIn("here: Prometheus refuses", problems[0])


class PromQL(unittest.TestCase):
    def test_names_labels_and_rated_series(self):
        expr = ('histogram_quantile(0.95, sum by (le, destination) (rate(aad_ingest_commit_duration_seconds_bucket'
                '{job=~"$job",status!~"2.."}[$__rate_interval]))) / on (destination) group_left '
                'max by (destination) (aad_ingest_destination_up offset 5m) * 1e3 > bool 0')
        self.assertEqual(deploy_contract.metric_names(expr),
                         {"aad_ingest_commit_duration_seconds_bucket", "aad_ingest_destination_up"})
        self.assertEqual(deploy_contract.grouping_labels(expr), {"le", "destination"})
        self.assertEqual(deploy_contract.rated_names(expr), {"aad_ingest_commit_duration_seconds_bucket"})
        self.assertEqual(dict(deploy_contract.selectors(expr))["aad_ingest_commit_duration_seconds_bucket"], {"job", "status"})

    def test_label_values_and_strings_are_not_names(self):
        self.assertEqual(deploy_contract.metric_names('absent(up{job="aad_ingest_ready"})'), {"up"})


class Crds(unittest.TestCase):
    def setUp(self):
        self.schemas = crd_validate.load_crds(REPO / "config" / "deploy" / "crds")
        self.docs = {d["kind"]: d for f in ("scaledobject.yaml", "servicemonitor.yaml")
                     for d in yaml.safe_load_all((REPO / "config" / "deploy" / "kubernetes" / f).read_text()) if d}

    def test_shipped_custom_resources_are_valid(self):
        self.assertEqual(sorted(self.docs), ["ScaledObject", "ServiceMonitor", "TriggerAuthentication"])
        for doc in self.docs.values():
            self.assertEqual(crd_validate.errors(doc, self.schemas), [])
        rule = crd_validate.prometheus_rule(REPO / "config" / "deploy" / "prometheus" / "aad-ingest.rules.yml")
        self.assertEqual(crd_validate.errors(rule, self.schemas), [])

    def test_a_misplaced_field_is_refused(self):
        so = self.docs["ScaledObject"]
        so["spec"]["checkpointStrategy"] = "blobMetadata"
        self.assertEqual(crd_validate.errors(so, self.schemas),
                         ["ScaledObject aad-ingest: spec: Additional properties are not allowed ('checkpointStrategy' was unexpected)"])

    def test_a_bad_enum_and_a_bad_type_are_refused(self):
        auth = self.docs["TriggerAuthentication"]
        auth["spec"]["podIdentity"]["provider"] = "azure-wrkload"
        self.assertIn("is not one of", crd_validate.errors(auth, self.schemas)[0])
        mon = self.docs["ServiceMonitor"]
        mon["spec"]["endpoints"][0]["honorLabels"] = "yes"
        self.assertIn("'yes' is not of type 'boolean'", crd_validate.errors(mon, self.schemas)[0])

    def test_a_kind_without_a_committed_crd_is_refused(self):
        doc = {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledJob", "metadata": {"name": "x"}, "spec": {}}
        self.assertEqual(crd_validate.errors(doc, self.schemas),
                         ["ScaledJob x: no CRD for keda.sh/v1alpha1 ScaledJob in the committed copies"])
        self.assertEqual(crd_validate.errors({"apiVersion": "apps/v1", "kind": "Deployment"}, self.schemas), [])


if __name__ == "__main__":
    unittest.main()

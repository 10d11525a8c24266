"""Validate custom resources against the OpenAPI schemas of their CustomResourceDefinitions.

  crd_validate.py --crds DIR [--rules-as-prometheusrule RULES] FILE...

Every document of each FILE whose apiVersion/kind a CRD in DIR defines is validated against that
version's openAPIV3Schema, strictly: an object schema that lists its properties rejects others (as
`kubectl apply`'s strict field validation does), unless it says x-kubernetes-preserve-unknown-fields.
A custom resource of a kind DIR has no CRD for is an error; core kinds (apiVersion without a dot
in its group) are left to kubernetes-validate. --rules-as-prometheusrule wraps a Prometheus rules
file in a PrometheusRule and validates that too. Prints one line per error; exits 1 if any.
"""
import argparse
import copy
import sys
from pathlib import Path

import jsonschema
import yaml


def load_crds(directory):
    """{(group/version, kind): schema} of every served version of every CRD in the directory."""
    schemas = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text()):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            spec = crd["spec"]
            for version in spec["versions"]:
                if version.get("served", True):
                    key = (f"{spec['group']}/{version['name']}", spec["names"]["kind"])
                    schemas[key] = strict(version["schema"]["openAPIV3Schema"])
    return schemas


def strict(schema):
    """The schema with unknown properties refused wherever the API server would prune them."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if ("properties" in node and "additionalProperties" not in node
                    and not node.get("x-kubernetes-preserve-unknown-fields")):
                node["additionalProperties"] = False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    # metadata is validated by the API server, not the CRD: any ObjectMeta is fine here.
    schema.get("properties", {}).get("metadata", {}).pop("additionalProperties", None)
    return schema


def errors(doc, schemas):
    """Error lines for one document, or [] when valid (or a core kind)."""
    api, kind = doc.get("apiVersion", ""), doc.get("kind", "")
    if "." not in api.split("/")[0] or "/" not in api:
        return []
    schema = schemas.get((api, kind))
    name = doc.get("metadata", {}).get("name", "?")
    if schema is None:
        return [f"{kind} {name}: no CRD for {api} {kind} in the committed copies"]
    validator = jsonschema.Draft4Validator(schema)
    return [f"{kind} {name}: {'.'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
            for e in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))]


def prometheus_rule(rules_path):
    """The rules file as the PrometheusRule the Prometheus operator loads."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "aad-ingest"},
        "spec": yaml.safe_load(Path(rules_path).read_text()),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--crds", required=True)
    p.add_argument("--rules-as-prometheusrule")
    p.add_argument("files", nargs="*")
    a = p.parse_args()
    schemas = load_crds(a.crds)
    found, checked = [], 0
    docs = [(f, d) for f in a.files for d in yaml.safe_load_all(Path(f).read_text()) if d]
    if a.rules_as_prometheusrule:
        docs.append((a.rules_as_prometheusrule, prometheus_rule(a.rules_as_prometheusrule)))
    for path, doc in docs:
        lines = errors(doc, schemas)
        checked += "." in doc.get("apiVersion", "").split("/")[0]
        found += [f"{path}: {line}" for line in lines]
    for line in found:
        print(line)
    if found:
        sys.exit(1)
    print(f"custom resources valid against their CRDs: {checked}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Validates the Kubernetes manifests in etc/k8s/ (docs/kubernetes.md).

    python3 tools/validate_k8s.py .build/debug/srs [--kubernetes-version 1.30 ...]

Checks, for every etc/k8s/*.yaml:
- each object against the Kubernetes OpenAPI schema, strictly (unknown fields are errors), with
  the PyPI package kubernetes-validate, for the oldest and the newest Kubernetes it knows (1.25,
  where CronJob batch/v1 is the only one left, and the latest) unless versions are given;
- each srs.conf embedded in a ConfigMap with `srs -t` of the given binary: exit 0 and no warning;
- what the schema cannot see: a header comment; Deployment/StatefulSet selectors match their pod
  labels and no two Deployments select each other's pods; every Service selects some pod; every
  ConfigMap, Secret and PVC a pod mounts exists; a ServiceMonitor (checked for its essentials,
  outside the Kubernetes schema) selects a Service with its ports; an HPA's target exists; every SwiftSRS container mounts its config at
  /usr/local/srs/conf, has requests and limits, a readiness probe on /readyz and a liveness
  probe on /healthz on the HTTP API port its config enables; a container with the preStop
  `etc/init.d/srs grace` hook has force_grace_quit on, and GRACE_TIMEOUT below the pod's
  terminationGracePeriodSeconds, and grace_max_wait below GRACE_TIMEOUT;
- the HLS cleanup CronJob's script, run on a scratch tree: it deletes old .ts/.m3u8/.tmp files and
  empty directories, and keeps fresh segments, static files and recordings;
- every script embedded in a ConfigMap (a `.py` key) is the repository's tools/hooks/ file of that
  name, as is, and compiles.
Exit status 0 when everything passes, 1 otherwise; 3 when kubernetes-validate is missing.
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile
import time

try:
    import yaml
    import kubernetes_validate
except ImportError as e:  # the XCTest skips on this status
    print(f"validate_k8s: {e}: pip install kubernetes-validate", file=sys.stderr)
    sys.exit(3)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRS_IMAGE = re.compile(r"^swiftsrs/srs(:|$)")
CONF_DIR = "/usr/local/srs/conf"
GRACE_HOOK = ["/usr/local/srs/etc/init.d/srs", "grace"]
# Labels the controllers add to pods (not in the templates).
CONTROLLER_LABELS = {"statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index"}


class Report:
    def __init__(self):
        self.errors = []
        self.checks = 0

    def check(self, ok, where, message):
        self.checks += 1
        if not ok:
            self.errors.append(f"{where}: {message}")
        return ok


def name_of(obj):
    return f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"


def pod_spec(obj):
    kind = obj.get("kind")
    if kind in ("Deployment", "StatefulSet"):
        return obj["spec"]["template"]["spec"]
    if kind == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return None


def template_labels(obj):
    if obj.get("kind") in ("Deployment", "StatefulSet"):
        return obj["spec"]["template"].get("metadata", {}).get("labels", {})
    return None


def selects(selector, labels):
    return all(labels.get(k) == v for k, v in selector.items())


def conf_directive(conf, name):
    """The first argument of a directive anywhere in the config text, or None."""
    m = re.search(r"^\s*" + re.escape(name) + r"\s+([^;\s]+)\s*;", conf, re.M)
    return m.group(1) if m else None


def api_port(conf):
    """The HTTP API port when http_api is enabled, else None."""
    m = re.search(r"http_api\s*\{([^}]*)\}", conf)
    if not m or conf_directive(m.group(1), "enabled") != "on":
        return None
    listen = conf_directive(m.group(1), "listen") or "1985"
    return int(listen.rsplit(":", 1)[-1])


def srs_test(binary, conf):
    """Runs `srs -t` on a config text in a scratch directory: (ok, output)."""
    with tempfile.TemporaryDirectory(prefix="srs-k8s-") as d:
        path = os.path.join(d, "srs.conf")
        with open(path, "w") as f:
            f.write(conf)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SRS_")}
        r = subprocess.run([binary, "-t", "-c", path], cwd=d, env=env, capture_output=True, text=True, timeout=30)
        out = r.stdout + r.stderr
        warnings = [line for line in out.splitlines() if "warning" in line.lower()]
        return r.returncode == 0 and not warnings, out.strip()


def check_file(path, objects, report, versions):
    rel = os.path.relpath(path, ROOT)
    with open(path) as f:
        text = f.read()
    report.check(text.startswith("# ") and "Deploys:" in text.split("\napiVersion:")[0], rel,
                 "needs a header comment saying what it deploys (a 'Deploys:' list)")
    docs = [d for d in yaml.safe_load_all(text) if d]
    report.check(len(docs) > 0, rel, "no objects")
    for obj in docs:
        where = f"{rel} {name_of(obj)}"
        if obj.get("apiVersion", "").startswith("monitoring.coreos.com/"):
            # A Prometheus Operator resource: not in the Kubernetes schema.
            check_service_monitor(obj, where, report)
            objects.append((rel, obj))
            continue
        for version in versions:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
                report.check(True, where, "")
            except kubernetes_validate.ValidationError as e:
                path_s = ".".join(str(p) for p in e.path)
                report.check(False, where, f"schema {e.version}: {path_s}: {e.message}")
            except (kubernetes_validate.SchemaNotFoundError, kubernetes_validate.InvalidSchemaError) as e:
                report.check(False, where, f"no schema for {version}: {e.message}")
        objects.append((rel, obj))


def check_service_monitor(obj, where, report):
    """A ServiceMonitor's essentials: a label selector and endpoints naming a port and a path."""
    spec = obj.get("spec") or {}
    report.check(obj.get("kind") == "ServiceMonitor", where, "only ServiceMonitor is known of monitoring.coreos.com")
    report.check(bool((spec.get("selector") or {}).get("matchLabels")), where, "needs spec.selector.matchLabels")
    endpoints = spec.get("endpoints") or []
    report.check(len(endpoints) > 0 and all(e.get("port") and e.get("path") for e in endpoints), where,
                 "needs endpoints with a port name and a path")


def check_configs(objects, binary, report):
    confs = {}
    for rel, obj in objects:
        if obj.get("kind") != "ConfigMap":
            continue
        for key, conf in (obj.get("data") or {}).items():
            where = f"{rel} {name_of(obj)} {key}"
            if not key.endswith(".conf"):
                continue
            ok, out = srs_test(binary, conf)
            report.check(ok, where, f"srs -t failed or warned:\n{out}")
            confs[(rel, obj["metadata"]["name"])] = conf
    return confs


def find_configmap(confs, rel, name):
    """A ConfigMap's srs.conf: from the same file, else from any file (06 uses 03's)."""
    if (rel, name) in confs:
        return confs[(rel, name)]
    for (r, n), conf in sorted(confs.items()):
        if n == name:
            return conf
    return None


def check_srs_container(rel, obj, spec, c, confs, report):
    where = f"{rel} {name_of(obj)} container {c['name']}"
    mounts = {m["name"]: m["mountPath"] for m in c.get("volumeMounts", [])}
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    conf_volume = next((n for n, p in mounts.items() if p == CONF_DIR), None)
    if not report.check(conf_volume is not None, where, f"mounts no ConfigMap at {CONF_DIR}"):
        return
    cm = volumes.get(conf_volume, {}).get("configMap", {}).get("name")
    conf = find_configmap(confs, rel, cm) if cm else None
    if not report.check(conf is not None, where, f"ConfigMap {cm} with srs.conf not found"):
        return
    res = c.get("resources", {})
    report.check(res.get("requests") and res.get("limits"), where, "needs resources.requests and resources.limits")
    port = api_port(conf)
    report.check(port is not None, where, f"http_api must be enabled in ConfigMap {cm} (probes)")
    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
        get = c.get(probe, {}).get("httpGet", {})
        report.check(get.get("path") == path and get.get("port") == port, where,
                     f"{probe} must GET {path} on the HTTP API port {port}")
    pre_stop = c.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command")
    if pre_stop is None:
        return
    report.check(pre_stop == GRACE_HOOK, where, f"preStop must be {GRACE_HOOK}")
    report.check(conf_directive(conf, "force_grace_quit") == "on", where,
                 "preStop grace needs force_grace_quit on (the kubelet's SIGTERM follows preStop)")
    period = spec.get("terminationGracePeriodSeconds", 30)
    env = {e["name"]: e.get("value") for e in c.get("env", [])}
    grace_timeout = int(env.get("GRACE_TIMEOUT") or 120)
    report.check(grace_timeout < period, where,
                 f"GRACE_TIMEOUT {grace_timeout}s must be below terminationGracePeriodSeconds {period}s")
    max_wait = int(conf_directive(conf, "grace_max_wait") or 0)
    report.check(0 < max_wait < grace_timeout * 1000, where,
                 f"grace_max_wait {max_wait}ms must be set below GRACE_TIMEOUT {grace_timeout}s")


def check_references(objects, confs, report):
    pods = [(rel, obj, template_labels(obj)) for rel, obj in objects if template_labels(obj) is not None]
    claims = {obj["metadata"]["name"] for _, obj in objects if obj.get("kind") == "PersistentVolumeClaim"}
    configmaps = {obj["metadata"]["name"] for _, obj in objects if obj.get("kind") == "ConfigMap"}
    secrets = {obj["metadata"]["name"] for _, obj in objects if obj.get("kind") == "Secret"}
    for rel, obj in objects:
        where = f"{rel} {name_of(obj)}"
        kind = obj.get("kind")
        if kind in ("Deployment", "StatefulSet"):
            selector = obj["spec"]["selector"]["matchLabels"]
            report.check(selects(selector, template_labels(obj)), where, "selector does not match the pod labels")
            for rel2, other, labels in pods:
                if other is obj or other["metadata"]["name"] == obj["metadata"]["name"] or other["kind"] != kind:
                    continue
                report.check(not selects(selector, labels), where,
                             f"selector {selector} also selects the pods of {rel2} {name_of(other)}")
        if kind == "Service":
            selector = {k: v for k, v in obj["spec"].get("selector", {}).items() if k not in CONTROLLER_LABELS}
            report.check(any(selects(selector, labels) for _, _, labels in pods), where,
                         f"selector {selector} selects no pod template")
        if kind == "ServiceMonitor":
            selector = obj["spec"]["selector"]["matchLabels"]
            wanted = {e["port"] for e in obj["spec"]["endpoints"]}
            services = [o for _, o in objects if o.get("kind") == "Service"
                        and selects(selector, o["metadata"].get("labels") or {})]
            report.check(any(wanted <= {p.get("name") for p in s["spec"]["ports"]} for s in services), where,
                         f"selects no Service with ports {sorted(wanted)}")
        if kind == "HorizontalPodAutoscaler":
            ref = obj["spec"]["scaleTargetRef"]
            report.check(any(o.get("kind") == ref["kind"] and o["metadata"]["name"] == ref["name"] for _, o in objects),
                         where, f"scales {ref['kind']} {ref['name']}, not found")
        spec = pod_spec(obj)
        if spec is None:
            continue
        for v in spec.get("volumes", []):
            if "configMap" in v:
                report.check(v["configMap"]["name"] in configmaps, where, f"ConfigMap {v['configMap']['name']} not found")
            if "secret" in v:
                report.check(v["secret"]["secretName"] in secrets, where, f"Secret {v['secret']['secretName']} not found")
            if "persistentVolumeClaim" in v:
                report.check(v["persistentVolumeClaim"]["claimName"] in claims, where,
                             f"PVC {v['persistentVolumeClaim']['claimName']} not found")
        if kind in ("Deployment", "StatefulSet"):
            for c in spec["containers"]:
                if SRS_IMAGE.match(c["image"]):
                    check_srs_container(rel, obj, spec, c, confs, report)


def check_cleanup_job(objects, report):
    """Runs the HLS cleanup CronJob's shell script on a scratch tree mounted where it expects."""
    jobs = [(rel, obj) for rel, obj in objects if obj.get("kind") == "CronJob"]
    report.check(len(jobs) > 0, "etc/k8s", "no HLS cleanup CronJob")
    for rel, obj in jobs:
        where = f"{rel} {name_of(obj)}"
        c = pod_spec(obj)["containers"][0]
        mount = c["volumeMounts"][0]["mountPath"]
        script = c["args"][0]
        env = {e["name"]: e["value"] for e in c.get("env", [])}
        with tempfile.TemporaryDirectory(prefix="srs-cleanup-") as d:
            old = time.time() - 2 * 86400
            files = {"live/old.ts": old, "live/old.m3u8": old, "live/rec.flv.tmp": old, "live/new.ts": None,
                     "live/new.m3u8": None, "index.html": old, "console/app.js": old, "live/rec.flv": old,
                     "live/rec.mp4": old, "gone/old.ts": old}
            for f, mtime in files.items():
                p = os.path.join(d, f)
                os.makedirs(os.path.dirname(p), exist_ok=True)
                with open(p, "w") as fh:
                    fh.write("x")
                if mtime:
                    os.utime(p, (mtime, mtime))
            os.makedirs(os.path.join(d, "empty/dir"))
            r = subprocess.run(["/bin/sh", "-c", script.replace(mount, d)], capture_output=True, text=True,
                               timeout=30, env={"PATH": "/usr/bin:/bin", **env})
            left = sorted(os.path.relpath(os.path.join(dp, f), d) for dp, _, fs in os.walk(d) for f in fs)
            dirs = sorted(os.path.relpath(dp, d) for dp, _, _ in os.walk(d))
            report.check(r.returncode == 0, where, f"cleanup script failed: {r.stdout}{r.stderr}")
            kept = ["console/app.js", "index.html", "live/new.m3u8", "live/new.ts", "live/rec.flv", "live/rec.mp4"]
            report.check(left == kept, where, f"cleanup left {left}, expected {kept}")
            report.check("empty" not in dirs and "gone" not in dirs, where, f"empty directories left: {dirs}")


def check_scripts(objects, report):
    """ConfigMap keys ending in .py are copies of tools/hooks/<key>: equal, and they compile."""
    for rel, obj in objects:
        if obj.get("kind") != "ConfigMap":
            continue
        for key, text in (obj.get("data") or {}).items():
            if not key.endswith(".py"):
                continue
            where = f"{rel} {name_of(obj)} {key}"
            path = os.path.join(ROOT, "tools/hooks", key)
            if not report.check(os.path.isfile(path), where, f"no tools/hooks/{key} to compare with"):
                continue
            with open(path) as f:
                report.check(f.read().rstrip("\n") == text.rstrip("\n"), where, f"differs from tools/hooks/{key}")
            try:
                compile(text, key, "exec")
                report.check(True, where, "")
            except SyntaxError as e:
                report.check(False, where, f"does not compile: {e}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("srs", help="the built srs binary, for `srs -t` on every embedded srs.conf")
    ap.add_argument("--kubernetes-version", action="append", dest="versions",
                    help="validate against this Kubernetes version (repeatable)")
    args = ap.parse_args()
    known = kubernetes_validate.utils.all_versions()
    versions = args.versions or sorted({known[0], known[-1]})
    binary = os.path.abspath(args.srs)
    if not os.access(binary, os.X_OK):
        print(f"validate_k8s: {binary} is not an executable", file=sys.stderr)
        return 1
    files = sorted(glob.glob(os.path.join(ROOT, "etc/k8s/*.yaml")))
    report = Report()
    report.check(len(files) > 0, "etc/k8s", "no manifests")
    objects = []
    for path in files:
        check_file(path, objects, report, versions)
    confs = check_configs(objects, binary, report)
    check_references(objects, confs, report)
    check_cleanup_job(objects, report)
    check_scripts(objects, report)
    for e in report.errors:
        print(f"FAIL {e}")
    print(f"validate_k8s: {len(files)} files, {len(objects)} objects, {len(confs)} srs.conf, "
          f"{report.checks} checks, {len(report.errors)} failed (kubernetes {', '.join(versions)})")
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())

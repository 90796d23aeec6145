#!/usr/bin/env python3
"""Checks the operations files that cannot be exercised on a machine without Docker or systemd.

    python3 tools/check_ops_files.py .build/debug/srs

- Dockerfile (no Docker engine here, so it is read, not built): no `# syntax=` directive (an
  offline BuildKit cannot fetch the frontend); a named build stage and a
  Debian/Ubuntu runtime stage; every COPY source exists in the repository and is not excluded by
  .dockerignore; COPY --from names a stage; the runtime image has /usr/local/srs with objs/srs,
  the config the CMD names, objs/nginx/html and etc/init.d/srs (the preStop hook of
  etc/k8s/*.yaml); EXPOSE 1935 1985 8080; the HEALTHCHECK port is the HTTP API port of the
  CMD's config, and that config passes `srs -t` without warnings. hadolint runs too when it is
  installed.
- etc/init.d/srs is a relative symlink to init.d/srs, which is executable and passes `sh -n`
  (and shellcheck, when installed).
- etc/systemd/srs.service passes `systemd-analyze verify` (when installed) with its paths
  pointed at the built binary.
Exit status 0 when everything passes, 1 otherwise.
"""
import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INSTALL = "/usr/local/srs"
errors = []


def check(ok, message):
    if not ok:
        errors.append(message)
    return ok


def instructions(path):
    """Dockerfile instructions as (KEYWORD, arguments), continuation lines joined."""
    out, current = [], ""
    with open(path) as f:
        for line in f:
            s = line.rstrip("\n")
            if not current and (not s.strip() or s.lstrip().startswith("#")):
                continue
            if current and s.lstrip().startswith("#"):
                continue
            if s.endswith("\\"):
                current += s[:-1] + " "
                continue
            current += s
            keyword, _, rest = current.strip().partition(" ")
            out.append((keyword.upper(), rest.strip()))
            current = ""
    return out


def dockerignore_patterns():
    path = os.path.join(ROOT, ".dockerignore")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


def ignored(source, patterns):
    parts = os.path.normpath(source).split(os.sep)
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(fnmatch.fnmatch(p, pat) for pat in patterns for p in prefixes)


def api_port(conf):
    m = re.search(r"http_api\s*\{([^}]*)\}", conf)
    if not m or not re.search(r"^\s*enabled\s+on\s*;", m.group(1), re.M):
        return None
    listen = re.search(r"^\s*listen\s+([^;\s]+)\s*;", m.group(1), re.M)
    return int(listen.group(1).rsplit(":", 1)[-1]) if listen else 1985


def check_dockerfile(binary):
    path = os.path.join(ROOT, "Dockerfile")
    if not check(os.path.exists(path), "Dockerfile missing"):
        return
    with open(path) as f:
        head = f.readline()
    # A `# syntax=` parser directive makes BuildKit fetch that frontend image from a registry:
    # an offline build fails before the first step, and nothing here needs a newer frontend.
    check(not re.match(r"#\s*syntax\s*=", head, re.I), "Dockerfile: remove the `# syntax=` directive (offline builds fail)")
    steps = instructions(path)
    patterns = dockerignore_patterns()
    stages, files, workdir, exposed = [], {}, "/", set()
    cmd = healthcheck = None
    for keyword, rest in steps:
        if keyword == "FROM":
            m = re.match(r"(\S+)(?:\s+AS\s+(\S+))?$", rest, re.I)
            stages.append((m.group(1), m.group(2)))
            files, workdir, exposed, cmd, healthcheck = {}, "/", set(), None, None
        elif keyword == "WORKDIR":
            workdir = os.path.join(workdir, rest)
        elif keyword == "COPY":
            args = shlex.split(rest)
            source_stage = next((a.split("=", 1)[1] for a in args if a.startswith("--from=")), None)
            paths = [a for a in args if not a.startswith("--")]
            sources, dest = paths[:-1], paths[-1]
            dest_abs = os.path.normpath(os.path.join(workdir, dest))
            if source_stage:
                check(source_stage in [name for _, name in stages[:-1]], f"COPY --from={source_stage}: no such stage")
            for s in sources:
                if source_stage is None:
                    check(os.path.exists(os.path.join(ROOT, s)), f"COPY {s}: not in the repository")
                    check(not ignored(s, patterns), f"COPY {s}: excluded by .dockerignore")
                target = dest_abs if not dest.endswith("/") else os.path.join(dest_abs, os.path.basename(s.rstrip("/")))
                files[os.path.normpath(target if not s.endswith("/") else dest_abs)] = s
        elif keyword == "EXPOSE":
            exposed |= {int(p.split("/")[0]) for p in rest.split()}
        elif keyword == "CMD":
            cmd = json.loads(rest)
        elif keyword == "HEALTHCHECK":
            healthcheck = rest
    check(len(stages) >= 2 and stages[0][1] is not None, "Dockerfile: needs a named build stage and a runtime stage")
    check(re.match(r"(debian|ubuntu):", stages[-1][0]) is not None, f"runtime stage {stages[-1][0]}: Debian or Ubuntu")
    check(workdir == INSTALL, f"runtime WORKDIR {workdir}, expected {INSTALL}")
    check(exposed >= {1935, 1985, 8080}, f"EXPOSE {sorted(exposed)}: needs 1935 1985 8080")
    for need in ("objs/srs", "etc/init.d/srs", "objs/nginx/html"):
        check(os.path.join(INSTALL, need) in files, f"the image has no {INSTALL}/{need}")
    html = files.get(os.path.join(INSTALL, "objs/nginx/html"))
    check(html is not None and os.path.exists(os.path.join(ROOT, html, "index.html")), "objs/nginx/html: html/ with index.html")
    if not check(isinstance(cmd, list) and len(cmd) >= 3 and "-c" in cmd, f"CMD {cmd}: exec form with -c CONFIG"):
        return
    check(os.path.normpath(os.path.join(INSTALL, cmd[0])) == os.path.join(INSTALL, "objs/srs"), f"CMD runs {cmd[0]}")
    conf_in_image = os.path.normpath(os.path.join(INSTALL, cmd[cmd.index("-c") + 1]))
    conf_source = files.get(conf_in_image)
    if not check(conf_source is not None, f"CMD config {conf_in_image} is not copied into the image"):
        return
    with open(os.path.join(ROOT, conf_source)) as f:
        conf = f.read()
    port = api_port(conf)
    check(port is not None and healthcheck is not None and f"127.0.0.1:{port}/healthz" in healthcheck,
          f"HEALTHCHECK must probe /healthz on the HTTP API port of {conf_source} ({port})")
    r = subprocess.run([binary, "-t", "-c", conf_source], cwd=ROOT, capture_output=True, text=True, timeout=30,
                       env={k: v for k, v in os.environ.items() if not k.startswith("SRS_")})
    out = r.stdout + r.stderr
    check(r.returncode == 0 and "warning" not in out.lower(), f"srs -t -c {conf_source}:\n{out}")
    if shutil.which("hadolint"):
        r = subprocess.run(["hadolint", path], capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, f"hadolint:\n{r.stdout}{r.stderr}")


def check_init_script():
    link = os.path.join(ROOT, "etc/init.d/srs")
    script = os.path.join(ROOT, "init.d/srs")
    check(os.path.islink(link) and os.readlink(link) == "../../init.d/srs", "etc/init.d/srs: symlink to ../../init.d/srs")
    check(os.access(script, os.X_OK), "init.d/srs: not executable")
    r = subprocess.run(["sh", "-n", script], capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, f"sh -n init.d/srs:\n{r.stderr}")
    if shutil.which("shellcheck"):
        r = subprocess.run(["shellcheck", "-s", "sh", script], capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, f"shellcheck init.d/srs:\n{r.stdout}{r.stderr}")


def check_systemd_unit(binary):
    unit = os.path.join(ROOT, "etc/systemd/srs.service")
    if not check(os.path.exists(unit), "etc/systemd/srs.service missing"):
        return
    if not shutil.which("systemd-analyze"):
        print("check_ops_files: systemd-analyze not installed, unit not verified")
        return
    with tempfile.TemporaryDirectory(prefix="srs-unit-") as d:
        os.makedirs(os.path.join(d, "objs"))
        shutil.copy(binary, os.path.join(d, "objs/srs"))
        with open(unit) as f:
            text = f.read().replace(INSTALL, d)
        path = os.path.join(d, "srs.service")
        with open(path, "w") as f:
            f.write(text)
        r = subprocess.run(["systemd-analyze", "verify", path], capture_output=True, text=True, timeout=60)
        out = (r.stdout + r.stderr).strip()
        check(r.returncode == 0 and not out, f"systemd-analyze verify srs.service:\n{out}")


def main():
    if len(sys.argv) != 2 or not os.access(sys.argv[1], os.X_OK):
        print("usage: check_ops_files.py SRS_BINARY", file=sys.stderr)
        return 1
    binary = os.path.abspath(sys.argv[1])
    check_dockerfile(binary)
    check_init_script()
    check_systemd_unit(binary)
    for e in errors:
        print(f"FAIL {e}")
    print(f"check_ops_files: {len(errors)} failed")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

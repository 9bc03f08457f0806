#!/usr/bin/env python3
"""Checks deploy/ against the code it deploys (no Docker engine or cluster needed).

  tests/deploy_files_test.py [--source-dir DIR] [--binary build/bodyshape]

- every YAML document in deploy/k8s parses, with the expected kind and apiVersion;
- the probe paths (Kubernetes probes, Docker HEALTHCHECK, Prometheus annotation) are routes of
  src/server/http_server.h's kRouteTable;
- one port everywhere: containerPort, the probes, Service targetPort, the Dockerfile's EXPOSE, its
  CMD's --port and its HEALTHCHECK URL;
- every BODYSHAPE_* name in deploy/ is a real setting (src/server/config.cpp's setter table), and
  every other variable the pods get is one the service or libpq reads;
- the Dockerfile is multi-stage on Debian 12, runs as a non-root USER, and (with --binary) its
  runtime stage installs the Debian package of every shared library the binary needs;
- nginx.conf's client_max_body_size equals the default body_limit_bytes.
Registered with ctest as deploy_files (tests/CMakeLists.txt).
"""
import argparse
import ast
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import unittest

try:
    import yaml
except ImportError:
    print("deploy_files_test: python3-yaml is missing (scripts/setup installs it)", file=sys.stderr)
    sys.exit(1)

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = None

EXPECTED_KINDS = {
    "Deployment": "apps/v1",
    "Service": "v1",
    "HorizontalPodAutoscaler": "autoscaling/v2",
    "ConfigMap": "v1",
    "Secret": "v1",
    "Kustomization": "kustomize.config.k8s.io/v1beta1",
}
# Environment variables other than BODYSHAPE_* that something in the pod reads.
OTHER_ENV = {
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
    "AWS_DEFAULT_REGION",  # storage/object_store
    "PGPASSWORD",  # libpq, for BODYSHAPE_DATABASE
}
REQUIRED_SECRETS = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "BODYSHAPE_AUTH_PEPPER",
                    "PGPASSWORD"}
# Packages of every Debian image (Essential or required by apt), so the runtime stage need not name them.
BASE_IMAGE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g"}


def read(relative):
    with open(os.path.join(SOURCE_DIR, relative), encoding="utf-8") as f:
        return f.read()


def strip_cpp_comments(text):
    return re.sub(r"//[^\n]*", "", text)


# ---- facts from the code ----------------------------------------------------------------------

def route_table():
    """(method, path) pairs of kRouteTable, with the k...Path constants resolved."""
    header = strip_cpp_comments(read("src/server/http_server.h"))
    constants = dict(re.findall(
        r'inline\s+constexpr\s+std::string_view\s+(\w+)\s*=\s*"([^"]*)"\s*;', header))
    table = re.search(r"kRouteTable\s*=\s*\{\{(.*?)\}\};", header, re.S)
    if table is None:
        raise AssertionError("kRouteTable not found in src/server/http_server.h")
    routes = set()
    for method, path in re.findall(r'\{\s*"(\w+)"\s*,\s*("[^"]*"|\w+)\s*\}', table.group(1)):
        routes.add((method, path.strip('"') if path.startswith('"') else constants[path]))
    if not routes:
        raise AssertionError("kRouteTable has no entries the test can read")
    return routes


def setting_names():
    """The names in src/server/config.cpp's setter table."""
    source = strip_cpp_comments(read("src/server/config.cpp"))
    names = re.findall(r'\{\s*"([a-z0-9_]+)"\s*,\s*\w+_setter\s*\(', source)
    if len(names) < 10:
        raise AssertionError(f"only {len(names)} settings read from src/server/config.cpp")
    return set(names)


def config_default(member):
    """The default of an integer Config member in src/server/config.h (e.g. `32LL << 20`)."""
    header = strip_cpp_comments(read("src/server/config.h"))
    found = re.search(r"\b" + member + r"\s*=\s*([^;]+);", header)
    if found is None:
        raise AssertionError(f"no default for {member} in src/server/config.h")
    expression = re.sub(r"(?<=\d)(?:[uU]?[lL]{1,2}|[lL]{1,2}[uU]?)\b", "", found.group(1))
    return evaluate_int(expression.replace("'", ""))


def evaluate_int(expression):
    def walk(node):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.BinOp):
            operators = {ast.LShift: lambda a, b: a << b, ast.Mult: lambda a, b: a * b,
                         ast.Add: lambda a, b: a + b}
            if type(node.op) in operators:
                return operators[type(node.op)](walk(node.left), walk(node.right))
        raise AssertionError(f"cannot evaluate C++ default '{expression}'")
    return walk(ast.parse(expression.strip(), mode="eval"))


def env_name(setting):
    return "BODYSHAPE_" + setting.upper()


# ---- the deploy files -------------------------------------------------------------------------

def k8s_documents():
    """[(file name, document)] for every YAML document in deploy/k8s."""
    folder = os.path.join(SOURCE_DIR, "deploy", "k8s")
    documents = []
    for name in sorted(os.listdir(folder)):
        if not name.endswith((".yaml", ".yml")):
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            for document in yaml.safe_load_all(f):
                if document is not None:
                    documents.append((name, document))
    return documents


def one(kind):
    found = [document for _, document in k8s_documents() if document.get("kind") == kind]
    if len(found) != 1:
        raise AssertionError(f"expected one {kind} in deploy/k8s, found {len(found)}")
    return found[0]


def dockerfile_instructions():
    """[(INSTRUCTION, arguments)] with continuation lines joined and comments dropped."""
    instructions, pending = [], ""
    for line in read("deploy/Dockerfile").splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = (pending + stripped).strip()
        pending = ""
        keyword, _, arguments = full.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def dockerfile_stages():
    """[[(INSTRUCTION, arguments)], ...], one list per FROM."""
    stages = []
    for instruction in dockerfile_instructions():
        if instruction[0] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def dockerfile_cmd():
    commands = [arguments for keyword, arguments in dockerfile_stages()[-1] if keyword == "CMD"]
    if len(commands) != 1:
        raise AssertionError(f"the runtime stage has {len(commands)} CMD instructions, want one")
    return json.loads(commands[0])  # exec form: a JSON array


def cmd_flags(command):
    """{"port": "8080", ...} from `bodyshape serve --port 8080 ...` (also --name=value)."""
    flags, i = {}, 0
    while i < len(command):
        word = command[i]
        if word.startswith("--"):
            if "=" in word:
                name, value = word[2:].split("=", 1)
            else:
                name, value = word[2:], command[i + 1]
                i += 1
            flags[name.replace("-", "_")] = value
        i += 1
    return flags


def nginx_directives(name):
    text = re.sub(r"#[^\n]*", "", read("deploy/nginx.conf"))
    return [value.strip() for value in re.findall(r"(?m)^\s*" + name + r"\s+([^;]*);", text)]


def nginx_size(value):
    found = re.fullmatch(r"(\d+)([kKmMgG]?)", value)
    if found is None:
        raise AssertionError(f"cannot read nginx size '{value}'")
    factor = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[found.group(2).lower()]
    return int(found.group(1)) * factor


def nginx_seconds(value):
    found = re.fullmatch(r"(\d+)(ms|s|m|h)?", value)
    if found is None:
        raise AssertionError(f"cannot read nginx time '{value}'")
    return int(found.group(1)) * {"ms": 0.001, "s": 1, None: 1, "m": 60, "h": 3600}[found.group(2)]


# ---- the checks -------------------------------------------------------------------------------

class KubernetesManifests(unittest.TestCase):
    def test_every_document_has_a_known_kind_and_api_version(self):
        documents = k8s_documents()
        self.assertTrue(documents, "no YAML documents in deploy/k8s")
        seen = {}
        for name, document in documents:
            kind = document.get("kind")
            self.assertIn(kind, EXPECTED_KINDS, f"{name}: unexpected kind {kind!r}")
            self.assertEqual(document.get("apiVersion"), EXPECTED_KINDS[kind], f"{name}: {kind}")
            if kind != "Kustomization":
                self.assertTrue(document.get("metadata", {}).get("name"), f"{name}: no metadata.name")
            seen[kind] = seen.get(kind, 0) + 1
        self.assertEqual(seen, {kind: 1 for kind in EXPECTED_KINDS})

    def test_kustomization_lists_every_manifest(self):
        files = {name for name, document in k8s_documents() if document["kind"] != "Kustomization"}
        self.assertEqual(set(one("Kustomization")["resources"]), files)

    def test_probes_are_get_routes_of_the_server(self):
        routes = route_table()
        container = one("Deployment")["spec"]["template"]["spec"]["containers"][0]
        self.assertEqual(container["readinessProbe"]["httpGet"]["path"], "/readyz")
        self.assertEqual(container["livenessProbe"]["httpGet"]["path"], "/healthz")
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            if probe in container:
                path = container[probe]["httpGet"]["path"]
                self.assertIn(("GET", path), routes, f"{probe} path {path} is not a GET route")
        annotations = one("Deployment")["spec"]["template"]["metadata"].get("annotations", {})
        if "prometheus.io/path" in annotations:
            self.assertIn(("GET", annotations["prometheus.io/path"]), routes)

    def test_the_objects_refer_to_each_other(self):
        deployment = one("Deployment")
        pod = deployment["spec"]["template"]
        labels = pod["metadata"]["labels"]
        for key, value in deployment["spec"]["selector"]["matchLabels"].items():
            self.assertEqual(labels.get(key), value, "Deployment selector does not match its pods")
        for key, value in one("Service")["spec"]["selector"].items():
            self.assertEqual(labels.get(key), value, "Service selector does not match the pods")
        target = one("HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]
        self.assertEqual((target["kind"], target["name"]), ("Deployment", deployment["metadata"]["name"]))
        metrics = one("HorizontalPodAutoscaler")["spec"]["metrics"]
        self.assertIn("cpu", [m["resource"]["name"] for m in metrics if m["type"] == "Resource"])
        env_from = pod["spec"]["containers"][0]["envFrom"]
        self.assertIn(one("ConfigMap")["metadata"]["name"],
                      [e["configMapRef"]["name"] for e in env_from if "configMapRef" in e])
        self.assertIn(one("Secret")["metadata"]["name"],
                      [e["secretRef"]["name"] for e in env_from if "secretRef" in e])
        resources = pod["spec"]["containers"][0]["resources"]
        for part in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                self.assertIn(resource, resources.get(part, {}), f"resources.{part}.{resource}")

    def test_pods_run_as_the_images_non_root_user(self):
        pod = one("Deployment")["spec"]["template"]["spec"]
        self.assertTrue(pod["securityContext"]["runAsNonRoot"])
        user = [a for k, a in dockerfile_stages()[-1] if k == "USER"][-1].split(":")[0]
        self.assertEqual(str(pod["securityContext"]["runAsUser"]), user)

    def test_secret_is_a_template(self):
        secret = one("Secret")
        values = dict(secret.get("stringData", {}))
        values.update(secret.get("data", {}))
        self.assertEqual(REQUIRED_SECRETS - set(values), set(), "missing secret keys")
        for key, value in values.items():
            self.assertIn("CHANGE_ME", str(value), f"Secret {key} holds a value, not a placeholder")

    def test_database_is_postgresql_without_a_password(self):
        url = one("ConfigMap")["data"]["BODYSHAPE_DATABASE"]
        found = re.match(r"postgres(?:ql)?://([^@/]*)@", url)
        self.assertIsNotNone(found, f"BODYSHAPE_DATABASE {url} is not a postgresql:// URL with a user")
        self.assertNotIn(":", found.group(1), "the password belongs in the Secret (PGPASSWORD)")

    def test_inference_workers_match_the_cpu_limit(self):
        workers = one("ConfigMap")["data"].get("BODYSHAPE_INFERENCE_WORKERS")
        if workers is None:
            self.skipTest("BODYSHAPE_INFERENCE_WORKERS not set")
        limit = str(one("Deployment")["spec"]["template"]["spec"]["containers"][0]["resources"]
                    ["limits"]["cpu"])
        cores = int(limit[:-1]) / 1000 if limit.endswith("m") else float(limit)
        self.assertEqual(int(workers), max(1, int(cores)))


class Ports(unittest.TestCase):
    def test_one_port_everywhere(self):
        container = one("Deployment")["spec"]["template"]["spec"]["containers"][0]
        (port,) = [p for p in container["ports"] if p.get("name") == "http"] or container["ports"]
        container_port = port["containerPort"]
        names = {p["name"]: p["containerPort"] for p in container["ports"] if "name" in p}

        def resolve(value):
            return names[value] if isinstance(value, str) and not value.isdigit() else int(value)

        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            if probe in container:
                self.assertEqual(resolve(container[probe]["httpGet"]["port"]), container_port, probe)
        (service_port,) = one("Service")["spec"]["ports"]
        self.assertEqual(resolve(service_port["targetPort"]), container_port, "Service targetPort")
        annotations = one("Deployment")["spec"]["template"]["metadata"].get("annotations", {})
        if "prometheus.io/port" in annotations:
            self.assertEqual(int(annotations["prometheus.io/port"]), container_port)

        runtime = dockerfile_stages()[-1]
        self.assertEqual(int(cmd_flags(dockerfile_cmd())["port"]), container_port, "CMD --port")
        exposed = [a.split("/")[0] for k, a in runtime if k == "EXPOSE"]
        self.assertEqual([int(p) for p in exposed], [container_port], "EXPOSE")
        (healthcheck,) = [a for k, a in runtime if k == "HEALTHCHECK"]
        url = re.search(r"https?://[^/\s:]+:(\d+)(/\S*)", healthcheck)
        self.assertIsNotNone(url, "HEALTHCHECK has no http://host:port/path URL")
        self.assertEqual(int(url.group(1)), container_port, "HEALTHCHECK port")
        self.assertEqual(url.group(2), "/healthz")
        self.assertIn(("GET", url.group(2)), route_table())


class Settings(unittest.TestCase):
    def test_every_bodyshape_variable_in_deploy_is_a_setting(self):
        known = {env_name(name) for name in setting_names()}
        for folder, _, files in os.walk(os.path.join(SOURCE_DIR, "deploy")):
            for file_name in files:
                path = os.path.join(folder, file_name)
                with open(path, encoding="utf-8") as f:
                    for variable in re.findall(r"\bBODYSHAPE_[A-Z0-9_]*[A-Z0-9]", f.read()):
                        self.assertIn(variable, known, f"{os.path.relpath(path, SOURCE_DIR)}: "
                                      f"{variable} is not a setting of src/server/config.cpp")

    def test_pod_environment_is_read_by_something(self):
        known = {env_name(name) for name in setting_names()} | OTHER_ENV
        container = one("Deployment")["spec"]["template"]["spec"]["containers"][0]
        names = set(one("ConfigMap")["data"])
        secret = one("Secret")
        names |= set(secret.get("stringData", {})) | set(secret.get("data", {}))
        names |= {e["name"] for e in container.get("env", [])}
        self.assertEqual(names - known, set(), "variables nothing reads")

    def test_cmd_flags_are_settings_the_environment_does_not_repeat(self):
        command = dockerfile_cmd()
        self.assertEqual(command[:2], ["bodyshape", "serve"])
        flags = cmd_flags(command)
        self.assertEqual(flags, {"port": "8080", "data_dir": "/var/lib/bodyshape",
                                 "model_dir": "/opt/bodyshape/models"})
        self.assertEqual(set(flags) - setting_names(), set())
        # Flags win over the environment, so a variable for one of them would be silently ignored.
        container = one("Deployment")["spec"]["template"]["spec"]["containers"][0]
        environment = set(one("ConfigMap")["data"]) | {e["name"] for e in container.get("env", [])}
        self.assertEqual(environment & {env_name(flag) for flag in flags}, set())

    def test_data_dir_is_writable_in_the_pod(self):
        container = one("Deployment")["spec"]["template"]["spec"]["containers"][0]
        mounts = [m["mountPath"] for m in container.get("volumeMounts", [])]
        self.assertIn(cmd_flags(dockerfile_cmd())["data_dir"], mounts)


class Dockerfile(unittest.TestCase):
    def test_multi_stage_on_debian_12(self):
        stages = dockerfile_stages()
        self.assertGreaterEqual(len(stages), 2, "not multi-stage")
        for stage in stages:
            image = stage[0][1].split()[0]
            self.assertRegex(image, r"^debian:(bookworm|12)(\b|-)", f"FROM {image}")
        names = [s[0][1].split()[-1] for s in stages if " as " in s[0][1].lower()]
        copies = [a for k, a in stages[-1] if k == "COPY" and "--from=" in a]
        self.assertTrue(copies, "the runtime stage copies nothing from the build stage")
        for copy in copies:
            self.assertIn(re.search(r"--from=(\S+)", copy).group(1), names)

    def test_build_stage_installs_the_package_list_and_builds_release(self):
        build = " ".join(a for _, a in dockerfile_stages()[0])
        for needed in ("scripts/debian-packages.txt", "npm ci", "tools/prepare-models",
                       "CMAKE_BUILD_TYPE=Release"):
            self.assertIn(needed, build)

    def test_build_stage_copies_exist(self):
        for keyword, arguments in dockerfile_stages()[0]:
            if keyword != "COPY" or "--from=" in arguments:
                continue
            for source in shlex.split(arguments)[:-1]:
                self.assertTrue(os.path.exists(os.path.join(SOURCE_DIR, source)), f"COPY {source}")

    def test_runtime_stage_is_non_root_and_has_no_build_tools(self):
        runtime = dockerfile_stages()[-1]
        users = [a for k, a in runtime if k == "USER"]
        self.assertTrue(users, "no USER in the runtime stage")
        self.assertNotIn(users[-1].split(":")[0], ("root", "0"))
        text = " ".join(a for k, a in runtime if k == "RUN")
        for tool in ("build-essential", "cmake", "npm", "-dev "):
            self.assertNotIn(tool, text + " ", f"runtime stage installs {tool}")
        copied = " ".join(a for k, a in runtime if k == "COPY")
        self.assertIn("/opt/bodyshape/models", copied, "models/ not baked in")

    def test_runtime_stage_installs_every_library_the_binary_needs(self):
        if BINARY is None or not os.path.exists(BINARY):
            self.skipTest("no --binary")
        if not (shutil.which("readelf") and shutil.which("dpkg") and shutil.which("ldconfig")):
            self.skipTest("readelf, dpkg or ldconfig missing")
        dynamic = subprocess.run(["readelf", "-d", BINARY], capture_output=True, text=True,
                                 check=True).stdout
        needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dynamic)
        cache = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
        runtime = " ".join(a for k, a in dockerfile_stages()[-1] if k == "RUN")
        installed = set(re.findall(r"[a-z0-9][a-z0-9.+-]+", runtime)) | BASE_IMAGE_PACKAGES
        for soname in needed:
            paths = re.findall(r"^\s*" + re.escape(soname) + r" \(([^)]*)\) => (\S+)", cache, re.M)
            paths = [p for arch, p in paths if "x86-64" in arch or "64" in arch] or \
                    [p for _, p in paths]
            self.assertTrue(paths, f"{soname} not in the linker cache")
            package = None
            for candidate in (paths[0], os.path.realpath(paths[0])):
                for path in (candidate, "/usr" + candidate, candidate.removeprefix("/usr")):
                    owner = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True)
                    if owner.returncode == 0:
                        package = owner.stdout.split(":")[0].split(",")[0].strip()
                        break
                if package:
                    break
            self.assertIsNotNone(package, f"no Debian package owns {soname}")
            self.assertIn(package, installed, f"runtime stage lacks {package} ({soname})")


class Nginx(unittest.TestCase):
    def test_body_limit_matches_the_default(self):
        (size,) = nginx_directives("client_max_body_size")
        self.assertEqual(nginx_size(size), config_default("body_limit_bytes"))

    def test_balances_three_replicas_by_least_connections(self):
        text = re.sub(r"#[^\n]*", "", read("deploy/nginx.conf"))
        upstream = re.search(r"upstream\s+(\w+)\s*\{([^}]*)\}", text)
        self.assertIsNotNone(upstream, "no upstream block")
        self.assertIn("least_conn;", upstream.group(2))
        self.assertEqual(len(re.findall(r"(?m)^\s*server\s+\S+", upstream.group(2))), 3)
        self.assertIn(f"http://{upstream.group(1)}", nginx_directives("proxy_pass"))

    def test_forwards_the_client_address_and_waits_long_enough(self):
        self.assertIn("X-Forwarded-For $proxy_add_x_forwarded_for",
                      nginx_directives("proxy_set_header"))
        self.assertIn("client_address_header", read("deploy/nginx.conf"))
        self.assertIn("client_address_header", setting_names())
        timeouts = nginx_directives("proxy_read_timeout")
        self.assertTrue(timeouts, "no proxy_read_timeout")
        for timeout in timeouts:
            self.assertGreater(nginx_seconds(timeout), config_default("request_timeout_ms") / 1000)


class Readme(unittest.TestCase):
    def test_says_the_image_was_not_built_here(self):
        text = read("deploy/README.md")
        self.assertIn("docker build", text)
        self.assertRegex(text, r"(?i)not (been )?built")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-dir", default=SOURCE_DIR)
    parser.add_argument("--binary", help="the built bodyshape, to check the runtime libraries")
    arguments, rest = parser.parse_known_args()
    SOURCE_DIR = os.path.abspath(arguments.source_dir)
    BINARY = arguments.binary
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)

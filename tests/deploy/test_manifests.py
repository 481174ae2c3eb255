"""manifests/: renders with kustomize, validates against the Kubernetes schemas, and wires the server
the way the server really works: its port, probe paths, settings, and labels that select each other."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from mcp_server.nlu.llamacpp import TEST_MODEL_SHA256, sha256_of, shipped_adapter
from mcp_server.nlu.prompt import ADAPTER_GGUF, BASE_GGUF, render_modelfile
from mcp_server.observability.health import PROBE_PATHS
from tests.deploy.support import (
    containers,
    env_vars_read_by_serve,
    of_kind,
    render_manifests,
    run,
    serve_args_parse,
    serve_as_deployed,
    tool,
)
from tests.support.embedded import require_embedded


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return render_manifests(tmp_path_factory.mktemp("kustomize"))


@pytest.fixture(scope="module")
def server_container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    (deployment,) = of_kind(docs, "Deployment", "task-api")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def config_env(docs: list[dict[str, Any]]) -> dict[str, str]:
    (config,) = of_kind(docs, "ConfigMap", "task-api-config")
    return config["data"]


def test_every_kind_the_deployment_needs_is_there(docs: list[dict[str, Any]]) -> None:
    kinds = {d["kind"] for d in docs}
    assert {
        "Namespace",
        "Deployment",
        "Service",
        "ConfigMap",
        "Secret",
        "StatefulSet",
        "Job",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "NetworkPolicy",
    } <= kinds
    assert all(d["metadata"].get("namespace") == "task-api" for d in docs if d["kind"] != "Namespace")


def test_rendered_manifests_validate_against_the_kubernetes_schemas(
    docs: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    rendered = next(tmp_path_factory.getbasetemp().glob("kustomize*/rendered.yaml"))
    result = run(tool("kubernetes-validate"), "--strict", str(rendered))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("passed") == len(docs)


def test_the_validator_catches_a_wrong_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  selector: {matchLabels: {a: b}}\n"
        "  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers:\n"
        "        - {name: x, image: x, ports: [{containerPort: eight}]}\n"
    )
    assert run(tool("kubernetes-validate"), "--strict", str(bad)).returncode != 0


def test_deployment_is_replicated_hardened_and_bounded(docs: list[dict[str, Any]], server_container: dict) -> None:
    (deployment,) = of_kind(docs, "Deployment", "task-api")
    assert deployment["spec"]["replicas"] >= 2
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    security = server_container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True and security["allowPrivilegeEscalation"] is False
    assert {"requests", "limits"} <= set(server_container["resources"])
    (hpa,) = of_kind(docs, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "task-api" and hpa["spec"]["minReplicas"] >= 2


def test_container_port_is_the_port_the_settings_choose(docs: list[dict[str, Any]], server_container: dict) -> None:
    (port,) = server_container["ports"]
    assert port["containerPort"] == int(config_env(docs)["TASK_API_PORT"])
    (service,) = of_kind(docs, "Service", "task-api")
    assert service["spec"]["ports"][0]["targetPort"] == port["name"]


def test_probes_use_paths_and_port_the_server_serves(server_container: dict) -> None:
    assert server_container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert server_container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    port_name = server_container["ports"][0]["name"]
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert server_container[probe]["httpGet"]["path"] in PROBE_PATHS
        assert server_container[probe]["httpGet"]["port"] == port_name


def test_environment_and_arguments_are_what_the_server_reads(
    docs: list[dict[str, Any]], server_container: dict
) -> None:
    names = set(config_env(docs)) | {e["name"] for e in server_container["env"]}
    assert names <= env_vars_read_by_serve()
    serve_args_parse(server_container["args"])
    secrets = {d["metadata"]["name"] for d in of_kind(docs, "Secret")}
    for variable in server_container["env"]:
        ref = variable["valueFrom"]["secretKeyRef"]
        assert ref["name"] in secrets


def test_a_server_started_with_the_configmap_answers_every_probe(
    docs: list[dict[str, Any]], server_container: dict, tmp_path: Path
) -> None:
    """The ConfigMap's settings as the pod gets them (loopback port and a temporary SQLite file here,
    no Ollama reachable): every probe answers 200, readiness included, as the pod needs to take traffic."""
    server, _ = serve_as_deployed(
        server_container["args"], config_env(docs), tmp_path, OLLAMA_HOST="http://127.0.0.1:9"
    )
    try:
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            path = server_container[probe]["httpGet"]["path"]
            response = httpx.get(f"{server.base_url}{path}", timeout=5)
            assert response.status_code == 200, (path, response.text)
        metrics = httpx.get(f"{server.base_url}/metrics", timeout=5)
        assert metrics.status_code == 401, "metrics sit behind the token"
    finally:
        server.stop()


def test_labels_select_what_they_mean_to(docs: list[dict[str, Any]]) -> None:
    (deployment,) = of_kind(docs, "Deployment", "task-api")
    server_labels = deployment["spec"]["template"]["metadata"]["labels"]
    (statefulset,) = of_kind(docs, "StatefulSet", "ollama")
    ollama_labels = statefulset["spec"]["template"]["metadata"]["labels"]
    (job,) = of_kind(docs, "Job")
    job_labels = job["spec"]["template"]["metadata"]["labels"]

    def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
        return all(labels.get(k) == v for k, v in selector.items())

    (service,) = of_kind(docs, "Service", "task-api")
    assert selects(service["spec"]["selector"], server_labels)
    (pdb,) = of_kind(docs, "PodDisruptionBudget")
    assert selects(pdb["spec"]["selector"]["matchLabels"], server_labels)
    policies = {p["metadata"]["name"]: p["spec"] for p in of_kind(docs, "NetworkPolicy")}
    to_ollama = policies["ollama-from-task-api-only"]
    assert selects(to_ollama["podSelector"]["matchLabels"], ollama_labels)
    allowed = to_ollama["ingress"][0]["from"][0]["podSelector"]["matchLabels"]
    assert selects(allowed, server_labels) and selects(allowed, job_labels)
    assert not selects(allowed, ollama_labels)
    to_db = policies["postgresql-from-task-api-only"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"]
    assert selects(to_db, server_labels) and not selects(to_db, job_labels)


def test_ollama_keeps_its_models_and_asks_for_a_gpu(docs: list[dict[str, Any]]) -> None:
    (statefulset,) = of_kind(docs, "StatefulSet", "ollama")
    (container,) = statefulset["spec"]["template"]["spec"]["containers"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert statefulset["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "models"
    port = container["ports"][0]["containerPort"]
    assert config_env(docs)["OLLAMA_HOST"] == f"http://ollama:{port}"


def test_model_job_creates_the_model_the_server_uses(docs: list[dict[str, Any]]) -> None:
    (job,) = of_kind(docs, "Job")
    pod = job["spec"]["template"]["spec"]
    by_name = {c["name"]: c for c in containers(pod)}
    create = by_name["ollama-create"]
    assert create["command"][:3] == ["ollama", "create", config_env(docs)["TASK_API_MODEL"]]
    assert {"name": "OLLAMA_HOST", "value": config_env(docs)["OLLAMA_HOST"]} in create["env"]
    assert {"name": "build", "mountPath": "/build"} in create["volumeMounts"]
    assert create["command"][-1] == "/build/Modelfile"


def test_model_job_builds_the_base_plus_the_shipped_adapter(docs: list[dict[str, Any]], tmp_path: Path) -> None:
    """The Job's render step, run here with its paths moved under tmp_path: the Modelfile it writes
    names files that exist next to it (ollama create resolves them from the Modelfile's folder), the
    base and the adapter the repository's Modelfile names."""
    base = require_embedded()  # skips locally without the base model, fails in CI
    (job,) = of_kind(docs, "Job")
    by_name = {c["name"]: c for c in containers(job["spec"]["template"]["spec"])}
    fetched = by_name["fetch-base"]["command"][-1].split("base=", 1)[1].split()[0]
    (tmp_path / "models").mkdir()
    shutil.copyfile(base, tmp_path / "models" / Path(fetched).name)
    for command in by_name["render-modelfile"]["command"][-1].split("&&"):
        moved = re.sub(r"(?<![\w/])/(models|build)\b", lambda m: str(tmp_path / m.group(1)), command)
        argv, _, output = moved.partition(">")
        assert argv.split()[0] == "task-api-mcp"
        done = subprocess.run([sys.executable, "-m", "mcp_server", *argv.split()[1:]], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        if output:
            Path(output.strip()).write_text(done.stdout)
    modelfile = (tmp_path / "build" / "Modelfile").read_text()
    assert modelfile == render_modelfile(BASE_GGUF, ADAPTER_GGUF)
    assert sha256_of(tmp_path / "build" / BASE_GGUF) == TEST_MODEL_SHA256
    assert sha256_of(tmp_path / "build" / ADAPTER_GGUF) == sha256_of(shipped_adapter())

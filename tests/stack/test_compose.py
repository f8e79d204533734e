"""docker-compose.dev.yml, checked without a Docker engine: against the seed, `.env.dev`, the real apps'
routes and the metrics a real adapter exports."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from dotenv import dotenv_values
from prometheus_client.parser import text_string_to_metric_families

from emulators.odoo_api import create_app as create_odoo_api_app
from emulators.ofd import create_app as create_ofd_app
from emulators.serving import ServerThread
from kkt_adapter.settings import load_settings
from pytest_opticserp import http_client
from pytest_opticserp.executors.opticserp import OpticserpProcess
from pytest_opticserp.ports import reserve_port, shared_port_dir
from tests.stack.project import REPOSITORY

COMPOSE_FILE = REPOSITORY / "docker-compose.dev.yml"
ENV_DEV = {name: value or "" for name, value in dotenv_values(REPOSITORY / ".env.dev").items()}
SEED_CONTAINERS = {
    "kkt_adapter": "opticserp_kkt_adapter_dev", "mock_ofd": "opticserp_mock_ofd_dev",
    "mock_odoo_api": "opticserp_mock_odoo_api_dev", "odoo": "opticserp_odoo_dev",
    "postgres": "opticserp_postgres_dev", "redis": "opticserp_redis_dev",
}
# Routes of the products we run but do not ship: Odoo 17 (addons/web/controllers/home.py), Prometheus and
# Grafana (their documented health endpoints).
FOREIGN_ROUTES = {"odoo": {"/web/health"}, "prometheus": {"/-/healthy"}, "grafana": {"/api/health"}}
DASHBOARDS = REPOSITORY / "docker" / "grafana" / "dashboards"
METRIC_NAME = re.compile(r"\bkkt_[a-z0-9_]+\b")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict[str, Any]:
    return compose["services"]


@pytest.fixture(scope="module")
def adapter(tmp_path_factory, pytestconfig) -> Iterator[OpticserpProcess]:
    """A real `opticserp adapter` process on a free port (in-process OFD, no heartbeats)."""
    workdir = tmp_path_factory.mktemp("adapter")
    reservation = reserve_port(shared_port_dir(pytestconfig, tmp_path_factory), "adapter")
    port = reservation.port
    env = {"BUFFER_DB_PATH": str(workdir / "buffer.db"), "OFD_MODE": "mock", "MOCK_ODOO_URL": "", "REDIS_URL": "",
           "KKT_PRINT_DELAY_MIN_MS": "0", "KKT_PRINT_DELAY_MAX_MS": "0"}
    process = OpticserpProcess("adapter", ["adapter", "--port", str(port)], port=port, health_path="/v1/health",
                               logfile=workdir / "adapter.log", env=env, cwd=workdir)
    try:
        yield process.start()
    finally:
        process.stop()
        reservation.release()


@pytest.fixture(scope="module")
def serves(adapter) -> Iterator[Callable[[str, str], bool]]:
    """Whether the service named in the compose file answers GET `path` with 200: our apps are asked for
    real; for the products we only run, their documented routes count."""
    with ServerThread(create_ofd_app()) as ofd, ServerThread(create_odoo_api_app()) as odoo_api:
        urls = {"kkt_adapter": adapter.url, "mock_ofd": ofd.url, "mock_odoo_api": odoo_api.url}

        def answers(service: str, path: str) -> bool:
            if service in urls:
                return http_client.get(urls[service] + path).status_code == 200
            return path in FOREIGN_ROUTES[service]

        yield answers


def env_port(url_variable: str) -> int:
    port = urlsplit(ENV_DEV[url_variable]).port
    assert port is not None
    return port


def published(service: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(host address, host port, container port) of each published port, interpolated as Compose would
    with .env being a copy of .env.dev."""
    found = []
    for mapping in service.get("ports", []):
        host, host_port, container_port = interpolate(mapping).split(":")
        found.append((host, int(host_port), int(container_port)))
    return found


def interpolate(text: str) -> str:
    return re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: ENV_DEV.get(m.group(1)) or m.group(2), text)


def test_the_compose_file_names_the_seeds_containers(services) -> None:
    assert {name: services[name]["container_name"] for name in SEED_CONTAINERS} == SEED_CONTAINERS


def test_published_ports_are_on_loopback_and_match_env_dev(services) -> None:
    expected = {
        "postgres": int(ENV_DEV["POSTGRES_PORT"]), "redis": env_port("REDIS_URL"),
        "mock_ofd": env_port("MOCK_OFD_URL"), "mock_odoo_api": env_port("MOCK_ODOO_URL"),
        "kkt_adapter": int(ENV_DEV["KKT_ADAPTER_PORT"]), "odoo": int(ENV_DEV["ODOO_PORT"]),
        "prometheus": 9091, "grafana": 3001,
    }

    assert {name: [port for _, port, _ in published(services[name])] for name in expected} == {
        name: [port] for name, port in expected.items()}
    assert {host for service in services.values() for host, _, _ in published(service)} == {"127.0.0.1"}


def test_interpolation_defaults_are_the_env_dev_values() -> None:
    defaults = re.findall(r"\$\{(\w+):-([^}]*)\}", COMPOSE_FILE.read_text())

    assert defaults
    assert {name: value for name, value in defaults} == {name: ENV_DEV[name] for name, _ in defaults}


def test_every_service_of_ours_reads_env_dev_then_an_optional_env(services) -> None:
    for name in ("postgres", "mock_ofd", "mock_odoo_api", "kkt_adapter", "odoo"):
        assert services[name]["env_file"] == [{"path": ".env.dev"}, {"path": ".env", "required": False}], name


def test_inside_the_containers_services_listen_on_all_interfaces(services) -> None:
    assert services["kkt_adapter"]["environment"]["KKT_ADAPTER_HOST"] == "0.0.0.0"
    for name in ("mock_ofd", "mock_odoo_api"):
        command = services[name]["command"]
        assert command[command.index("--host") + 1] == "0.0.0.0", name
    assert "http_interface = 0.0.0.0" in (REPOSITORY / "docker" / "odoo" / "entrypoint.sh").read_text()


def test_containers_reach_each_other_by_service_name_on_the_ports_they_listen_on(services) -> None:
    adapter_env = services["kkt_adapter"]["environment"]
    targets = {
        "OFD_URL": adapter_env["OFD_URL"], "ODOO_API_URL": adapter_env["ODOO_API_URL"],
        "REDIS_URL": adapter_env["REDIS_URL"], "KKT_ADAPTER_URL": services["odoo"]["environment"]["KKT_ADAPTER_URL"],
    }
    reached = {variable: (urlsplit(url).hostname, urlsplit(url).port) for variable, url in targets.items()}

    assert reached == {"OFD_URL": ("mock_ofd", 9000), "ODOO_API_URL": ("mock_odoo_api", 8070),
                       "REDIS_URL": ("redis", 6379), "KKT_ADAPTER_URL": ("kkt_adapter", 8000)}
    for variable, (host, port) in reached.items():
        assert port in {inside for _, _, inside in published(services[host])}, f"{variable}: {host} not on {port}"


def test_every_http_health_check_names_an_endpoint_the_service_serves(services, serves) -> None:
    checked = 0
    for name, service in services.items():
        command = " ".join(service["healthcheck"]["test"])
        for url in re.findall(r"http://[^\s'\"]+", command):
            parts = urlsplit(url)
            assert parts.hostname == "127.0.0.1", f"{name}: {url}"
            assert parts.port in {inside for _, _, inside in published(service)}, f"{name}: {url} is not its port"
            assert serves(name, parts.path), f"{name} does not serve {parts.path}"
            checked += 1

    assert checked == 6


def test_redis_and_postgresql_health_checks_ask_the_servers_themselves(services) -> None:
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert "pg_isready -U \"$$POSTGRES_USER\" -d \"$$POSTGRES_DB\"" in services["postgres"]["healthcheck"]["test"][1]


def test_services_wait_for_the_health_of_what_they_need(services) -> None:
    needs = {name: service.get("depends_on", {}) for name, service in services.items()}

    assert set(needs["kkt_adapter"]) == {"redis", "mock_ofd", "mock_odoo_api"}
    assert set(needs["odoo"]) == {"postgres", "kkt_adapter"}
    assert {condition["condition"] for wanted in needs.values() for condition in wanted.values()} == {
        "service_healthy"}


def test_the_network_and_volumes_carry_the_seeds_names(compose, services) -> None:
    assert {network["name"] for network in compose["networks"].values()} == {"opticserp_dev_network"}
    assert {volume["name"] for volume in compose["volumes"].values()} == {
        "opticserp_postgres_dev", "opticserp_odoo_dev", "opticserp_kkt_buffer_dev"}
    assert all(service["networks"] == ["opticserp_dev"] for service in services.values())


def test_prometheus_and_grafana_come_only_with_the_monitoring_profile(services) -> None:
    profiled = {name for name, service in services.items() if service.get("profiles")}

    assert profiled == {"prometheus", "grafana"}
    assert all(services[name]["profiles"] == ["monitoring"] for name in profiled)


def test_everything_the_compose_file_builds_or_mounts_exists(services) -> None:
    for name, service in services.items():
        if "build" in service:
            dockerfile = REPOSITORY / service["build"]["context"] / service["build"]["dockerfile"]
            assert dockerfile.is_file(), name
            for source in re.findall(r"^COPY (.+) \S+$", dockerfile.read_text(), re.M):
                for path in source.split():
                    assert (REPOSITORY / path).exists(), f"{dockerfile.name} copies {path}, which is missing"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (REPOSITORY / source).exists(), f"{name} mounts {source}, which is missing"


def test_prometheus_scrapes_the_adapters_metrics_endpoint(services, serves) -> None:
    config = yaml.safe_load((REPOSITORY / "docker" / "prometheus" / "prometheus.yml").read_text())
    scraped = [(job.get("metrics_path", "/metrics"), target) for job in config["scrape_configs"]
               for static in job["static_configs"] for target in static["targets"]]

    assert scraped == [("/metrics", "kkt_adapter:8000")]
    for path, target in scraped:
        host, port = target.split(":")
        assert int(port) in {inside for _, _, inside in published(services[host])}
        assert serves(host, path)


def dashboards() -> dict[str, dict[str, Any]]:
    found = {}
    for path in sorted(DASHBOARDS.glob("*.json")):
        dashboard = json.loads(path.read_text())
        found[dashboard["uid"]] = dashboard
    return found


def test_grafana_provisions_the_seeds_three_dashboards_on_the_provisioned_prometheus(services) -> None:
    datasources = yaml.safe_load(
        (REPOSITORY / "docker/grafana/provisioning/datasources/prometheus.yml").read_text())["datasources"]
    provider = yaml.safe_load(
        (REPOSITORY / "docker/grafana/provisioning/dashboards/opticserp.yml").read_text())["providers"][0]
    mounts = dict(volume.split(":")[:2] for volume in services["grafana"]["volumes"])

    assert set(dashboards()) == {"kkt-buffer", "circuit-breaker", "performance"}
    assert [(source["uid"], source["url"]) for source in datasources] == [("prometheus", "http://prometheus:9090")]
    assert mounts["./docker/grafana/dashboards"] == provider["options"]["path"]
    for dashboard in dashboards().values():
        for panel in dashboard["panels"]:
            assert panel["datasource"]["uid"] == "prometheus", panel["title"]
            assert panel["targets"], panel["title"]


@pytest.fixture(scope="module")
def exported_metrics(adapter) -> set[str]:
    """Every sample name the real adapter exports on /metrics, with the suffixes of each metric's type
    (a labelled counter has no sample until its first increment, but its family is listed)."""
    suffixes = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_count", "_sum", "_created"),
                "gauge": ("",)}
    names = set()
    for family in text_string_to_metric_families(http_client.get(f"{adapter.url}/metrics").text):
        names |= {family.name + suffix for suffix in suffixes.get(family.type, ("",))}
        names |= {sample.name for sample in family.samples}
    return names


@pytest.mark.parametrize("uid", ["kkt-buffer", "circuit-breaker", "performance"])
def test_every_metric_a_dashboard_queries_is_exported_by_the_adapter(uid, exported_metrics) -> None:
    queried = {name for panel in dashboards()[uid]["panels"] for target in panel["targets"]
               for name in METRIC_NAME.findall(target["expr"])}

    assert queried
    assert queried <= exported_metrics, f"not exported: {sorted(queried - exported_metrics)}"


def test_the_seeds_dashboard_addresses_are_the_provisioned_uids() -> None:
    guide = (REPOSITORY / "docs" / "developer-guide.md").read_text()

    for uid in dashboards():
        assert f"http://localhost:3001/d/{uid}" in guide


def test_the_images_need_no_files_the_build_context_leaves_out() -> None:
    ignored = (REPOSITORY / ".dockerignore").read_text().split()
    copied = re.findall(r"^COPY (.+) \S+$", (REPOSITORY / "docker" / "opticserp.Dockerfile").read_text(), re.M)

    assert not [path for line in copied for path in line.split() if Path(path).parts[0] in ignored]


def test_the_adapter_answers_the_names_the_other_containers_reach_it_by(services) -> None:
    environment = services["kkt_adapter"]["environment"]
    settings = load_settings(None, kkt_adapter_host=environment["KKT_ADAPTER_HOST"],
                             kkt_allowed_hosts=environment.get("KKT_ALLOWED_HOSTS", ""))
    prometheus = yaml.safe_load((REPOSITORY / "docker" / "prometheus" / "prometheus.yml").read_text())
    reached_as = [urlsplit(services["odoo"]["environment"]["KKT_ADAPTER_URL"]).netloc,
                  *prometheus["scrape_configs"][0]["static_configs"][0]["targets"]]

    assert reached_as == ["kkt_adapter:8000", "kkt_adapter:8000"]
    assert all(settings.allowed_hosts.allows(host) for host in reached_as)
    assert not settings.allowed_hosts.allows("attacker.example:8000")

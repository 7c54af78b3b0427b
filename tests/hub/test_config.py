"""hub_config/: every CTANB_HUB_AUTH mode loads, and the z2jh Helm values are well formed.

No hub is started here: the configuration file is loaded the way JupyterHub loads it and each
section is checked against the real JupyterHub / oauthenticator classes, so a misspelt option
(which JupyterHub would only warn about) fails.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

pytestmark = pytest.mark.hub

HUB_CONFIG = Path(__file__).resolve().parents[2] / "hub_config"
ARCHIVE_ACCESS = "access:services!service=ctanb-archive"


def load(monkeypatch, tmp_path, **env: str) -> Config:
    """Load hub_config/jupyterhub_config.py with only the given CTANB_HUB_* variables."""
    for key in list(os.environ):
        if key.startswith("CTANB_HUB_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("CTANB_HUB_STATE_DIR", str(tmp_path / "state"))
    for key, value in env.items():
        monkeypatch.setenv(f"CTANB_HUB_{key}", value)
    return PyFileConfigLoader("jupyterhub_config.py", path=str(HUB_CONFIG)).load_config()


def configurable_classes() -> dict:
    from jupyterhub.app import JupyterHub
    from jupyterhub.auth import Authenticator, DummyAuthenticator, PAMAuthenticator
    from jupyterhub.proxy import ConfigurableHTTPProxy
    from jupyterhub.spawner import LocalProcessSpawner, SimpleLocalProcessSpawner, Spawner
    from oauthenticator.generic import GenericOAuthenticator
    from oauthenticator.github import GitHubOAuthenticator

    return {
        "JupyterHub": JupyterHub,
        "Authenticator": Authenticator,
        "GenericOAuthenticator": GenericOAuthenticator,
        "GitHubOAuthenticator": GitHubOAuthenticator,
        "DummyAuthenticator": DummyAuthenticator,
        "UnixGroupsPAMAuthenticator": PAMAuthenticator,
        "ConfigurableHTTPProxy": ConfigurableHTTPProxy,
        "Spawner": Spawner,
        "KubeSpawner": Spawner,  # KubeSpawner adds traits; those used here are Spawner's
        "LocalProcessSpawner": LocalProcessSpawner,
        "SimpleLocalProcessSpawner": SimpleLocalProcessSpawner,
    }


def assert_known_traits(config: Config | dict) -> None:
    """Every section is a known class and every option one of its configurable traits."""
    classes = configurable_classes()
    for section, options in config.items():
        assert section in classes, f"unexpected configuration section {section}"
        traits = classes[section].class_traits(config=True)
        unknown = sorted(set(options) - set(traits))
        assert not unknown, f"{section} has no options {unknown}"


OIDC = {
    "AUTH": "oidc",
    "OIDC_AUTHORIZE_URL": "https://idp.example.org/auth",
    "OIDC_TOKEN_URL": "https://idp.example.org/token",
    "OIDC_USERDATA_URL": "https://idp.example.org/userinfo",
    "CLIENT_ID": "ctanb-hub",
    "CLIENT_SECRET": "not-a-real-secret",
    "ALLOWED_GROUPS": "cta-consortium, hess-public",
    "ADMIN_USERS": "ops",
}


def test_oidc_mode(monkeypatch, tmp_path):
    config = load(monkeypatch, tmp_path, **OIDC, PUBLIC_URL="https://hub.example.org")
    assert_known_traits(config)
    assert config.JupyterHub.authenticator_class == "generic-oauth"
    from oauthenticator.generic import GenericOAuthenticator

    authenticator = GenericOAuthenticator(config=config)
    assert authenticator.manage_groups is True
    assert authenticator.allowed_groups == {"cta-consortium", "hess-public"}
    assert authenticator.admin_users == {"ops"}
    assert authenticator.auth_state_groups_key == "oauth_user.groups"
    assert "groups" in authenticator.scope
    assert authenticator.oauth_callback_url == "https://hub.example.org/hub/oauth_callback"
    assert authenticator.token_url == OIDC["OIDC_TOKEN_URL"]
    # served over https: Secure + SameSite cookies (JupyterHub adds HttpOnly itself)
    assert config.JupyterHub.tornado_settings["cookie_options"] == {
        "samesite": "Lax",
        "secure": True,
    }
    assert config.JupyterHub.public_url == "https://hub.example.org"
    # the archive is a managed service that every user and server token may reach
    (service,) = config.JupyterHub.services
    assert service["name"] == "ctanb-archive"
    assert service["command"][-4:] == ["--host", "127.0.0.1", "--port", "8765"]
    assert ARCHIVE_ACCESS in config.Spawner.server_token_scopes
    assert config.JupyterHub.load_roles == [{"name": "user", "scopes": ["self", ARCHIVE_ACCESS]}]


def test_oidc_mode_reads_the_secret_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    settings = {k: v for k, v in OIDC.items() if k != "CLIENT_SECRET"}
    config = load(monkeypatch, tmp_path, **settings, CLIENT_SECRET_FILE=str(secret))
    assert config.GenericOAuthenticator.client_secret == "from-a-file"
    # plain http (local): no Secure flag that browsers would then refuse to send back
    assert "secure" not in config.JupyterHub.tornado_settings["cookie_options"]


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ("CLIENT_ID", "CTANB_HUB_CLIENT_ID"),
        ("CLIENT_SECRET", "CTANB_HUB_CLIENT_SECRET"),
        ("OIDC_TOKEN_URL", "CTANB_HUB_OIDC_ISSUER"),
        ("ALLOWED_GROUPS", "CTANB_HUB_ALLOWED_GROUPS"),
    ],
)
def test_oidc_mode_names_what_is_missing(monkeypatch, tmp_path, missing, named):
    settings = {k: v for k, v in OIDC.items() if k != missing}
    with pytest.raises(SystemExit, match=named):
        load(monkeypatch, tmp_path, **settings)


def test_github_mode_groups_are_teams(monkeypatch, tmp_path):
    config = load(
        monkeypatch,
        tmp_path,
        AUTH="github",
        CLIENT_ID="id",
        CLIENT_SECRET="secret",
        GITHUB_ORGS="cta-observatory",
        ALLOWED_GROUPS="cta-observatory:ctanb",
    )
    assert_known_traits(config)
    from oauthenticator.github import GitHubOAuthenticator

    authenticator = GitHubOAuthenticator(config=config)
    assert authenticator.allowed_organizations == {"cta-observatory"}
    assert authenticator.allowed_groups == {"cta-observatory:ctanb"}
    teams = {"teams": [{"slug": "ctanb", "organization": {"login": "cta-observatory"}}]}
    assert authenticator.auth_state_groups_key(teams) == ["cta-observatory:ctanb"]


def test_local_mode_uses_unix_accounts_and_groups(monkeypatch, tmp_path):
    config = load(monkeypatch, tmp_path, AUTH="local", ALLOWED_GROUPS="cta")
    assert_known_traits(config)
    cls = config.JupyterHub.authenticator_class
    assert cls.__name__ == "UnixGroupsPAMAuthenticator"
    assert config.JupyterHub.spawner_class == "localprocess"
    authenticator = cls(config=config)
    assert authenticator.allowed_groups == {"cta"}
    assert authenticator.manage_groups is True
    # the hub groups of a user are its Unix groups, as `id -Gn` lists them
    user = os.environ.get("USER") or "root"
    expected = sorted(set(subprocess.check_output(["id", "-Gn", user], text=True).split()))
    unix_groups = cls.authenticate.__globals__["unix_groups"]
    assert unix_groups(user) == expected


def test_dev_mode_is_marked_and_stays_on_loopback(monkeypatch, tmp_path, capfd):
    config = load(monkeypatch, tmp_path, AUTH="dev")
    assert_known_traits(config)
    assert config.JupyterHub.authenticator_class == "dummy"
    assert "DEVELOPMENT MODE" in config.JupyterHub.template_vars["announcement"]
    assert "DEVELOPMENT MODE" in capfd.readouterr().err
    assert config.JupyterHub.spawner_class == "simple"
    with pytest.raises(SystemExit, match=r"only binds to 127\.0\.0\.1"):
        load(monkeypatch, tmp_path, AUTH="dev", BIND_URL="http://0.0.0.0:8000")


def test_unknown_modes_are_refused(monkeypatch, tmp_path):
    with pytest.raises(SystemExit, match="CTANB_HUB_AUTH must be"):
        load(monkeypatch, tmp_path, AUTH="saml")
    with pytest.raises(SystemExit, match="CTANB_HUB_SPAWNER must be"):
        load(monkeypatch, tmp_path, AUTH="dev", SPAWNER="kubernetes")


# ------------------------------------------------------------------ zero-to-jupyterhub values
# Keys the z2jh chart accepts (its values.schema.yaml sets additionalProperties: false on these
# objects), taken from jupyterhub/zero-to-jupyterhub-k8s at commit 48ea50e3 (2026-07-24).
Z2JH_KEYS = {
    (): {
        "cull", "custom", "debug", "enabled", "fullnameOverride", "global", "httpRoute", "hub",
        "imagePullSecret", "imagePullSecrets", "ingress", "nameOverride", "prePuller", "proxy",
        "rbac", "scheduling", "singleuser",
    },
    ("hub",): {
        "activeServerLimit", "allowNamedServers", "annotations", "args", "authenticatePrometheus",
        "baseUrl", "command", "concurrentSpawnLimit", "config", "consecutiveFailureLimit",
        "containerSecurityContext", "cookieSecret", "db", "deploymentStrategy", "existingSecret",
        "extraConfig", "extraContainers", "extraEnv", "extraFiles", "extraPodSpec",
        "extraVolumeMounts", "extraVolumes", "fsGid", "image", "initContainers", "labels",
        "lifecycle", "livenessProbe", "loadRoles", "namedServerLimitPerUser", "networkPolicy",
        "nodeSelector", "pdb", "podSecurityContext", "readinessProbe", "redirectToServer",
        "resources", "revisionHistoryLimit", "service", "serviceAccount", "services",
        "shutdownOnLogout", "templatePaths", "templateVars", "tolerations",
    },
    ("singleuser",): {
        "allowPrivilegeEscalation", "cloudMetadata", "cmd", "cpu", "defaultUrl", "events",
        "extraAnnotations", "extraContainers", "extraEnv", "extraFiles", "extraLabels",
        "extraNodeAffinity", "extraPodAffinity", "extraPodAntiAffinity", "extraPodConfig",
        "extraResource", "extraTolerations", "fsGid", "image", "initContainers",
        "lifecycleHooks", "memory", "networkPolicy", "networkTools", "nodeSelector",
        "podNameTemplate", "profileList", "serviceAccountName", "startTimeout", "storage", "uid",
    },
    ("proxy",): {
        "annotations", "chp", "deploymentStrategy", "https", "labels", "secretSync",
        "secretToken", "service", "traefik",
    },
    ("proxy", "https"): {"enabled", "type", "letsencrypt", "manual", "secret", "hosts"},
    ("singleuser", "image"): {"name", "tag", "pullPolicy", "pullSecrets"},
    ("singleuser", "cpu"): {"limit", "guarantee"},
    ("singleuser", "memory"): {"limit", "guarantee"},
    ("singleuser", "storage"): {
        "capacity", "dynamic", "extraLabels", "extraVolumeMounts", "extraVolumes",
        "homeMountPath", "static", "type",
    },
    ("singleuser", "networkPolicy"): {
        "enabled", "ingress", "egress", "egressAllowRules", "interNamespaceAccessLabels",
        "allowedIngressPorts",
    },
    ("hub", "networkPolicy"): {
        "enabled", "ingress", "egress", "egressAllowRules", "interNamespaceAccessLabels",
        "allowedIngressPorts",
    },
    ("cull",): {
        "adminUsers", "concurrency", "enabled", "every", "maxAge", "removeNamedServers",
        "timeout", "users",
    },
    ("scheduling",): {"corePods", "podPriority", "userPlaceholder", "userPods", "userScheduler"},
}  # fmt: skip


@pytest.fixture(scope="module")
def values() -> dict:
    return yaml.safe_load((HUB_CONFIG / "z2jh-values.yaml").read_text())


def test_z2jh_values_use_only_the_charts_keys(values):
    for path, allowed in Z2JH_KEYS.items():
        node = values
        for key in path:
            node = node.get(key, {})
        unknown = sorted(set(node) - allowed)
        assert not unknown, f"{'.'.join(path) or 'top level'}: the chart has no {unknown}"
    assert isinstance(values["singleuser"]["cpu"]["limit"], int | float)
    assert isinstance(values["singleuser"]["image"]["tag"], str)  # "0.1.0", not a number


def test_z2jh_hub_config_sets_real_traits_and_matches_jupyterhub_config(
    values, monkeypatch, tmp_path
):
    hub = values["hub"]
    assert_known_traits(hub["config"])
    # extraConfig is Python run inside the hub: it must compile and set real traits
    extra = Config()
    for name, code in hub["extraConfig"].items():
        exec(compile(code, f"hub.extraConfig.{name}", "exec"), {"c": extra})
    assert_known_traits(extra)
    # the roles' scopes are scopes JupyterHub knows
    from jupyterhub.scopes import _check_scopes_exist

    for role in hub["loadRoles"].values():
        _check_scopes_exist(role["scopes"])
    # same login, groups, archive access and cookies as the single-machine configuration
    local = load(
        monkeypatch, tmp_path, **OIDC, PUBLIC_URL="https://hub.example.org", DASK_GATEWAY="1"
    )
    oidc = hub["config"]["GenericOAuthenticator"]
    for key in ("scope", "username_claim", "auth_state_groups_key", "manage_groups"):
        want = local.GenericOAuthenticator[key]
        assert oidc[key] == (list(want) if isinstance(want, list | set) else want), key
    assert oidc["allowed_groups"] == sorted(local.GenericOAuthenticator.allowed_groups)
    assert hub["config"]["KubeSpawner"]["server_token_scopes"] == list(
        local.Spawner.server_token_scopes
    )
    assert hub["loadRoles"]["user"]["scopes"] == local.JupyterHub.load_roles[0]["scopes"]
    service = local.JupyterHub.services[0]
    assert set(hub["services"]) == {s["name"] for s in local.JupyterHub.services}
    assert (
        hub["services"][service["name"]]["oauth_client_allowed_scopes"]
        == service["oauth_client_allowed_scopes"]
    )
    assert (
        extra.JupyterHub.tornado_settings["cookie_options"]
        == local.JupyterHub.tornado_settings["cookie_options"]
    )
    assert "client_secret" not in oidc  # secrets come from a Kubernetes secret
    assert hub["extraEnv"]["OAUTH_CLIENT_SECRET"]["valueFrom"]["secretKeyRef"]["key"]

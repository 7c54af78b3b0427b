"""JupyterHub configuration of ctanb: login, spawner, the archive service behind the hub.

Run from the repository root::

    CTANB_HUB_AUTH=oidc CTANB_HUB_OIDC_ISSUER=https://idp.example.org/realms/cta \\
    CTANB_HUB_CLIENT_ID=ctanb-hub CTANB_HUB_CLIENT_SECRET=... \\
    CTANB_HUB_ALLOWED_GROUPS=cta-consortium .venv/bin/jupyterhub -f hub_config/jupyterhub_config.py

Everything is chosen by ``CTANB_HUB_*`` environment variables; hub_config/README.md lists
them. A missing or contradictory setting stops the hub at start-up with a message naming
the variable to set. Command-line options (``--JupyterHub.bind_url=...``) still override.
"""

import os
import sys
from pathlib import Path
from urllib.parse import urlparse

c = get_config()  # noqa: F821 - provided by JupyterHub when it loads this file

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
VENV_BIN = Path(sys.executable).parent
ARCHIVE = "ctanb-archive"  # name of the archive service behind the hub


class HubConfigError(SystemExit):
    """A configuration mistake: stops the hub with a message saying what to set."""

    def __init__(self, message: str) -> None:
        super().__init__(f"ctanb hub configuration: {message} (see hub_config/README.md)")


def setting(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def setting_list(name: str) -> list[str]:
    return [item.strip() for item in setting(name).split(",") if item.strip()]


def required(name: str, why: str) -> str:
    value = setting(name)
    if not value:
        raise HubConfigError(f"set {name}: {why}")
    return value


def secret(name: str, why: str) -> str:
    """A secret from NAME or from the file named by NAME_FILE (e.g. a Kubernetes secret)."""
    path = setting(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return required(name, why)


def flag(name: str, default: bool) -> bool:
    value = setting(name).lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise HubConfigError(f"{name} must be 1 or 0, not {value!r}")


# ------------------------------------------------------------------------------- addresses
AUTH = setting("CTANB_HUB_AUTH", "oidc").lower()
BIND_URL = setting("CTANB_HUB_BIND_URL", "http://127.0.0.1:8000")
PUBLIC_URL = setting("CTANB_HUB_PUBLIC_URL", BIND_URL).rstrip("/")
HTTPS = urlparse(PUBLIC_URL).scheme == "https"
LOOPBACK = urlparse(BIND_URL).hostname in ("127.0.0.1", "localhost", "::1")

c.JupyterHub.bind_url = BIND_URL
c.JupyterHub.hub_bind_url = setting("CTANB_HUB_API_BIND_URL", "http://127.0.0.1:8081")
c.ConfigurableHTTPProxy.api_url = setting("CTANB_HUB_PROXY_API_URL", "http://127.0.0.1:8001")

# State: the hub's database, cookie secret and (simple spawner) the users' folders.
if setting("CTANB_HUB_STATE_DIR"):
    STATE = Path(setting("CTANB_HUB_STATE_DIR")).expanduser().resolve()
elif setting("CTANB_HOME"):
    STATE = Path(setting("CTANB_HOME")).expanduser().resolve() / "hub"
else:
    STATE = Path("/var/lib/ctanb/hub" if os.geteuid() == 0 else "~/.ctanb/hub").expanduser()
STATE.mkdir(parents=True, exist_ok=True, mode=0o700)
c.JupyterHub.db_url = setting("CTANB_HUB_DB_URL", f"sqlite:///{STATE / 'jupyterhub.sqlite'}")
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")

# configurable-http-proxy from the project's own npm packages (scripts/install_node.sh).
_chp = REPO / "node_modules" / ".bin" / "configurable-http-proxy"
if _chp.exists():
    c.ConfigurableHTTPProxy.command = [str(_chp)]

# ------------------------------------------------------------------------------- security
# Cookies: HttpOnly is JupyterHub's default; SameSite=Lax keeps the OAuth redirects working
# (Strict would drop the state cookie on the identity provider's redirect back); Secure
# whenever users reach the hub over HTTPS (JupyterHub also sets it on https requests).
c.JupyterHub.tornado_settings = {
    "cookie_options": {"samesite": "Lax", **({"secure": True} if HTTPS else {})},
}
if setting("CTANB_HUB_PUBLIC_URL"):
    c.JupyterHub.public_url = PUBLIC_URL
if HTTPS:
    c.JupyterHub.tornado_settings["headers"] = {
        "Strict-Transport-Security": "max-age=31536000; includeSubDomains"
    }
# XSRF protection is JupyterHub's default and is not relaxed here. Tokens: JupyterHub and
# the single-user servers scrub tokens from request logs; this file never logs a secret.

# ------------------------------------------------------------------------------- login
ALLOWED_GROUPS = set(setting_list("CTANB_HUB_ALLOWED_GROUPS"))
ADMIN_GROUPS = set(setting_list("CTANB_HUB_ADMIN_GROUPS"))
c.Authenticator.admin_users = set(setting_list("CTANB_HUB_ADMIN_USERS"))
c.Authenticator.allowed_users = set(setting_list("CTANB_HUB_ALLOWED_USERS"))
c.Authenticator.allow_all = flag("CTANB_HUB_ALLOW_ALL", False)


def _oidc_endpoints() -> dict[str, str]:
    """The provider's endpoints: explicit URLs, else its discovery document."""
    urls = {
        "authorize_url": setting("CTANB_HUB_OIDC_AUTHORIZE_URL"),
        "token_url": setting("CTANB_HUB_OIDC_TOKEN_URL"),
        "userdata_url": setting("CTANB_HUB_OIDC_USERDATA_URL"),
    }
    if all(urls.values()):
        return urls
    issuer = required(
        "CTANB_HUB_OIDC_ISSUER",
        "the provider's issuer URL (discovery), or all three of CTANB_HUB_OIDC_AUTHORIZE_URL, "
        "CTANB_HUB_OIDC_TOKEN_URL and CTANB_HUB_OIDC_USERDATA_URL",
    ).rstrip("/")
    import requests

    discovery = f"{issuer}/.well-known/openid-configuration"
    try:
        response = requests.get(discovery, timeout=10)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise HubConfigError(
            f"cannot read the OpenID Connect discovery document {discovery}: {exc}; check "
            "CTANB_HUB_OIDC_ISSUER or give the three endpoint URLs"
        ) from None
    names = {
        "authorize_url": "authorization_endpoint",
        "token_url": "token_endpoint",
        "userdata_url": "userinfo_endpoint",
    }
    return {key: value or document[names[key]] for key, value in urls.items()}


def _group_settings(cls: str) -> None:
    """Hub groups from the provider (manage_groups) and the group-based allow/admin lists."""
    config = c[cls]
    config.manage_groups = True  # before the group options: oauthenticator checks the order
    if ALLOWED_GROUPS:
        config.allowed_groups = ALLOWED_GROUPS
    if ADMIN_GROUPS:
        config.admin_groups = ADMIN_GROUPS


if AUTH == "oidc":
    c.JupyterHub.authenticator_class = "generic-oauth"
    for key, value in _oidc_endpoints().items():
        setattr(c.GenericOAuthenticator, key, value)
    c.GenericOAuthenticator.client_id = required(
        "CTANB_HUB_CLIENT_ID", "the client id registered at the identity provider"
    )
    c.GenericOAuthenticator.client_secret = secret(
        "CTANB_HUB_CLIENT_SECRET", "the client secret registered at the identity provider"
    )
    c.GenericOAuthenticator.oauth_callback_url = f"{PUBLIC_URL}/hub/oauth_callback"
    c.GenericOAuthenticator.login_service = setting("CTANB_HUB_LOGIN_SERVICE", "CTAO login")
    _scopes = setting("CTANB_HUB_OIDC_SCOPES", "openid profile email groups")
    c.GenericOAuthenticator.scope = _scopes.split()
    c.GenericOAuthenticator.username_claim = setting(
        "CTANB_HUB_OIDC_USERNAME_CLAIM", "preferred_username"
    )
    _group_settings("GenericOAuthenticator")
    # The userinfo answer is stored in auth_state["oauth_user"]: its groups claim gives
    # the hub groups (Keycloak: a "groups" client scope with the Group Membership mapper,
    # full path off; Unity IDM and SATOSA: an attribute released as "groups").
    _claim = setting("CTANB_HUB_OIDC_GROUPS_CLAIM", "groups")
    c.GenericOAuthenticator.auth_state_groups_key = f"oauth_user.{_claim}"
    if not (ALLOWED_GROUPS or c.Authenticator.allowed_users or c.Authenticator.allow_all):
        raise HubConfigError(
            "nobody could log in: set CTANB_HUB_ALLOWED_GROUPS (e.g. cta-consortium), "
            "CTANB_HUB_ALLOWED_USERS, or CTANB_HUB_ALLOW_ALL=1"
        )

elif AUTH == "github":
    c.JupyterHub.authenticator_class = "github"
    c.GitHubOAuthenticator.client_id = required("CTANB_HUB_CLIENT_ID", "the GitHub OAuth app id")
    c.GitHubOAuthenticator.client_secret = secret(
        "CTANB_HUB_CLIENT_SECRET", "the GitHub OAuth app secret"
    )
    c.GitHubOAuthenticator.oauth_callback_url = f"{PUBLIC_URL}/hub/oauth_callback"
    c.GitHubOAuthenticator.allowed_organizations = set(setting_list("CTANB_HUB_GITHUB_ORGS"))
    # Hub groups are the user's GitHub teams, named "org:team" (read:org is needed to see them).
    c.GitHubOAuthenticator.scope = ["read:user", "read:org"]
    c.GitHubOAuthenticator.populate_teams_in_auth_state = True
    _group_settings("GitHubOAuthenticator")

    def _github_teams(auth_state: dict) -> list[str]:
        return [
            f"{team['organization']['login']}:{team['slug']}"
            for team in auth_state.get("teams") or []
        ]

    c.GitHubOAuthenticator.auth_state_groups_key = _github_teams

elif AUTH == "local":
    # Small sites: the machine's own accounts and passwords (PAM). The hub runs as root to
    # start each user's server as that user (LocalProcessSpawner). The user's Unix groups
    # become hub groups, so the archive sees the same groups as the file system.
    import grp
    import pwd

    from jupyterhub.auth import PAMAuthenticator

    def unix_groups(username: str) -> list[str]:
        """Names of the Unix groups of ``username`` (primary and supplementary)."""
        gids = os.getgrouplist(username, pwd.getpwnam(username).pw_gid)
        return sorted({grp.getgrgid(gid).gr_name for gid in gids})

    class UnixGroupsPAMAuthenticator(PAMAuthenticator):
        """PAM login whose hub groups are the user's Unix groups."""

        async def authenticate(self, handler, data):
            name = await super().authenticate(handler, data)
            if name is None:
                return None
            return {"name": name, "groups": unix_groups(name)}

    c.JupyterHub.authenticator_class = UnixGroupsPAMAuthenticator
    c.UnixGroupsPAMAuthenticator.manage_groups = True
    # LocalAuthenticator.allowed_groups are Unix groups; PAMAuthenticator.admin_groups too.
    c.UnixGroupsPAMAuthenticator.allowed_groups = ALLOWED_GROUPS
    c.UnixGroupsPAMAuthenticator.admin_groups = ADMIN_GROUPS

elif AUTH == "dev":
    # DEVELOPMENT MODE: any user name logs in (with CTANB_HUB_DEV_PASSWORD if set). Only on
    # a loopback address, and every page says so.
    if not LOOPBACK:
        raise HubConfigError(
            f"CTANB_HUB_AUTH=dev lets anyone in and only binds to 127.0.0.1, not {BIND_URL}"
        )
    c.JupyterHub.authenticator_class = "dummy"
    c.DummyAuthenticator.password = setting("CTANB_HUB_DEV_PASSWORD")
    c.Authenticator.allow_all = True
    c.JupyterHub.template_vars = {
        "announcement": "DEVELOPMENT MODE: no real login (CTANB_HUB_AUTH=dev). Never expose it."
    }
    print("ctanb hub: DEVELOPMENT MODE (CTANB_HUB_AUTH=dev): no real login", file=sys.stderr)

else:
    raise HubConfigError(f"CTANB_HUB_AUTH must be oidc, github, local or dev, not {AUTH!r}")

# ------------------------------------------------------------------------------- spawner
SPAWNER = setting("CTANB_HUB_SPAWNER", "simple" if AUTH == "dev" else "local").lower()
_singleuser = VENV_BIN / "jupyterhub-singleuser"
c.Spawner.cmd = [str(_singleuser)] if _singleuser.exists() else ["jupyterhub-singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = int(setting("CTANB_HUB_START_TIMEOUT", "120"))
# JupyterHub passes almost nothing of its own environment on: give the servers a PATH
# (this virtual environment first), the locale, and the ctanb settings they need.
_path = f"{VENV_BIN}:{os.environ.get('PATH', '/usr/local/bin:/usr/bin:/bin')}"
_ctanb_env = {
    key: value
    for key, value in os.environ.items()
    if key.startswith("CTANB_") and not key.startswith("CTANB_HUB_") and key != "CTANB_TOKEN"
}
c.Spawner.environment = {
    "PATH": _path,
    "LANG": os.environ.get("LANG", "C.UTF-8"),
    **{k: v for k, v in _ctanb_env.items() if k in ("CTANB_DATA", "CTANB_CATALOGS")},
}

if SPAWNER == "local":
    # One machine, real isolation: each user's server runs as the Unix user of that name.
    c.JupyterHub.spawner_class = "localprocess"
elif SPAWNER == "simple":
    # One machine, NO isolation: every server runs as the hub's own Unix user, in
    # <state>/users/<name>. For development and tests (and for OIDC users without accounts).
    c.JupyterHub.spawner_class = "simple"
    c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "users" / "{username}")
    if os.geteuid() == 0:
        c.Spawner.args = ["--allow-root"]
elif SPAWNER == "docker":
    # One machine, containers (pip install dockerspawner; the image must hold ctanb).
    c.JupyterHub.spawner_class = "docker"
    c.DockerSpawner.image = required("CTANB_HUB_DOCKER_IMAGE", "the single-user image")
    c.DockerSpawner.network_name = setting("CTANB_HUB_DOCKER_NETWORK", "ctanb")
    c.DockerSpawner.remove = True
    c.JupyterHub.hub_connect_url = setting("CTANB_HUB_CONNECT_URL", "http://ctanb-hub:8081")
    c.Spawner.cmd = ["jupyterhub-singleuser"]
    c.Spawner.environment = {
        k: v for k, v in c.Spawner.environment.items() if k not in ("PATH", "CTANB_DATA")
    }
else:
    raise HubConfigError(f"CTANB_HUB_SPAWNER must be local, simple or docker, not {SPAWNER!r}")

# ------------------------------------------------------------------------------- archive
# The archive (TAP, data, UWS) runs as a hub-managed service. It identifies callers with
# ctanb.services.hubauth: a notebook's JUPYTERHUB_API_TOKEN is enough, no second login.
# Every user may reach it (the archive applies each user's data rights itself), and the
# servers' tokens carry that access.
if flag("CTANB_HUB_ARCHIVE", True):
    _host = setting("CTANB_HUB_ARCHIVE_HOST", "127.0.0.1")
    _port = setting("CTANB_HUB_ARCHIVE_PORT", "8765")
    ARCHIVE_URL = f"http://{_host}:{_port}"
    _ctanb = VENV_BIN / "ctanb"
    c.JupyterHub.services = [
        {
            "name": ARCHIVE,
            "url": ARCHIVE_URL,
            "command": [
                str(_ctanb) if _ctanb.exists() else "ctanb",
                "serve",
                "--host",
                _host,
                "--port",
                _port,
            ],
            "environment": {
                "PATH": _path,
                "LANG": os.environ.get("LANG", "C.UTF-8"),
                **_ctanb_env,
                "CTANB_SERVICE_URL": ARCHIVE_URL,
            },
            "display": False,
            "oauth_no_confirm": True,
            # tokens the hub issues to this service (browser OAuth) may only identify users
            "oauth_client_allowed_scopes": ["read:users:name!user", "read:users:groups!user"],
        }
    ]
    _access = f"access:services!service={ARCHIVE}"
    c.JupyterHub.load_roles = [{"name": "user", "scopes": ["self", _access]}]
    c.Spawner.server_token_scopes = ["users:activity!user", "access:servers!server", _access]
    c.Spawner.environment["CTANB_SERVICE_URL"] = setting("CTANB_HUB_ARCHIVE_USER_URL", ARCHIVE_URL)

# ------------------------------------------------------------------------------- dask-gateway
# Per-user dask clusters (CTANB_HUB_DASK_GATEWAY=1): dask-gateway runs as a hub-managed
# service with hub_config/dask_gateway_config.py and knows users by their hub tokens. A
# notebook's dask_gateway.Gateway() finds it through the DASK_GATEWAY__* variables, and
# ctanb.analysis bins on the user's running gateway cluster (make_count_map(client=True)).
GATEWAY = "dask-gateway"
if flag("CTANB_HUB_DASK_GATEWAY", False):
    _gateway_address = setting("CTANB_GATEWAY_ADDRESS", "127.0.0.1:8789")
    _gateway_env = {
        key: value
        for key, value in os.environ.items()
        if key.startswith("CTANB_GATEWAY_") or key in ("CTANB_DATA", "CTANB_CATALOGS")
    }
    c.JupyterHub.services.append(
        {
            "name": GATEWAY,
            "command": [
                str(VENV_BIN / "dask-gateway-server"),
                "-f",
                str(HERE / "dask_gateway_config.py"),
            ],
            "environment": {
                "PATH": _path,
                "LANG": os.environ.get("LANG", "C.UTF-8"),
                **_gateway_env,
                "CTANB_GATEWAY_ADDRESS": _gateway_address,
                "CTANB_GATEWAY_STATE_DIR": str(STATE / "dask-gateway"),
            },
            "display": False,
        }
    )
    _gateway_access = f"access:services!service={GATEWAY}"
    _user_role = next((r for r in c.JupyterHub.load_roles if r["name"] == "user"), None)
    if _user_role is None:
        c.JupyterHub.load_roles = [*c.JupyterHub.load_roles, {"name": "user", "scopes": ["self"]}]
        _user_role = c.JupyterHub.load_roles[-1]
    _user_role["scopes"].append(_gateway_access)
    _server_scopes = list(
        c.Spawner.server_token_scopes or ["access:servers!server", "users:activity!user"]
    )
    c.Spawner.server_token_scopes = [*_server_scopes, _gateway_access]
    c.Spawner.environment.update(
        {
            "DASK_GATEWAY__ADDRESS": f"http://{_gateway_address}",
            "DASK_GATEWAY__PROXY_ADDRESS": f"gateway://{_gateway_address}",
            "DASK_GATEWAY__PUBLIC_ADDRESS": setting(
                "CTANB_HUB_GATEWAY_PUBLIC_URL", f"http://{_gateway_address}"
            ),
            "DASK_GATEWAY__AUTH__TYPE": "jupyterhub",
        }
    )

# A site file (CTANB_HUB_EXTRA_CONFIG) may add or override anything above.
if setting("CTANB_HUB_EXTRA_CONFIG"):
    load_subconfig(setting("CTANB_HUB_EXTRA_CONFIG"))  # noqa: F821 - provided by JupyterHub

"""Superset's configuration, for native and docker mode alike: every value that differs
between installs or modes comes from the environment (the generated .env), none is
written here.
"""

import os


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set; start Superset through ./lakehouse up")
    return value


SECRET_KEY = _required("SUPERSET_SECRET_KEY")
SQLALCHEMY_DATABASE_URI = _required("SUPERSET_DATABASE_URI")

# How stale a chart may be: query results are cached this long (seconds). The README
# promises new data on the dashboards within this time after a load.
DATA_CACHE_SECONDS = int(os.environ.get("SUPERSET_DATA_CACHE_SECONDS", "60"))

_REDIS_URL = os.environ.get("SUPERSET_REDIS_URL")
if _REDIS_URL:
    # Valkey database 1 (Celery uses 0): caches survive a Superset restart.
    def _cache(prefix: str, timeout: int) -> dict[str, object]:
        return {
            "CACHE_TYPE": "RedisCache",
            "CACHE_DEFAULT_TIMEOUT": timeout,
            "CACHE_KEY_PREFIX": f"superset_{prefix}_",
            "CACHE_REDIS_URL": _REDIS_URL,
        }

    CACHE_CONFIG = _cache("metadata", 300)
    DATA_CACHE_CONFIG = _cache("data", DATA_CACHE_SECONDS)
    FILTER_STATE_CACHE_CONFIG = _cache("filter_state", 86400)
    EXPLORE_FORM_DATA_CACHE_CONFIG = _cache("explore_form_data", 86400)

# Reached on loopback over plain HTTP: no forced HTTPS redirects.
TALISMAN_ENABLED = False
SESSION_COOKIE_SAMESITE = "Lax"

# Iceberg columns are typed (date, timestamp), so there are no string formats to guess; and
# the guesser queries Trino with the schema in the catalog's place, failing on every refresh.
DATASET_AUTO_DETECT_DATETIME_FORMATS = False

FEATURE_FLAGS = {
    "DASHBOARD_NATIVE_FILTERS": True,
    "DASHBOARD_RBAC": False,
}

# The Trino connection the lakehouse registers (read by the provisioning, shown here so
# both modes define it in one place).
LAKEHOUSE_TRINO_SQLALCHEMY_URI = os.environ.get("LAKEHOUSE_TRINO_SQLALCHEMY_URI", "")

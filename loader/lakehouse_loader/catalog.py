"""The Iceberg catalog the loader writes through, and the object store beside it.

The stack's catalog is the Iceberg REST catalog over S3 (SeaweedFS). A `sqlite:` catalog
URL and a `file://` object store instead give the same loader over local files with
pyiceberg's SQL catalog: what the loader's fast tests run against, without services.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlparse

if TYPE_CHECKING:
    import pyarrow.fs as pafs
    from pyiceberg.catalog import Catalog

    from .config import PipelineConfig


def catalog(config: PipelineConfig) -> Catalog:
    if config.catalog_url.startswith("sqlite:"):
        from pyiceberg.catalog.sql import SqlCatalog

        return SqlCatalog(
            "lakehouse", uri=config.catalog_url, warehouse=f"{config.s3_endpoint}/warehouse"
        )

    from pyiceberg.catalog.rest import RestCatalog

    endpoint = urlparse(config.s3_endpoint)
    return RestCatalog(
        "lakehouse",
        uri=config.catalog_url,
        **{
            "s3.endpoint": f"{endpoint.scheme or 'http'}://{endpoint.netloc}",
            "s3.access-key-id": config.s3_access_key,
            "s3.secret-access-key": config.s3_secret_key,
            # SeaweedFS ignores regions, but every client must agree on one.
            "s3.region": config.s3_region,
            "s3.force-virtual-addressing": "false",
        },
    )


def object_store(config: PipelineConfig) -> pafs.FileSystem:
    """Where the raw zone is written: S3, or a local folder for a `file://` endpoint (its
    buckets are subfolders). Keys are `<bucket>/<path>` either way."""
    import pyarrow.fs as pafs

    endpoint = urlparse(config.s3_endpoint)
    if endpoint.scheme == "file":
        return pafs.SubTreeFileSystem(endpoint.path, pafs.LocalFileSystem())
    return pafs.S3FileSystem(
        access_key=config.s3_access_key,
        secret_key=config.s3_secret_key,
        endpoint_override=endpoint.netloc,
        scheme=endpoint.scheme or "http",
        # SeaweedFS ignores regions, but every client must agree on one.
        region=config.s3_region,
        allow_bucket_creation=False,
        allow_bucket_deletion=False,
    )

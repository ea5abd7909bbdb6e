"""A real S3-compatible server for the tests: moto's standalone server on 127.0.0.1, spoken to over HTTP.

Not a mock of the client: boto3 (through django-storages) sends real requests to a real server
on the loopback address, as web and worker processes would send them to MinIO.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import Iterator

import boto3

from webapp.config import S3Config

KEYS = {"access_key_id": "test-key", "secret_access_key": "test-secret"}
REGION = "us-east-1"
_buckets = itertools.count(1)


@contextlib.contextmanager
def s3_server() -> Iterator[str]:
    """Start moto's server on a free loopback port; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request in every test's log
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def new_bucket(endpoint: str) -> S3Config:
    """A fresh, empty bucket on the server, as the settings that point at it."""
    config = S3Config(bucket=f"fer-test-{next(_buckets)}", endpoint_url=endpoint, region=REGION, **KEYS)
    client(config).create_bucket(Bucket=config.bucket)
    return config


def client(config: S3Config):
    return boto3.client(
        "s3",
        endpoint_url=config.endpoint_url,
        region_name=config.region,
        aws_access_key_id=config.access_key_id,
        aws_secret_access_key=config.secret_access_key,
    )


def keys(config: S3Config) -> set[str]:
    """Every object name in the bucket."""
    pages = client(config).get_paginator("list_objects_v2").paginate(Bucket=config.bucket)
    return {entry["Key"] for page in pages for entry in page.get("Contents", [])}


def environment(config: S3Config) -> dict[str, str]:
    """The FER_S3_* variables a process (a worker) needs to use the same bucket."""
    return {
        "FER_S3_BUCKET": config.bucket,
        "FER_S3_ENDPOINT_URL": config.endpoint_url or "",
        "FER_S3_ACCESS_KEY_ID": config.access_key_id or "",
        "FER_S3_SECRET_ACCESS_KEY": config.secret_access_key or "",
        "FER_S3_REGION": config.region or "",
    }

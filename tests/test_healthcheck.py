"""The shared request finder and path classifier (:mod:`pipelint.healthcheck`)."""

from __future__ import annotations

import pytest

from pipelint.healthcheck import (
    classify_path,
    has_static_host,
    is_healthish,
    looks_like_check,
    method,
    requests,
    url_path,
)
from pipelint.shell import parse


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/ping", "shallow"),
        ("/", "shallow"),
        ("/api/v1/ping", "shallow"),
        ("/v2/live", "shallow"),
        ("/-/liveness", "shallow"),
        ("/foo/ping", "neutral"),
        ("/health", "neutral"),
        ("/healthz", "neutral"),
        ("/status", "neutral"),
        ("/readyz", "deep"),
        ("/api/ready", "deep"),
        ("/actuator/health", "deep"),
        ("", "neutral"),
    ],
)
def test_classify_path(path, expected):
    assert classify_path(path) == expected


def test_classify_path_custom_list():
    assert classify_path("/health", ("/health",)) == "shallow"
    assert classify_path("/ping", ("/health",)) == "neutral"


@pytest.mark.parametrize(
    "url, path",
    [
        ("https://api.example.com/ready?x=1", "/ready"),
        ("https://api.example.com", "/"),
        ("$BASE_URL/ping", "/ping"),
        ("${{ vars.URL }}", ""),
        ("$URL", ""),
        ("https://$HOST/api/v1/ping", "/api/v1/ping"),
    ],
)
def test_url_path(url, path):
    assert url_path(url) == path


def test_healthish_paths():
    assert is_healthish("/api/health-check")
    assert is_healthish("/status.json")
    assert is_healthish("/__health")
    assert not is_healthish("/latest-version")
    assert not is_healthish("/statusboard")
    assert not is_healthish("/")


def _request(script: str):
    program = parse(script)
    (request,) = requests(program)
    return program, request


@pytest.mark.parametrize(
    "script, check",
    [
        ("curl -s https://app.example.com/healthz", True),
        ("curl -s -o /dev/null https://app.example.com/", True),
        ("curl -s https://app.example.com/health | jq .status", True),
        ("curl -sSLo kubectl https://dl.k8s.io/release/v1.30.2/bin/linux/amd64/kubectl", False),
        ("curl -fsSL https://sh.rustup.rs | sh", False),
        ("curl -s https://app.example.com/version > version.txt", False),
        ("curl -X POST https://app.example.com/ping", False),
        ("curl -d '{}' https://app.example.com/ping", False),
        ("curl -s https://hooks.slack.com/services/T/B/X", False),
    ],
)
def test_looks_like_check(script, check):
    program, request = _request(script)
    assert looks_like_check(program, request) is check


def test_method_and_host():
    _, request = _request("curl -I https://app.example.com/")
    assert method(request.command) == "HEAD"
    assert has_static_host(request.url)
    _, request = _request("curl $BASE/")
    assert not has_static_host(request.url)

"""Fixes of the command and path rules: PL205 (--fail), PL203 (--timeout=), PL201 / PL404
(the configured deep path) and PL501 (pin to the SHA of --action-pins).

Each test writes a small repository, runs :func:`pipelint.fixes.fix` with only the rule
under test and checks the exact text, or that no fix is offered where none is exact.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from conftest import run_lint
from pipelint import fixes
from pipelint.config import Settings, load_action_pins
from pipelint.diagnostics import Applicability

WF = ".github/workflows/deploy.yml"


def _settings(code: str, options: dict | None = None, pins: dict | None = None) -> Settings:
    settings = Settings()
    settings.select = [code]
    if options:
        settings.rules = {code: dict(options)}
    if pins is not None:
        settings.action_pins = {k.lower(): v.lower() for k, v in pins.items()}
    return settings


def _fixed(root, code, text, options=None, pins=None, path=WF, newline="\n", registry=None):
    """(text after --fix --unsafe-fixes, findings before) for one file holding ``text``."""
    body = textwrap.dedent(text).lstrip("\n").replace("\n", newline)
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(body.encode("utf-8"))
    settings = _settings(code, options, pins)
    before = run_lint(root, settings=settings, registry=registry)
    assert not before.internal_errors, before.internal_errors[0].traceback
    outcome = fixes.fix([str(root)], settings, registry, unsafe=True, cwd=str(root))
    assert not outcome.refused, [(d.path, d.line, reason) for d, reason in outcome.refused]
    change = outcome.changes.get(str(target))
    after = change.after if change is not None else body
    if change is not None:
        assert not fixes.write(outcome.changes)
        again = fixes.fix([str(root)], settings, registry, unsafe=True, cwd=str(root))
        assert again.changes == {}, "a second --fix must change nothing"
    return after, [d for d in before.active if d.code == code]


def _changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(a) == len(b)
    return [(x, y) for x, y in zip(a, b) if x != y]


DEPLOY_HEAD = """
name: Deploy
on:
  push:
    branches: [main]
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - run: ./scripts/deploy.sh production
"""


# ------------------------------------------------------------------ PL205


def test_pl205_inserts_fail_in_a_literal_block_with_crlf(tmp_path, registry):
    text = DEPLOY_HEAD + """
      - name: Smoke test
        run: |
          echo "checking"
          curl -sS \\
            https://api.example.com/healthz
"""
    after, found = _fixed(tmp_path, "PL205", text, newline="\r\n", registry=registry)
    assert [d.fix.applicability for d in found] == [Applicability.SAFE]
    assert "curl -sS \\\r\n            https://" not in after
    assert "          curl --fail -sS \\\r\n            https://api.example.com/healthz\r\n" in after
    assert after.count("\r\n") == after.count("\n")


def test_pl205_plain_scalar_and_continuation_line(tmp_path, registry):
    text = DEPLOY_HEAD + """
      - run: curl
          https://api.example.com/healthz
"""
    after, found = _fixed(tmp_path, "PL205", text, registry=registry)
    assert len(found) == 1 and found[0].fix is not None
    assert "      - run: curl\n          --fail https://api.example.com/healthz\n" in after


@pytest.mark.parametrize(
    "run",
    [
        'run: "curl -sS https://api.example.com/healthz"',
        "run: >\n          curl -sS https://api.example.com/healthz",
    ],
    ids=["double-quoted", "folded"],
)
def test_pl205_offers_no_fix_in_quoted_or_folded_scripts(tmp_path, registry, run):
    text = DEPLOY_HEAD + f"\n      - {run}\n"
    after, found = _fixed(tmp_path, "PL205", text, registry=registry)
    assert len(found) == 1 and found[0].fix is None
    assert after == textwrap.dedent(text).lstrip("\n")


# ------------------------------------------------------------------ PL203

ROLLOUT = DEPLOY_HEAD + """
      - name: Roll out
        timeout-minutes: 0
        run: |
          kubectl -n production rollout status deployment/api # wait for it
          kubectl argo rollouts status checkout -n production
"""


def test_pl203_appends_the_default_timeout(tmp_path, registry):
    after, found = _fixed(tmp_path, "PL203", ROLLOUT, registry=registry)
    fixable = [d for d in found if d.fix is not None]
    assert len(fixable) == 2 and all(d.fix.applicability == Applicability.SAFE for d in fixable)
    assert "kubectl -n production rollout status deployment/api --timeout=10m # wait for it\n" in after
    assert "kubectl argo rollouts status checkout -n production --timeout=10m\n" in after


def test_pl203_uses_the_timeout_option(tmp_path, registry):
    after, _ = _fixed(tmp_path, "PL203", ROLLOUT, options={"timeout": "90s"}, registry=registry)
    assert "deployment/api --timeout=90s # wait" in after


@pytest.mark.parametrize("value", ["forever", "0", "0s", "10 m", ""])
def test_pl203_offers_no_fix_with_an_unusable_timeout(tmp_path, registry, value):
    after, found = _fixed(tmp_path, "PL203", ROLLOUT, options={"timeout": value}, registry=registry)
    assert found and all(d.fix is None for d in found)
    assert after == textwrap.dedent(ROLLOUT).lstrip("\n")


def test_pl203_loops_have_no_fix(tmp_path, registry):
    text = DEPLOY_HEAD + """
      - run: |
          until curl -fsS https://api.example.com/readyz; do sleep 5; done
"""
    _, found = _fixed(tmp_path, "PL203", text, registry=registry)
    assert found and all(d.fix is None for d in found)


# ------------------------------------------------------------------ PL201

PING = DEPLOY_HEAD + """
      - name: Smoke tests
        run: |
          curl --fail https://api.example.com/ping
          curl --fail "https://api.example.com/api/v1/ping?full=1"
          curl --fail https://www.example.com
"""


def test_pl201_without_deep_path_offers_no_fix(tmp_path, registry):
    after, found = _fixed(tmp_path, "PL201", PING, registry=registry)
    assert len(found) == 3 and all(d.fix is None for d in found)
    assert after == textwrap.dedent(PING).lstrip("\n")


def test_pl201_swaps_in_the_deep_path(tmp_path, registry):
    before = textwrap.dedent(PING).lstrip("\n")
    after, found = _fixed(tmp_path, "PL201", PING, options={"deep-path": "/readyz"}, registry=registry)
    assert all(d.fix.applicability == Applicability.UNSAFE for d in found)
    assert _changed_lines(before, after) == [
        ("          curl --fail https://api.example.com/ping\n", "          curl --fail https://api.example.com/readyz\n"),
        (
            '          curl --fail "https://api.example.com/api/v1/ping?full=1"\n',
            '          curl --fail "https://api.example.com/readyz?full=1"\n',
        ),
        ("          curl --fail https://www.example.com\n", "          curl --fail https://www.example.com/readyz\n"),
    ]


@pytest.mark.parametrize("deep", ["/ping", "/ready z", "ready", "/ready?x=1"])
def test_pl201_ignores_an_unusable_deep_path(tmp_path, registry, deep):
    _, found = _fixed(tmp_path, "PL201", PING, options={"deep-path": deep}, registry=registry)
    assert found and all(d.fix is None for d in found)


def test_pl201_no_fix_when_quotes_split_the_path(tmp_path, registry):
    text = DEPLOY_HEAD + """
      - run: |
          curl --fail https://api.example.com/'ping'
"""
    _, found = _fixed(tmp_path, "PL201", text, options={"deep-path": "/readyz"}, registry=registry)
    assert len(found) == 1 and found[0].fix is None


# ------------------------------------------------------------------ PL404

PROBES = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: orders
spec:
  selector:
    matchLabels: {app: orders}
  template:
    metadata:
      labels: {app: orders}
    spec:
      containers:
        - name: orders
          image: registry.example.com/orders:2.3.1
          ports:
            - containerPort: 8080
          readinessProbe:
            httpGet:
              path: "/ping"
              port: 8080
          livenessProbe:
            httpGet:
              path: LIVE
              port: 8080
"""


def test_pl404_replaces_a_quoted_path(tmp_path, registry):
    text = PROBES.replace("LIVE", "/live")
    after, found = _fixed(tmp_path, "PL404", text, options={"deep-path": "/ready"}, path="k8s/orders.yaml", registry=registry)
    assert [d.fix.applicability for d in found] == [Applicability.UNSAFE]
    assert _changed_lines(textwrap.dedent(text).lstrip("\n"), after) == [
        ('              path: "/ping"\n', '              path: "/ready"\n')
    ]


def test_pl404_no_fix_when_the_liveness_probe_checks_the_deep_path(tmp_path, registry):
    text = PROBES.replace("LIVE", "/ready")
    _, found = _fixed(tmp_path, "PL404", text, options={"deep-path": "/ready"}, path="k8s/orders.yaml", registry=registry)
    assert len(found) == 1 and found[0].fix is None


def test_pl404_no_fix_without_deep_path(tmp_path, registry):
    text = PROBES.replace("LIVE", "/live")
    _, found = _fixed(tmp_path, "PL404", text, path="k8s/orders.yaml", registry=registry)
    assert len(found) == 1 and found[0].fix is None
    assert "/ready" in found[0].message


# ------------------------------------------------------------------ PL501

CHECKOUT = "08eba0b27e820071cde6df949e0beb9ba4906955"
SETUP_GO = "d35c59abb061a4a6fb18e82ac0862c26744d6ab5"

ACTIONS = """
name: CI
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4   # v4 keeps node 20
      - uses: 'actions/setup-go@v5' # toolchain from go.mod
      - { name: Cache, uses: actions/checkout@v4 }
      - uses: actions/cache/restore@v4
"""


def test_pl501_pins_and_keeps_comments_with_crlf(tmp_path, registry):
    pins = {"actions/checkout@v4": CHECKOUT, "actions/setup-go@v5": SETUP_GO,
            "actions/cache/restore@v4": "5a3ec84eff668545956fd18022155c47e93e2684"}
    before = textwrap.dedent(ACTIONS).lstrip("\n").replace("\n", "\r\n")
    after, found = _fixed(tmp_path, "PL501", ACTIONS, pins=pins, path=".github/workflows/ci.yml", newline="\r\n", registry=registry)
    assert [d.fix is not None for d in found] == [True, True, False, True]
    assert all(d.fix.applicability == Applicability.UNSAFE for d in found if d.fix)
    assert _changed_lines(before, after) == [
        ("      - uses: actions/checkout@v4   # v4 keeps node 20\r\n",
         f"      - uses: actions/checkout@{CHECKOUT}   # v4 keeps node 20\r\n"),
        ("      - uses: 'actions/setup-go@v5' # toolchain from go.mod\r\n",
         f"      - uses: 'actions/setup-go@{SETUP_GO}' # v5 # toolchain from go.mod\r\n"),
        ("      - uses: actions/cache/restore@v4\r\n",
         "      - uses: actions/cache/restore@5a3ec84eff668545956fd18022155c47e93e2684 # v4\r\n"),
    ]


def test_pl501_repository_key_covers_an_action_path(tmp_path, registry):
    text = ACTIONS.replace("      - { name: Cache, uses: actions/checkout@v4 }\n", "")
    after, _ = _fixed(tmp_path, "PL501", text, pins={"actions/cache@v4": CHECKOUT}, path=".github/workflows/ci.yml", registry=registry)
    assert f"      - uses: actions/cache/restore@{CHECKOUT} # v4\n" in after
    assert "actions/checkout@v4   # v4 keeps node 20" in after


def test_pl501_without_a_pin_says_how_to_get_one(tmp_path, registry):
    text = ACTIONS.replace("      - { name: Cache, uses: actions/checkout@v4 }\n", "")
    _, found = _fixed(tmp_path, "PL501", text, path=".github/workflows/ci.yml", registry=registry)
    assert all(d.fix is None for d in found)
    message = found[0].message
    assert "gh api repos/actions/checkout/commits/v4 --jq .sha" in message and "--action-pins" in message
    assert len(message) < 200


def test_pl501_pins_file_from_the_configuration(tmp_path, registry):
    pins = tmp_path / "pins.json"
    pins.write_text(json.dumps({"Actions/Checkout@v4": CHECKOUT.upper()}), encoding="utf-8")
    loaded = load_action_pins(str(pins))
    assert loaded == {"actions/checkout@v4": CHECKOUT}
    text = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
    after, _ = _fixed(tmp_path / "repo", "PL501", text, pins=loaded, path=".github/workflows/ci.yml", registry=registry)
    assert after.endswith(f"      - uses: actions/checkout@{CHECKOUT} # v4\n")

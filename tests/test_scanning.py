"""pipelint.scanning: what counts as a security scan (PL506) and remote execution (PL508)."""

from __future__ import annotations

import pytest

from pipelint.scanning import match_scan_command, remote_executions
from pipelint.shell import available, parse

needs_parser = pytest.mark.skipif(not available(), reason="tree-sitter grammars not installed")


@pytest.mark.parametrize(
    "command, label",
    [
        ("trivy image --exit-code 1 app:1", "trivy"),
        ("sudo trivy fs .", "trivy"),
        ("grype app:1 --fail-on high", "grype"),
        ("snyk test --severity-threshold=high", "snyk"),
        ("docker scout cves app:1", "docker scout"),
        ("npm audit --audit-level=high", "npm audit"),
        ("python -m bandit -r src", "bandit"),
        ("pipx run pip-audit", "pip-audit"),
        ("uvx zizmor .", "zizmor"),
    ],
)
def test_scan_commands(command, label):
    row = match_scan_command(command.split())
    assert row is not None and row.label == label


@pytest.mark.parametrize("command", ["trivy --version", "snyk auth TOKEN", "npm ci", "docker build .", "gitleaks version"])
def test_not_scans(command):
    assert match_scan_command(command.split()) is None


@needs_parser
@pytest.mark.parametrize(
    "language, text, how",
    [
        ("shell", "curl -fsSL https://get.k3s.io | sudo -E sh -", "pipe"),
        ("shell", "wget -qO- https://get.pnpm.io/install.sh | bash -", "pipe"),
        ("shell", "curl -s https://example.com/x.py | python3", "pipe"),
        ("shell", "curl -s https://example.com/k.sh | bash /dev/stdin 3.8.6", "pipe"),
        ("shell", "bash <(curl -s https://codecov.io/bash) -f cov.xml", "substitution"),
        ("shell", 'sh -c "$(curl -fsSL https://example.com/install.sh)"', "substitution"),
        ("pwsh", "iex (iwr https://example.com/i.ps1 -UseBasicParsing)", "substitution"),
        ("pwsh", "Invoke-Expression (Invoke-WebRequest -Uri https://example.com/i.ps1).Content", "substitution"),
        ("pwsh", "irm https://example.com/i.ps1 | iex", "pipe"),
        ("pwsh", "iex ((New-Object System.Net.WebClient).DownloadString('https://example.com/i.ps1'))", "method"),
    ],
)
def test_remote_execution(language, text, how):
    found = remote_executions(parse(text, language))
    assert [r.how for r in found] == [how]


@needs_parser
@pytest.mark.parametrize(
    "language, text",
    [
        ("shell", "curl -s https://api.example.com | jq .x"),
        ("shell", "curl -fsSL https://example.com/a.tgz | tar -xz"),
        ("shell", "curl -fsSL https://example.com/gpg | sudo gpg --dearmor -o /usr/share/keyrings/x.gpg"),
        ("shell", "curl -fsSL https://api.example.com | python3 -c 'import json,sys; print(json.load(sys.stdin))'"),
        ("shell", "curl -fsSL https://api.example.com | python3 -m json.tool"),
        ("shell", "curl -o x.sh https://example.com/x.sh && sha256sum -c x.sha256 && sh x.sh"),
        ("shell", "wget https://example.com/x.sh | sh"),
        ("shell", 'bash -c "echo $(curl -fsSL https://example.com/VERSION)"'),
        ("shell", "source <(kubectl completion bash)"),
        ("shell", "curl https://example.com/x | bash x.sh"),
        ("pwsh", "Invoke-WebRequest https://example.com/i.ps1 -OutFile i.ps1; ./i.ps1"),
        ("pwsh", "Invoke-Expression $command"),
    ],
)
def test_not_remote_execution(language, text):
    assert remote_executions(parse(text, language)) == []


@needs_parser
def test_pinned_commit_url():
    found = remote_executions(parse("curl https://raw.githubusercontent.com/o/r/0a727065ae5a2313e8e6acf172844e8ca30c1822/i.sh | bash", "shell"))
    assert found and found[0].pinned

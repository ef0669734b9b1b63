"""Scripts read as programs (pipelint.shell): commands, words, control context, loops,
assignments, placeholders, PowerShell — with exact offsets."""

from __future__ import annotations

import textwrap

from pipelint import shell


def _program(text: str, language: str = "shell", platform: str = "github"):
    return shell.parse(textwrap.dedent(text).lstrip("\n"), language, platform)


def _find(program, name: str):
    return [c for c in program.commands if c.name == name]


def test_commands_words_and_offsets():
    p = _program("""
        set -euo pipefail
        kubectl --namespace=prod set image deploy/api api="$REGISTRY/api:$TAG"
    """)
    (cmd,) = _find(p, "kubectl")
    assert [w.text for w in cmd.words] == ["kubectl", "--namespace=prod", "set", "image", "deploy/api", "api=$REGISTRY/api:$TAG"]
    last = cmd.words[-1]
    assert p.text[last.start:last.end] == 'api="$REGISTRY/api:$TAG"' and last.dynamic
    assert cmd.errexit and cmd.pipefail
    assert p.text[cmd.start:cmd.end].startswith("kubectl --namespace=prod")


def test_options_however_written():
    for line in ("kubectl -n prod apply -f k8s/", "kubectl -nprod apply -f k8s/", "kubectl --namespace prod apply -f k8s/", "kubectl --namespace=prod apply -f k8s/"):
        (cmd,) = _program(line).commands
        value = cmd.option("-n", "--namespace")
        assert value is not None and value.text == "prod", line
    (curl,) = _program("curl -sSfL https://example.com/healthz").commands
    assert curl.has_flag("-f", "--fail") and not curl.has_flag("-k")


def test_pipelines_conditions_guards_and_substitutions():
    p = _program("""
        ! grep -q ready status.txt || true
        curl -s https://x/ready && echo ok
        if curl -sf https://x/healthz; then echo up; else exit 1; fi
        VERSION=$(helm list -q | head -1)
        cat <<EOF | kubectl apply -f -
        kind: Namespace
        EOF
        curl -fsSL https://get.example.sh | sudo bash &
    """)
    grep, = _find(p, "grep")
    assert grep.tested and grep.guarded
    first_curl, if_curl, piped_curl = _find(p, "curl")
    assert first_curl.tested and not first_curl.guarded
    assert if_curl.tested and not if_curl.conditional
    (echo_ok, echo_up) = _find(p, "echo")
    assert echo_ok.conditional and echo_up.conditional
    helm, = _find(p, "helm")
    head, = _find(p, "head")
    assert helm.substitution and helm.pipeline == head.pipeline and head.pipe_index == 1
    cat, = _find(p, "cat")
    kubectl, = _find(p, "kubectl")
    assert kubectl.pipeline == cat.pipeline and kubectl.pipe_index == 1  # through the here-document
    assert not _find(p, "kind:")  # here-document bodies are data
    sudo, = _find(p, "sudo")
    assert sudo.pipeline == piped_curl.pipeline and sudo.background


def test_loops_bounded_or_not():
    p = _program("""
        for i in 1 2 3; do curl -sf https://x/ready && break; sleep 5; done
        while true; do kubectl get pods; sleep 5; done
        until curl -sf https://x/ready; do sleep 2; done
        n=0; until [ "$n" -ge 30 ]; do n=$((n+1)); sleep 1; done
        while ! curl -sf https://x/ready; do attempts=$((attempts+1)); if [ $attempts -gt 10 ]; then exit 1; fi; sleep 3; done
        timeout 300 bash -c 'until curl -sf https://x/ready; do sleep 5; done'
    """)
    assert [(loop.kind, loop.bounded) for loop in p.loops] == [
        ("for", True),
        ("while", False),
        ("until", False),
        ("until", True),
        ("while", True),
    ]
    assert _find(p, "sleep")[0].loop is p.loops[0]


def test_assignments_and_values():
    p = _program("""
        IMAGE=registry.example.com/api:${{ github.sha }}
        export KUBECONFIG="$RUNNER_TEMP/kubeconfig"
        kubectl set image deploy/api api=$IMAGE
    """)
    image = p.value_of("IMAGE", len(p.text))
    assert image.text == "registry.example.com/api:${{ github.sha }}" and image.dynamic
    kube = [a for a in p.assignments if a.name == "KUBECONFIG"][0]
    assert kube.exported and kube.value.text == "$RUNNER_TEMP/kubeconfig"


def test_placeholders_are_opaque_words_not_errors():
    gh = _program('curl -sf "${{ vars.BASE_URL }}/ready" || exit 1\necho "${{ toJSON(github.event) }}"\n')
    assert gh.errors == 0
    (curl,) = _find(gh, "curl")
    assert curl.words[2].text == "${{ vars.BASE_URL }}/ready" and curl.words[2].dynamic
    az = _program("kubectl apply -f $(Pipeline.Workspace)/manifests -n $(namespace)\n", platform="azure")
    (kubectl,) = az.commands
    assert [w.text for w in kubectl.words][-1] == "$(namespace)" and not _find(az, "Pipeline.Workspace")
    gl = _program("deploy --env $[[ inputs.environment ]]\n", platform="gitlab")
    assert gl.errors == 0 and gl.commands[0].words[-1].text == "$[[ inputs.environment ]]"


def test_broken_scripts_are_read_as_far_as_they_parse():
    p = _program("kubectl apply -f k8s/\nif then fi (((\ncurl -sf https://x/ready\n")
    assert p.errors >= 1
    assert _find(p, "kubectl")


def test_non_ascii_text_keeps_character_offsets():
    p = _program('echo "déployé ✓"\nkubectl rollout status deploy/api\n')
    (cmd,) = _find(p, "kubectl")
    assert p.text[cmd.start:cmd.end] == "kubectl rollout status deploy/api"


def test_powershell_commands():
    p = _program("""
        $r = Invoke-WebRequest -Uri https://x/ping -UseBasicParsing
        iex (iwr https://example.com/install.ps1)
        kubectl apply -f k8s/
    """, language="pwsh", platform="azure")
    names = [c.name for c in p.commands]
    assert names == ["Invoke-WebRequest", "iex", "iwr", "kubectl"]
    iwr = _find(p, "Invoke-WebRequest")[0]
    assert iwr.option("-Uri").text == "https://x/ping"
    assert _find(p, "iwr")[0].substitution


def test_redirect_targets_are_kept_apart_from_words():
    p = _program("curl -s https://example.com/status > status.json 2>&1\nkubectl get pods >> pods.txt\n")
    curl, kubectl = p.commands
    assert [w.text for w in curl.words] == ["curl", "-s", "https://example.com/status"]
    assert curl.redirects == ("status.json", "1") and kubectl.redirects == ("pods.txt",)

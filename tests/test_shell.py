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


def test_test_constructs_with_words_and_comparison():
    p = _program("""
        if [ "$E" -gt 5 ]; then exit 1; fi
        [[ ! $RATE > 0.5 && -n $X ]] || exit 1
        test "$N" -ge 3 && echo many
        while (( i < 10 )); do i=$((i+1)); done
        [ ! "$UP" -eq 1 ]
        (( $(echo "$E > 0.05" | bc -l) )) && exit 1
    """)
    kinds = [t.kind for t in p.tests]
    assert kinds == ["[", "[[", "test", "((", "[", "(("]
    first, dbl, tst, arith, neg, bc = p.tests
    assert [w.text for w in first.words] == ["$E", "-gt", "5"]
    assert p.text[first.start:first.end] == '[ "$E" -gt 5 ]' and first.tested
    cmp = first.comparison
    assert (cmp.left.text, cmp.op, cmp.right.text, cmp.negated) == ("$E", "-gt", "5", False)
    assert p.text[cmp.left.start:cmp.left.end] == '"$E"'
    assert dbl.comparison is None  # two tests joined by &&
    assert [w.text for w in dbl.words] == ["!", "$RATE", ">", "0.5", "&&", "-n", "$X"]
    assert tst.comparison.op == "-ge" and _find(p, "test")  # still a command too
    assert arith.loop is not None and arith.comparison.left.text == "i"
    assert neg.comparison.negated and neg.comparison.op == "-eq"
    (word,) = bc.words
    assert word.text == '$(echo $E > 0.05 | bc -l)'
    assert [c.name for c in p.commands if word.start <= c.start < word.end] == ["echo", "bc"]


def test_test_constructs_in_comments_and_strings_are_not_tests():
    p = _program("""
        # if [ "$E" -gt 5 ]; then exit 1; fi
        echo "[ $E -gt 5 ] && exit 1"
        cat <<EOF
        [[ $E -gt 5 ]] || exit 1
        EOF
    """)
    assert p.tests == [] and p.decisions == []


def _fails_when(p, source: str):
    (t,) = [t for t in p.tests if p.text[t.start:t.end] == source]
    return p.fails_when(t.start, t.end)


def test_decisions_say_which_status_fails_the_step():
    p = _program("""
        if [ "$A" -gt 5 ]; then echo high; exit 1; fi
        if ! [ "$B" -le 5 ]; then exit 1; fi
        if [[ $C -lt 5 ]]; then echo ok; else exit 2; fi
        [ "$D" -gt 5 ] && { echo "too many"; exit 1; }
        [ "$E" -eq 1 ] || exit 1
        [ -z "$F" ] || [ "$F" = null ] || exit 1
        [ "$G" -gt 5 ] && echo "too many" && exit 1
        if [ "$H" -gt 5 ]; then echo "high"; fi
        if [ "$I" = x ]; then echo; elif [ "$J" -gt 1 ]; then false; fi
        [ "$K" -gt 1 ] 2>/dev/null && exit "$RC"
        if [ "$L" -gt 1 ] && [ "$M" -gt 1 ]; then exit 1; fi
        [ "$N" -gt 1 ] && echo "##vso[task.complete result=Failed;]too many"
        if [ "$O" -gt 1 ]; then echo "::error::too many"; fi
        (( P > 3 )) || exit 1
    """)
    assert _fails_when(p, '[ "$A" -gt 5 ]') is True
    assert _fails_when(p, '[ "$B" -le 5 ]') is False
    assert _fails_when(p, "[[ $C -lt 5 ]]") is False
    assert _fails_when(p, '[ "$D" -gt 5 ]') is True
    assert _fails_when(p, '[ "$E" -eq 1 ]') is False
    assert _fails_when(p, '[ -z "$F" ]') is None  # true: passes; false: depends on the next test
    assert _fails_when(p, '[ "$F" = null ]') is False
    assert _fails_when(p, '[ "$G" -gt 5 ]') is True
    assert _fails_when(p, '[ "$H" -gt 5 ]') is None  # nothing fails
    assert _fails_when(p, '[ "$I" = x ]') is None  # false: runs the elif, unknown
    assert _fails_when(p, '[ "$J" -gt 1 ]') is True
    assert _fails_when(p, '[ "$K" -gt 1 ]') is True
    assert _fails_when(p, '[ "$L" -gt 1 ]') is None
    assert _fails_when(p, '[ "$M" -gt 1 ]') is True
    assert _fails_when(p, '[ "$N" -gt 1 ]') is True
    assert _fails_when(p, '[ "$O" -gt 1 ]') is None  # an annotation does not fail the step
    assert _fails_when(p, "(( P > 3 ))") is False
    kinds = sorted({d.kind for d in p.decisions})
    assert kinds == ["&&", "elif", "if", "||"]
    (d,) = [d for d in p.decisions if d.kind == "if" and d.negated]
    assert p.text[d.start:d.end] == '[ "$B" -le 5 ]' and d.when_true.fails and d.when_false is None


def test_powershell_has_no_tests_or_decisions():
    p = _program("if ($x -gt 5) { exit 1 }", "pwsh")
    assert p.tests == [] and p.decisions == []

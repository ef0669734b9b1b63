"""What verifies a deploy and which waits can hang (:mod:`pipelint.verification`)."""

from __future__ import annotations

from conftest import run_lint, write_tree
from pipelint.deploy import deploy_commands
from pipelint.verification import (
    is_rollout,
    is_test_harness,
    job_bounded,
    unbounded_waits,
    unverified_deploys,
    verified_after,
    waits_itself,
)


def _job(tmp_path, text: str, job_id: str = "deploy", path: str = ".github/workflows/deploy.yml"):
    write_tree(tmp_path, {path: text})
    result = run_lint(tmp_path, select=["PL202"])
    for pipeline in result.project.pipelines:
        for job in pipeline.jobs.values():
            if job.id == job_id:
                return job, result.project
    raise AssertionError(f"no job {job_id}")


def _workflow(script: str, extra: str = "") -> str:
    body = "\n".join("          " + line for line in script.strip("\n").splitlines())
    return f"""
on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
{extra}    steps:
      - run: |
{body}
"""


def _labels(job):
    return [(c.label, is_rollout(c)) for c in deploy_commands(job)]


def test_rollouts_and_non_rollouts(tmp_path):
    job, _ = _job(
        tmp_path,
        _workflow(
            """
kubectl create secret generic db --from-literal=a=b --dry-run=client -o yaml | kubectl apply -f -
kubectl create namespace shop
kubectl apply -f k8s/namespace.yaml
kubectl create deployment web --image=nginx
kubectl patch deployment web -p '{"spec":{}}'
kubectl apply -f k8s/
terraform apply -auto-approve
npx netlify-cli deploy --prod
"""
        ),
    )
    assert _labels(job) == [
        ("kubectl apply", False),
        ("kubectl create", False),
        ("kubectl apply", False),
        ("kubectl create", True),
        ("kubectl patch", True),
        ("kubectl apply", True),
        ("terraform apply", False),
        ("netlify deploy", False),
    ]


def test_waiting_deploys(tmp_path):
    job, _ = _job(
        tmp_path,
        _workflow(
            """
helm upgrade --install web ./chart --wait
helm upgrade --install web ./chart --atomic=false
gcloud run deploy web --image x
gcloud run deploy web --image x --async
"""
        ),
    )
    assert [waits_itself(c) for c in deploy_commands(job)] == [True, False, True, False]


def test_verification_after_but_not_before(tmp_path):
    job, project = _job(
        tmp_path,
        _workflow(
            """
kubectl rollout status deployment/web --timeout=5m
kubectl set image deployment/web web=img:2
curl -X POST -d '{"text":"done"}' https://hooks.slack.com/services/x
"""
        ),
    )
    (cmd,) = deploy_commands(job)
    assert not verified_after(cmd, job)
    assert list(unverified_deploys(job, project)) == [cmd]


def test_deep_health_check_verifies(tmp_path):
    job, project = _job(tmp_path, _workflow("kubectl apply -f k8s/\ncurl -fsS https://api.example.com/readyz\n"))
    assert list(unverified_deploys(job, project)) == []


def test_shallow_ping_does_not_verify(tmp_path):
    job, project = _job(tmp_path, _workflow("kubectl apply -f k8s/\ncurl -fsS https://api.example.com/ping\n"))
    assert len(list(unverified_deploys(job, project))) == 1


def test_kind_cluster_is_a_test_harness(tmp_path):
    job, project = _job(tmp_path, _workflow("kind create cluster\nkubectl apply -f k8s/\n"))
    assert is_test_harness(job)
    assert list(unverified_deploys(job, project)) == []


def _waits(job):
    return [(w.kind, w.label) for step in job.steps for w in unbounded_waits(step)]


def test_unbounded_waits(tmp_path):
    job, _ = _job(
        tmp_path,
        _workflow(
            """
kubectl rollout status deployment/web
kubectl rollout status deployment/web --timeout=5m
kubectl rollout status deployment/web --watch=false
timeout 300 kubectl rollout status deployment/web
kubectl wait --for=condition=available deployment/web
kubectl argo rollouts status web
kubectl argo rollouts status web -t 5m
until curl -fsS https://x.example.com/ready; do sleep 5; done
while true; do curl -fsS https://x.example.com/ready && break; sleep 5; done
n=0; until curl -fsS https://x.example.com/ready; do n=$((n+1)); [ $n -ge 10 ] && exit 1; sleep 5; done
git ls-files | while read -r f; do echo "$f"; sleep 1; done
"""
        ),
    )
    assert _waits(job) == [
        ("command", "kubectl rollout status"),
        ("command", "kubectl argo rollouts status"),
        ("loop", "until"),
        ("loop", "while"),
    ]


def test_job_timeout(tmp_path):
    job, _ = _job(tmp_path, _workflow("kubectl rollout status deployment/web\n", "    timeout-minutes: 20\n"))
    assert job_bounded(job)
    job, _ = _job(tmp_path, _workflow("kubectl rollout status deployment/web\n"))
    assert not job_bounded(job)

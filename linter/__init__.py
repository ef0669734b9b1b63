"""pipelint: a linter for delivery pipelines (GitHub Actions, GitLab CI, Azure Pipelines,
Argo Rollouts, Kubernetes workloads, Dockerfiles, SQL migrations).

Kept import-light: ``pipelint --version`` must not pay for the parsers or rules.
"""

__version__ = "0.1.0"

"""What pipelint knows about commands, actions and tasks: data, in one module.

Every "is this a deploy / a test / a verification / a rollback / a security scan / a
health-check client" question that rules ask is answered from these tables, never by
conditions scattered through rules. Rules and the modules that read the model
(:mod:`pipelint.deploy`, :mod:`pipelint.activities`, :mod:`pipelint.verification`...)
import from here; adding a tool means adding a row.

Patterns: program names are shell basenames (fnmatch, case-sensitive like the shell);
"words" are the leading positional words after the program (fnmatch, ``a|b``
alternatives); action names are ``owner/repo[/path]`` in lower case (fnmatch); Azure
task names are matched case-insensitively without the ``@N`` version.
"""

from __future__ import annotations

from dataclasses import dataclass

# ======================================================================= deploys


@dataclass(frozen=True)
class CommandPattern:
    """A deploy command: a program and the leading subcommand words that make it one."""

    label: str
    #: Program basenames (fnmatch patterns, case-sensitive like the shell).
    programs: tuple[str, ...]
    #: Leading positional words after the program (fnmatch patterns; ``a|b`` alternatives).
    words: tuple[str, ...] = ()
    #: Options that make the command a rehearsal, not a deployment (``--dry-run``).
    unless: tuple[str, ...] = ()
    #: The program must be invoked by a path (``./deploy``), not looked up by name.
    needs_path: bool = False


_DRY = ("--dry-run",)
#: A make/npm target that deploys: ``deploy``, ``deploy-prod``, ``deploy:staging`` (not ``deployment.zip``).
_DEPLOY_TARGET = "deploy|deploy[-_:]*"

#: Deploy commands (the catalogue's "deploy job" list, plus common equivalents). Data,
#: not code: add a row to teach every gate and promotion rule a new deploy tool.
DEPLOY_COMMANDS: tuple[CommandPattern, ...] = (
    CommandPattern("kubectl apply", ("kubectl", "oc", "k"), ("apply",), _DRY),
    CommandPattern("kubectl create", ("kubectl", "oc", "k"), ("create",), _DRY),
    CommandPattern("kubectl replace", ("kubectl", "oc", "k"), ("replace",), _DRY),
    CommandPattern("kubectl patch", ("kubectl", "oc", "k"), ("patch",), _DRY),
    CommandPattern("kubectl set image", ("kubectl", "oc", "k"), ("set", "image"), _DRY),
    CommandPattern("kubectl rollout restart", ("kubectl", "oc", "k"), ("rollout", "restart")),
    CommandPattern("oc rollout latest", ("oc",), ("rollout", "latest")),
    CommandPattern("kubectl argo rollouts set image", ("kubectl",), ("argo", "rollouts", "set", "image")),
    CommandPattern("kubectl argo rollouts promote", ("kubectl",), ("argo", "rollouts", "promote")),
    CommandPattern("kubectl argo rollouts set image", ("kubectl-argo-rollouts",), ("set", "image")),
    CommandPattern("kubectl argo rollouts promote", ("kubectl-argo-rollouts",), ("promote",)),
    CommandPattern("helm upgrade", ("helm", "helm3"), ("upgrade",), _DRY),
    CommandPattern("helm install", ("helm", "helm3"), ("install",), _DRY),
    CommandPattern("helmfile apply", ("helmfile",), ("apply",)),
    CommandPattern("helmfile sync", ("helmfile",), ("sync",)),
    CommandPattern("argocd app sync", ("argocd",), ("app", "sync")),
    CommandPattern("aws ecs update-service", ("aws",), ("ecs", "update-service")),
    CommandPattern("aws deploy create-deployment", ("aws",), ("deploy", "create-deployment")),
    CommandPattern("aws cloudformation deploy", ("aws",), ("cloudformation", "deploy")),
    CommandPattern("aws lambda update-function-code", ("aws",), ("lambda", "update-function-code")),
    CommandPattern("aws elasticbeanstalk update-environment", ("aws",), ("elasticbeanstalk", "update-environment")),
    CommandPattern("sam deploy", ("sam",), ("deploy",)),
    CommandPattern("cdk deploy", ("cdk", "aws-cdk"), ("deploy",)),
    CommandPattern("gcloud run deploy", ("gcloud",), ("run", "deploy")),
    CommandPattern("gcloud run services update", ("gcloud",), ("run", "services", "update")),
    CommandPattern("gcloud app deploy", ("gcloud",), ("app", "deploy")),
    CommandPattern("gcloud functions deploy", ("gcloud",), ("functions", "deploy")),
    CommandPattern("gcloud deploy releases promote", ("gcloud",), ("deploy", "releases", "promote")),
    CommandPattern("az webapp deploy", ("az",), ("webapp", "deploy")),
    CommandPattern("az webapp up", ("az",), ("webapp", "up")),
    CommandPattern("az webapp deployment source", ("az",), ("webapp", "deployment", "source")),
    CommandPattern("az functionapp deployment source", ("az",), ("functionapp", "deployment", "source")),
    CommandPattern("az containerapp update", ("az",), ("containerapp", "update")),
    CommandPattern("az containerapp up", ("az",), ("containerapp", "up")),
    CommandPattern("az webapp config container set", ("az",), ("webapp", "config", "container", "set")),
    CommandPattern("terraform apply", ("terraform", "tofu", "terragrunt"), ("apply",)),
    CommandPattern("terragrunt run-all apply", ("terragrunt",), ("run-all", "apply")),
    CommandPattern("pulumi up", ("pulumi",), ("up",)),
    CommandPattern("serverless deploy", ("serverless", "sls"), ("deploy",)),
    CommandPattern("flyctl deploy", ("flyctl", "fly"), ("deploy",)),
    CommandPattern("firebase deploy", ("firebase", "firebase-tools"), ("deploy",)),
    CommandPattern("netlify deploy", ("netlify", "netlify-cli"), ("deploy",)),
    CommandPattern("wrangler deploy", ("wrangler",), ("deploy",)),
    CommandPattern("wrangler publish", ("wrangler",), ("publish",)),
    CommandPattern("vercel deploy", ("vercel",), ("deploy",)),
    CommandPattern("skaffold run", ("skaffold",), ("run",)),
    CommandPattern("skaffold deploy", ("skaffold",), ("deploy",)),
    CommandPattern("docker stack deploy", ("docker",), ("stack", "deploy")),
    CommandPattern("kamal deploy", ("kamal",), ("deploy",)),
    CommandPattern("eb deploy", ("eb",), ("deploy",)),
    CommandPattern("cf push", ("cf",), ("push",)),
    CommandPattern("auto-deploy deploy", ("auto-deploy",), ("deploy",)),  # GitLab Auto DevOps image
    # schema migrations applied to a database: a production database change is a deploy
    CommandPattern("liquibase update", ("liquibase",), ("update",)),
    CommandPattern("flyway migrate", ("flyway",), ("migrate",)),
    CommandPattern("cap deploy", ("cap",), ("*", "deploy")),
    CommandPattern("make deploy", ("make", "gmake"), (_DEPLOY_TARGET,), ("-n", "--dry-run", "--just-print")),
    CommandPattern("npm run deploy", ("npm", "pnpm"), ("run", _DEPLOY_TARGET)),
    CommandPattern("npm run deploy", ("npm", "pnpm", "yarn"), ("run-script", _DEPLOY_TARGET)),
    CommandPattern("yarn deploy", ("yarn",), (_DEPLOY_TARGET,)),
    CommandPattern("yarn run deploy", ("yarn",), ("run", _DEPLOY_TARGET)),
    CommandPattern("deploy script", ("deploy*.sh", "*[-_.]deploy.sh", "*[-_.]deploy[-_.]*.sh")),
    CommandPattern("deploy script", ("deploy", "deploy[-_]*"), needs_path=True),
)


@dataclass(frozen=True)
class ActionPattern:
    """A deploying action (GitHub ``uses:``) or task (Azure ``task:``)."""

    label: str
    #: ``owner/repo[/path]`` or the task name, lower case (fnmatch pattern).
    name: str
    #: Deploys only when this input matches one of ``values`` (or ``default`` when unset).
    input: str | None = None
    values: tuple[str, ...] = ()
    default: str | None = None


#: Actions and tasks that deploy. GitHub owners/repos are case-insensitive.
DEPLOY_ACTIONS: tuple[ActionPattern, ...] = (
    ActionPattern("azure/k8s-deploy", "azure/k8s-deploy", "action", ("deploy", "promote"), "deploy"),
    ActionPattern("azure/webapps-deploy", "azure/webapps-deploy"),
    ActionPattern("azure/functions-action", "azure/functions-action"),
    ActionPattern("azure/container-apps-deploy-action", "azure/container-apps-deploy-action"),
    ActionPattern("azure/aci-deploy", "azure/aci-deploy"),
    ActionPattern("azure/arm-deploy", "azure/arm-deploy"),
    ActionPattern("azure/spring-apps-deploy", "azure/spring-apps-deploy"),
    ActionPattern("azure/static-web-apps-deploy", "azure/static-web-apps-deploy", "action", ("upload",), "upload"),
    ActionPattern("aws-actions/amazon-ecs-deploy-task-definition", "aws-actions/amazon-ecs-deploy-task-definition"),
    ActionPattern("aws-actions/aws-cloudformation-github-deploy", "aws-actions/aws-cloudformation-github-deploy"),
    ActionPattern("google-github-actions/deploy-cloudrun", "google-github-actions/deploy-cloudrun"),
    ActionPattern("google-github-actions/deploy-appengine", "google-github-actions/deploy-appengine"),
    ActionPattern("google-github-actions/deploy-cloud-functions", "google-github-actions/deploy-cloud-functions"),
    ActionPattern("google-github-actions/deploy-gke", "google-github-actions/deploy-gke"),
    ActionPattern("deliverybot/helm", "deliverybot/helm"),
    ActionPattern("superfly/flyctl-actions", "superfly/flyctl-actions*", "args", ("deploy*",)),
    ActionPattern("serverless/github-action", "serverless/github-action", "args", ("deploy*", "*deploy*")),
    ActionPattern("cloudflare/wrangler-action", "cloudflare/wrangler-action", "command", ("deploy*", "publish*"), "deploy"),
    ActionPattern("amondnet/vercel-action", "amondnet/vercel-action"),
    ActionPattern("pulumi/actions", "pulumi/actions", "command", ("up",)),
    ActionPattern("dflook/terraform-apply", "dflook/terraform-apply"),
    ActionPattern("hashicorp/tfc-workflows-github/actions/apply-run", "hashicorp/tfc-workflows-github/actions/apply-run"),
    # Azure Pipelines tasks (``KubernetesManifest@1`` -> "kubernetesmanifest").
    ActionPattern("KubernetesManifest deploy", "kubernetesmanifest", "action", ("deploy", "promote", "patch", "scale"), "deploy"),
    ActionPattern("AzureWebApp", "azurewebapp"),
    ActionPattern("AzureRmWebAppDeployment", "azurermwebappdeployment"),
    ActionPattern("AzureFunctionApp", "azurefunctionapp"),
    ActionPattern("AzureContainerApps", "azurecontainerapps"),
    ActionPattern("HelmDeploy", "helmdeploy", "command", ("upgrade", "install"), "upgrade"),
)

#: Options a program takes *before* its subcommand that consume the next word.
GLOBAL_VALUE_OPTIONS: dict[str, frozenset[str]] = {
    "kubectl": frozenset(
        {
            "-n", "--namespace", "--context", "--kubeconfig", "--cluster", "--user", "-s", "--server", "--token",
            "--as", "--request-timeout", "--certificate-authority",
        }
    ),
    "oc": frozenset({"-n", "--namespace", "--context", "--kubeconfig", "--cluster", "--user", "-s", "--server", "--token"}),
    "helm": frozenset({"-n", "--namespace", "--kube-context", "--kubeconfig", "--kube-apiserver", "--kube-token", "--registry-config"}),
    "helmfile": frozenset({"-e", "--environment", "-f", "--file", "--kube-context", "-n", "--namespace", "-l", "--selector"}),
    "argocd": frozenset({"--server", "--auth-token", "--grpc-web-root-path", "--config"}),
    "aws": frozenset({"--region", "--profile", "--output", "--endpoint-url", "--query", "--cli-read-timeout", "--cli-connect-timeout"}),
    "gcloud": frozenset({"--project", "--account", "--configuration", "--format", "--verbosity", "--impersonate-service-account"}),
    "az": frozenset({"--subscription", "--output", "-o", "--query"}),
    "make": frozenset({"-C", "--directory", "-f", "--file", "-j", "--jobs"}),
    "docker": frozenset({"--context", "-H", "--host", "--config"}),
    "npm": frozenset({"--prefix", "-w", "--workspace"}),
    "pnpm": frozenset({"-C", "--dir", "--filter", "-F"}),
    "yarn": frozenset({"--cwd"}),
}

#: Words a program accepts before its subcommand that do not change it (release tracks).
SKIPPED_WORDS: dict[str, frozenset[str]] = {
    "gcloud": frozenset({"alpha", "beta"}),
}

#: Option names whose value selects the environment (namespace, context, stage, slot...):
#: when one is given, bare positional words (release or service names) are not evidence.
SELECTOR_OPTIONS = frozenset(
    {
        "-n", "--namespace", "--context", "--kube-context", "--slot", "--target-slot", "--stage", "-s", "--env",
        "--environment", "-e", "--workspace", "--env-name", "--environment-name", "--alias",
    }
)
#: Other option names whose value names a deploy target (cluster, project, app...).
TARGET_OPTIONS = frozenset(
    {
        "--cluster", "--project", "--resource-group", "-g", "--name", "--service", "--app", "-a", "--target",
        "--stack", "--release", "--function-name", "--application-name", "--site", "--server",
    }
)
#: Flags that select production by themselves (``vercel deploy --prod``, ``netlify deploy --prod``).
PRODUCTION_FLAGS = {"--prod": "production", "--production": "production"}
#: Option names whose value is a path (manifests, values files, var files, working folder).
PATH_OPTIONS = frozenset(
    {
        "-f", "--filename", "-k", "--kustomize", "--values", "--values-file", "--var-file", "-var-file", "-chdir",
        "--chdir", "--config", "-c", "--file", "--kubeconfig", "--manifest", "--template-file", "--src-path",
        "--dir", "-C", "--directory", "--cwd", "--prefix",
    }
)
#: Flags that never take a value: the word after them is a positional argument.
BOOLEAN_FLAGS = frozenset(
    {
        "--install", "-i", "--atomic", "--wait", "--wait-for-jobs", "--create-namespace", "--force", "--reuse-values",
        "--reset-values", "--reset-then-reuse-values", "--cleanup-on-fail", "--debug", "--prune", "--record", "--all",
        "-R", "--recursive", "--server-side", "--overwrite", "--quiet", "-q", "--async", "--no-wait", "--yes", "-y",
        "--allow-unauthenticated", "--no-traffic", "--auto-approve", "-auto-approve", "--verbose", "-v",
        "--insecure", "--force-new-deployment", "--prod", "--no-promote", "--promote", "--require-approval",
        "--no-prompt", "-input=false", "--non-interactive", "--skip-crds", "--devel", "--dependency-update",
    }
)


# ======================================================================= tests


@dataclass(frozen=True)
class TestCommand:
    """A test runner: program basenames and the leading words that make it run tests."""

    label: str
    programs: tuple[str, ...]
    #: Leading positional words after the program (fnmatch patterns; ``a|b`` alternatives);
    #: with ``anywhere``, one of the words matches any positional (``mvn -B clean verify``).
    words: tuple[str, ...] = ()
    anywhere: bool = False


TEST_COMMANDS: tuple[TestCommand, ...] = (
    TestCommand("pytest", ("pytest", "py.test", "pytest-3")),
    TestCommand("python -m pytest", ("python", "python3", "python2", "py"), ("-m", "pytest|unittest|nose2|tox|nox")),
    TestCommand("python setup.py test", ("python", "python3"), ("setup.py", "test")),
    TestCommand("tox", ("tox",)),
    TestCommand("nox", ("nox",)),
    TestCommand("npm test", ("npm", "yarn", "pnpm", "bun"), ("test|t|tst|test:*|test-*",)),
    TestCommand("npm run test", ("npm", "yarn", "pnpm", "bun"), ("run|run-script", "test|test:*|test-*|tests|e2e|e2e:*|unit|unit:*")),
    TestCommand("jest", ("jest", "vitest", "mocha", "karma", "ava", "jasmine", "tap")),
    TestCommand("playwright test", ("playwright",), ("test",)),
    TestCommand("cypress run", ("cypress",), ("run",)),
    TestCommand("make test", ("make", "gmake"), ("test|tests|check|test-*|test_*|check-*|unittest|unit-test*|integration-test*|e2e*",), anywhere=True),
    TestCommand("go test", ("go",), ("test",)),
    TestCommand("gotestsum", ("gotestsum", "ginkgo")),
    TestCommand("cargo test", ("cargo",), ("test|nextest",)),
    TestCommand("mvn test", ("mvn", "mvnw", "mvnw.cmd"), ("test|verify|integration-test|install",), anywhere=True),
    TestCommand("gradle test", ("gradle", "gradlew", "gradlew.bat"), ("test|check|*Test|*:test|*:check|connectedCheck|build",), anywhere=True),
    TestCommand("dotnet test", ("dotnet",), ("test|vstest",)),
    TestCommand("rspec", ("rspec",)),
    TestCommand("rake test", ("rake", "rails"), ("test|spec|test:*|spec:*",)),
    TestCommand("phpunit", ("phpunit", "pest", "codecept")),
    TestCommand("ctest", ("ctest",)),
    TestCommand("bats", ("bats",)),
    TestCommand("swift test", ("swift",), ("test",)),
    TestCommand("mix test", ("mix",), ("test",)),
    TestCommand("flutter test", ("flutter", "dart"), ("test",)),
    TestCommand("sbt test", ("sbt",), ("test|*test",), anywhere=True),
    TestCommand("composer test", ("composer",), ("test|tests|test:*",)),
    TestCommand("Invoke-Pester", ("Invoke-Pester",)),
    TestCommand("xcodebuild test", ("xcodebuild",), ("test|test-without-building",), anywhere=True),
    TestCommand("fastlane test", ("fastlane",), ("test|tests|test_*|*_test|*_tests|unit_tests|ui_tests",)),
    TestCommand("crystal spec", ("crystal",), ("spec",)),
    TestCommand("lein test", ("lein",), ("test|midje|kaocha",)),
    TestCommand("nunit console", ("nunit3-console", "nunit3-console.exe", "nunit-console", "nunit-console.exe")),
    TestCommand("nunit console", ("mono",), ("*nunit*-console*.exe",)),
    TestCommand("vstest.console", ("vstest.console", "vstest.console.exe", "xunit.console", "xunit.console.exe")),
)

#: Words of a job id/name that make it a test job (compared per word, case-insensitive).
TEST_JOB_NAMES: frozenset[str] = frozenset(
    {
        "test", "tests", "testing", "unit", "unittest", "unittests", "e2e", "integration",
        "integrationtest", "integrationtests", "acceptance", "smoke", "spec", "specs",
        "pytest", "jest", "rspec", "phpunit", "ctest", "tox", "nox", "cypress", "playwright",
        "minitest", "vitest", "mocha", "nunit", "xunit", "junit", "pester",
    }
)

#: GitHub actions (``owner/repo``, fnmatch) that run tests or publish their results.
TEST_ACTIONS: tuple[str, ...] = (
    "cypress-io/github-action",
    "dorny/test-reporter",
    "enricomi/publish-unit-test-result-action*",
    "mikepenz/action-junit-report",
    "codecov/codecov-action",
    "coverallsapp/github-action",
    "microsoft/playwright-github-action",
    "paambaati/codeclimate-action",
)


@dataclass(frozen=True)
class TestTask:
    """An Azure task that runs tests; with ``input``, only when that input matches."""

    name: str  # task name, fnmatch, lower case
    input: str | None = None
    values: tuple[str, ...] = ()  # fnmatch on each word of the input's value, lower case
    default: str | None = None


TEST_TASKS: tuple[TestTask, ...] = (
    TestTask("vstest"),
    TestTask("publishtestresults"),
    TestTask("publishcodecoverageresults"),
    TestTask("dotnetcorecli", "command", ("test",), "build"),
    TestTask("maven", "goals", ("test", "verify", "install", "integration-test"), "package"),
    TestTask("gradle", "tasks", ("test", "check", "build", "*test", "*:test", "*:check"), "build"),
    TestTask("npm", "customCommand", ("test", "t", "test:*")),
    TestTask("ant", "targets", ("test", "*test*")),
    TestTask("xcode", "actions", ("test",)),
)


# ======================================================================= verification
# PL202: what shows that a deploy took effect (the rollout finished, the service is
# healthy), in the deploy's job after the deploy or in a downstream job.


@dataclass(frozen=True)
class VerifyCommand:
    """A command that waits for a rollout or checks its health."""

    label: str
    programs: tuple[str, ...]
    words: tuple[str, ...] = ()
    #: Options one of which must be present (``kubectl wait --for=...``).
    requires: tuple[str, ...] = ()


VERIFY_COMMANDS: tuple[VerifyCommand, ...] = (
    VerifyCommand("kubectl rollout status", ("kubectl", "oc", "k"), ("rollout", "status")),
    VerifyCommand("kubectl wait", ("kubectl", "oc", "k"), ("wait",), ("--for",)),
    VerifyCommand("kubectl argo rollouts status", ("kubectl",), ("argo", "rollouts", "status")),
    VerifyCommand("kubectl argo rollouts status", ("kubectl-argo-rollouts",), ("status",)),
    VerifyCommand("aws ecs wait services-stable", ("aws",), ("ecs", "wait", "services-stable")),
    VerifyCommand("aws cloudformation wait", ("aws",), ("cloudformation", "wait")),
    VerifyCommand("aws deploy wait deployment-successful", ("aws",), ("deploy", "wait", "deployment-successful")),
    VerifyCommand("argocd app wait", ("argocd",), ("app", "wait")),
    VerifyCommand("flux reconcile", ("flux",), ("reconcile",)),
)

#: Deploy labels (:data:`~pipelint.tables.DEPLOY_COMMANDS` / ``DEPLOY_ACTIONS``) whose
#: rollout is judged by PL202 (see pipelint.verification for what is left out and why).
ROLLOUT_DEPLOYS: frozenset[str] = frozenset(
    {
        "kubectl apply", "kubectl create", "kubectl replace", "kubectl patch", "kubectl set image",
        "kubectl rollout restart", "oc rollout latest", "kubectl argo rollouts set image",
        "kubectl argo rollouts promote", "helm upgrade", "helm install", "helmfile apply", "helmfile sync",
        "argocd app sync", "aws ecs update-service", "aws deploy create-deployment", "gcloud run deploy",
        "gcloud run services update", "az webapp deploy", "az webapp up", "az webapp deployment source",
        "flyctl deploy", "kamal deploy",
        "azure/k8s-deploy", "azure/webapps-deploy", "aws-actions/amazon-ecs-deploy-task-definition",
        "google-github-actions/deploy-cloudrun", "deliverybot/helm", "KubernetesManifest deploy",
        "AzureWebApp", "AzureRmWebAppDeployment", "HelmDeploy",
    }
)

#: Throwaway clusters a CI job creates to test against (a job that deploys into one is a
#: test harness, not a release): commands (program, subcommand words) and actions.
LOCAL_CLUSTER_COMMANDS = (
    ("kind", ("create", "cluster")), ("minikube", ("start",)), ("k3d", ("cluster", "create")),
    ("ctlptl", ("create",)), ("microk8s", ("start",)), ("k3s", ("server",)),
)
LOCAL_CLUSTER_ACTIONS = (
    "helm/kind-action", "engineerd/setup-kind", "container-tools/kind-action", "medyagh/setup-minikube",
    "manusa/actions-setup-minikube", "absaoss/k3d-action", "nolar/setup-k3d-k3s", "debianmaster/actions-k3s",
    "jupyterhub/action-k3s-helm", "rancher/k3d-action",
)

#: Deploy commands that wait for the rollout themselves when given one of these options.
WAITING_DEPLOY_OPTIONS: dict[str, tuple[str, ...]] = {
    "helm upgrade": ("--wait", "--atomic", "--rollback-on-failure"),
    "helm install": ("--wait", "--atomic", "--rollback-on-failure"),
    "helmfile apply": ("--wait",),
    "helmfile sync": ("--wait",),
    "argocd app sync": ("--wait",),
}

#: Deploy commands that wait unless told not to (option that turns waiting off).
WAITING_DEPLOYS: dict[str, tuple[str, ...]] = {
    "gcloud run deploy": ("--async",),
    "gcloud run services update": ("--async",),
    "aws cloudformation deploy": (),
    "sam deploy": (),
    "cdk deploy": (),
    "kamal deploy": (),
    "flyctl deploy": ("--detach",),
    "argocd app sync": ("--async",),  # blocks until the sync operation finishes
    "skaffold run": ("--status-check=false",),  # waits for deployments to stabilize
    "skaffold deploy": ("--status-check=false",),
}

#: GitHub actions / Azure tasks that deploy and wait for the rollout (input that turns it
#: on, and its values; ``default`` when the input is unset).


@dataclass(frozen=True)
class VerifyingAction:
    name: str
    input: str | None = None
    values: tuple[str, ...] = ()
    default: bool = True


VERIFYING_ACTIONS: tuple[VerifyingAction, ...] = (
    VerifyingAction("azure/k8s-deploy"),  # checks rollout status by default
    VerifyingAction("aws-actions/amazon-ecs-deploy-task-definition", "wait-for-service-stability", ("true",), default=False),
    VerifyingAction("kubernetesmanifest", "action", ("deploy", "promote", "scale", "patch")),  # Azure task: waits for the rollout
    VerifyingAction("deliverybot/helm", "atomic", ("true",), default=False),
    VerifyingAction("helmdeploy", "arguments", ("--wait", "--wait=true", "--atomic", "--atomic=true"), default=False),
    VerifyingAction("google-github-actions/deploy-cloudrun"),  # waits for the revision to serve
)

# ======================================================================= health checks
# PL201 / PL205 / PL404: HTTP clients in scripts, and which endpoint paths are shallow.

#: Programs that make an HTTP request (shell and PowerShell).
HTTP_CLIENTS: frozenset[str] = frozenset(
    {"curl", "wget", "http", "https", "Invoke-WebRequest", "iwr", "Invoke-RestMethod", "irm"}
)

#: Actions that wait for a URL to answer.
HEALTH_CHECK_ACTIONS: tuple[str, ...] = (
    "jtalk/url-health-check-action",
    "cygnetdigital/wait_for_response",
    "nev7n/wait_for_response",
    "gerdemann/http-status-code",
    "lakuapik/gh-actions-http-status",
)

#: Endpoint paths that answer while dependencies are down (configurable:
#: ``[tool.pipelint.rules.shallow-health-check] shallow-paths``).
SHALLOW_PATHS: tuple[str, ...] = ("/ping", "/", "/alive", "/live", "/livez", "/liveness", "/heartbeat", "/version")
#: A path holding one of these is a deep (readiness) check.
DEEP_PATH_MARKERS: tuple[str, ...] = ("ready", "readiness", "readyz", "/actuator/health")

# ======================================================================= rollback
# PL204: an automated way back from a failed production deploy.


@dataclass(frozen=True)
class RollbackCommand:
    label: str
    programs: tuple[str, ...]
    words: tuple[str, ...] = ()


ROLLBACK_COMMANDS: tuple[RollbackCommand, ...] = (
    RollbackCommand("kubectl rollout undo", ("kubectl", "oc", "k"), ("rollout", "undo")),
    RollbackCommand("helm rollback", ("helm", "helm3"), ("rollback",)),
    RollbackCommand("kubectl argo rollouts abort", ("kubectl",), ("argo", "rollouts", "abort|undo")),
    RollbackCommand("kubectl argo rollouts abort", ("kubectl-argo-rollouts",), ("abort|undo",)),
    RollbackCommand("aws deploy stop-deployment", ("aws",), ("deploy", "stop-deployment")),
    RollbackCommand("az webapp deployment slot swap", ("az",), ("webapp", "deployment", "slot", "swap")),
    RollbackCommand("argocd app rollback", ("argocd",), ("app", "rollback")),
    RollbackCommand("kamal rollback", ("kamal",), ("rollback",)),
    RollbackCommand("cap deploy:rollback", ("cap",), ("*", "deploy:rollback")),
)

#: Deploy options that roll back by themselves when the rollout fails.
ROLLBACK_DEPLOY_OPTIONS: dict[str, tuple[str, ...]] = {
    "helm upgrade": ("--atomic", "--rollback-on-failure"),
    "helm install": ("--atomic", "--rollback-on-failure"),
}

#: Actions / tasks that roll back on failure by themselves (input, values; default).
ROLLBACK_ACTIONS: tuple[VerifyingAction, ...] = (
    VerifyingAction("aws-actions/amazon-ecs-deploy-task-definition", "enable-ecs-managed-rollback", ("true",), default=False),
    VerifyingAction("deliverybot/helm", "atomic", ("true",), default=False),
    VerifyingAction("helmdeploy", "arguments", ("*--atomic*", "*--rollback-on-failure*"), default=False),  # Azure task
)

# ======================================================================= security scans
# PL506: a security scan somewhere upstream of a production deploy.


@dataclass(frozen=True)
class ScanCommand:
    label: str
    programs: tuple[str, ...]
    words: tuple[str, ...] = ()


SCAN_COMMANDS: tuple[ScanCommand, ...] = (
    ScanCommand("trivy", ("trivy",)),
    ScanCommand("grype", ("grype",)),
    ScanCommand("snyk", ("snyk",), ("test|container|iac|code|monitor",)),
    ScanCommand("semgrep", ("semgrep",)),
    ScanCommand("checkov", ("checkov",)),
    ScanCommand("zizmor", ("zizmor",)),
    ScanCommand("bandit", ("bandit",)),
    ScanCommand("gitleaks", ("gitleaks",)),
    ScanCommand("trufflehog", ("trufflehog",)),
    ScanCommand("docker scout", ("docker",), ("scout",)),
    ScanCommand("osv-scanner", ("osv-scanner",)),
    ScanCommand("tfsec", ("tfsec",)),
    ScanCommand("kics", ("kics",), ("scan",)),
    ScanCommand("npm audit", ("npm", "pnpm", "yarn"), ("audit",)),
    ScanCommand("pip-audit", ("pip-audit",)),
    ScanCommand("safety", ("safety",), ("check|scan",)),
    ScanCommand("govulncheck", ("govulncheck",)),
    ScanCommand("cargo audit", ("cargo",), ("audit|deny",)),
    ScanCommand("dependency-check", ("dependency-check", "dependency-check.sh")),
)

#: GitHub actions that scan (fnmatch, lower case).
SCAN_ACTIONS: tuple[str, ...] = (
    "github/codeql-action/*",
    "aquasecurity/trivy-action",
    "anchore/scan-action",
    "anchore/sbom-action",
    "snyk/actions/*",
    "returntocorp/semgrep-action",
    "semgrep/semgrep-action",
    "bridgecrewio/checkov-action",
    "gitleaks/gitleaks-action",
    "trufflesecurity/trufflehog",
    "docker/scout-action",
    "zizmorcore/zizmor-action",
    "aquasecurity/tfsec-action",
    "google/osv-scanner-action/*",
    "actions/dependency-review-action",
    "ossf/scorecard-action",
    "securego/gosec",
    "pypa/gh-action-pip-audit",
)

#: Azure tasks that scan (lower case, without ``@N``; fnmatch).
SCAN_TASKS: tuple[str, ...] = ("advancedsecurity-*", "credscan", "microsoftsecuritydevops", "whitesource*", "snyksecurityscan", "trivy")

#: GitLab CI templates (``include: template:``) that add scanning jobs.
SCAN_TEMPLATES: tuple[str, ...] = (
    "*SAST*.gitlab-ci.yml",
    "*Container-Scanning*.gitlab-ci.yml",
    "*Dependency-Scanning*.gitlab-ci.yml",
    "*Secret-Detection*.gitlab-ci.yml",
    "*DAST*.gitlab-ci.yml",
    "*License-Scanning*.gitlab-ci.yml",
    "Auto-DevOps.gitlab-ci.yml",
)

# ======================================================================= remote scripts
# PL508: code downloaded and executed in one go.

#: Programs that download (their output piped into an interpreter runs remote code).
DOWNLOADERS: frozenset[str] = frozenset({"curl", "wget", "Invoke-WebRequest", "iwr", "Invoke-RestMethod", "irm", "fetch", "DownloadString"})
#: Interpreters that run what they read on standard input (or a downloaded string).
INTERPRETERS: frozenset[str] = frozenset(
    {"sh", "bash", "zsh", "dash", "ksh", "python", "python3", "perl", "ruby", "node", "pwsh", "powershell", "iex", "Invoke-Expression", "source", "."}
)


# ======================================================================= configuration
# `[tool.pipelint.tables]`: rows a project adds to the tables above, e.g.
#     deploy-commands = ["ship release", "./bin/deploy-*"]
# Each command entry is "program [word ...]" (fnmatch patterns, like the rows above; a
# program given with a path is matched by its base name).

#: config key -> (table name, row factory for a command entry, or None for name lists).
EXTENDABLE: dict[str, tuple[str, object]] = {
    "deploy-commands": ("DEPLOY_COMMANDS", lambda label, program, words: CommandPattern(label, (program,), words)),
    "test-commands": ("TEST_COMMANDS", lambda label, program, words: TestCommand(label, (program,), words)),
    "verify-commands": ("VERIFY_COMMANDS", lambda label, program, words: VerifyCommand(label, (program,), words)),
    "rollback-commands": ("ROLLBACK_COMMANDS", lambda label, program, words: RollbackCommand(label, (program,), words)),
    "scan-commands": ("SCAN_COMMANDS", lambda label, program, words: ScanCommand(label, (program,), words)),
    "scan-actions": ("SCAN_ACTIONS", None),
    "http-clients": ("HTTP_CLIENTS", None),
}
_DEFAULTS = {name: globals()[name] for name, _factory in EXTENDABLE.values()}
_ON_CHANGE: list = []
#: What the current run's configuration added (config key -> entries).
CONFIGURED: dict[str, list[str]] = {}


_DERIVED: dict = {}


def derived(name: str, build):
    """``build(table)`` for the current value of table ``name`` (a prefilter word list, an
    index), computed once per value: tables change only through :func:`configure`."""
    key = (name, build)
    found = _DERIVED.get(key)
    if found is None:
        found = _DERIVED[key] = build(globals()[name])
    return found


def on_change(function):
    """Register ``function`` to rebuild what a module derives from the tables (decorator)."""
    _ON_CHANGE.append(function)
    return function


def configure(extra: dict[str, list[str]] | None) -> None:
    """Reset every extendable table to its defaults, then add ``extra``'s rows (the
    ``[tool.pipelint.tables]`` of the run's configuration). The engine calls this at the
    start of each run; modules that read the tables read ``tables.NAME`` at call time."""
    extra = {k: list(v) for k, v in (extra or {}).items() if v}
    if not extra and not CONFIGURED:
        return
    g = globals()
    for name, value in _DEFAULTS.items():
        g[name] = value
    for key, entries in extra.items():
        name, factory = EXTENDABLE[key]
        if factory is None:
            current = g[name]
            added = tuple(e.strip().lower() if name == "SCAN_ACTIONS" else e.strip() for e in entries)
            g[name] = current | frozenset(added) if isinstance(current, frozenset) else current + added
        else:
            rows = []
            for entry in entries:
                parts = entry.split()
                if parts:  # programs are matched by base name, like the rows above
                    rows.append(factory(entry.strip(), parts[0].rsplit("/", 1)[-1], tuple(parts[1:])))
            g[name] = g[name] + tuple(rows)
    CONFIGURED.clear()
    CONFIGURED.update(extra)
    _DERIVED.clear()
    for function in _ON_CHANGE:
        function()

"""No secret is committed, and no password in a database or broker URL is ever printed.

The scan reads every file `git ls-files` lists (plus this file, so it holds before its first commit) and
reports file:line for each hit of four detectors:

- private keys: a PEM/OpenSSH "BEGIN ... PRIVATE KEY" header;
- cloud tokens: AWS access key ids (AKIA/ASIA/AIDA/AROA + 16), GitHub tokens (ghp_/gho_/ghu_/ghs_/ghr_),
  Slack tokens (xoxb-/xoxp-/...);
- URL credentials: `scheme://user:PASSWORD@host`, and `?password=` / `&password=` in a query string;
- assignments: a key whose name holds password, passwd, passphrase, secret, api key, access key, auth token
  or private key, then `=`, `:` or `:=`, then a quoted value; in files other than Python sources an
  unquoted value counts too (`.env`, shell, YAML, Markdown).

The rule for what is allowed, precisely:

1. A value that is not a secret at all: shorter than 4 characters; an expansion or template (starts with
   `$`, `{`, `%(` or `<`, e.g. `${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}`, `$(python3 ...)`, `<password>`;
   the `?message` of `${VAR:?message}`; but the `default` of `${VAR:-default}` is checked like any value);
   a mask made only of `*`, `.`, `x`, `X`, `-`, `_` (`***`, `...`); or a documentation word standing for one
   (`pass`, `password`, `passwd`, `secret`, case-insensitive), as in `postgresql://user:pass@host/batt`.
2. In files under `tests/` only, test values that are fake by construction: a value containing `test`,
   `fake`, `dummy` or `example` (case-insensitive), or URL credentials whose host is the loopback
   (127.0.0.1, localhost, ::1): the throwaway services the tests start or deliberately cannot reach.
3. Private keys and cloud tokens are never allowed, not even in tests/.
"""

import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import batt

ROOT = Path(__file__).resolve().parents[2]
THIS_FILE = Path(__file__).resolve().relative_to(ROOT).as_posix()

PRIVATE_KEY = re.compile(r"-{5}BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-{5}")
CLOUD_TOKEN = re.compile(
    r"\b(?:AKIA|ASIA|AIDA|AROA)[0-9A-Z]{16}\b|\bgh[pousr]_[A-Za-z0-9]{36,}\b|\bxox[abprs]-[A-Za-z0-9-]{10,}"
)
URL_CREDENTIAL = re.compile(
    r"\b[a-z][a-z0-9+.-]*://(?P<user>[^\s:/@'\"`]*):(?P<secret>[^\s@/'\"`]+)@(?P<host>\[[^\]\s]*\]|[^\s:/'\"`?#]*)"
)
QUERY_PASSWORD = re.compile(r"[?&](?:password|passwd)=(?P<secret>[^&\s'\"`#]+)", re.IGNORECASE)
KEY = r"[\w.-]*(?:password|passwd|passphrase|secret|api[_-]?key|access[_-]?key|auth[_-]?token|private[_-]?key)[\w.-]*"
QUOTED_ASSIGNMENT = re.compile(rf"(?i)\b{KEY}['\"]?\s*(?::=|=|:)\s*(?P<quote>['\"])(?P<secret>.*?)(?P=quote)")
BARE_ASSIGNMENT = re.compile(rf"(?i)\b{KEY}['\"]?\s*(?::=|=|:)[ \t]*(?P<secret>[^\s'\"#,;)}}\]`]+)")

PLACEHOLDER_WORDS = {"pass", "password", "passwd", "secret"}
FAKE_MARKERS = ("test", "fake", "dummy", "example")
LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}


@dataclass(frozen=True)
class Hit:
    path: str
    line: int
    kind: str
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind}: {self.text.strip()[:160]}"


SHELL_DEFAULT = re.compile(r"\$\{\w+:?-(?P<default>[^}]*)\}?")


def effective_value(raw: str) -> str:
    """The value a line really sets: the default of `${VAR:-default}`, nothing for `${VAR:?message}`."""
    if raw.startswith("?"):
        return ""  # ${VAR:?message}: the message shown when VAR is unset (matched from inside the braces)
    if raw.startswith("-"):
        return effective_value(raw[1:])  # ${VAR:-default} matched from inside the braces
    default = SHELL_DEFAULT.fullmatch(raw)
    return effective_value(default["default"]) if default else raw


def is_placeholder(value: str) -> bool:
    """Rule 1: not a secret at all."""
    return (
        len(value) < 4
        or value.startswith(("$", "{", "%(", "<"))
        or set(value) <= set("*.xX-_")
        or value.lower() in PLACEHOLDER_WORDS
    )


def is_test_value(path: str, value: str, host: str | None = None) -> bool:
    """Rule 2: fake by construction, and only inside tests/."""
    if not path.startswith("tests/"):
        return False
    return any(marker in value.lower() for marker in FAKE_MARKERS) or (host or "").lower() in LOOPBACK


def scan_text(path: str, text: str) -> Iterator[Hit]:
    python = path.endswith(".py")
    for number, line in enumerate(text.splitlines(), 1):
        for pattern, kind in ((PRIVATE_KEY, "private key"), (CLOUD_TOKEN, "cloud token")):
            if pattern.search(line):
                yield Hit(path, number, kind, line)  # rule 3: never allowed
        for match in URL_CREDENTIAL.finditer(line):
            secret = match["secret"]
            if not is_placeholder(secret) and not is_test_value(path, secret, match["host"]):
                yield Hit(path, number, "password in a URL", line)
        for match in QUERY_PASSWORD.finditer(line):
            if not is_placeholder(match["secret"]) and not is_test_value(path, match["secret"]):
                yield Hit(path, number, "password in a query string", line)
        patterns = (QUOTED_ASSIGNMENT,) if python else (QUOTED_ASSIGNMENT, BARE_ASSIGNMENT)
        for pattern in patterns:
            for match in pattern.finditer(line):
                secret = effective_value(match["secret"])
                if not is_placeholder(secret) and not is_test_value(path, secret):
                    yield Hit(path, number, "password-like assignment", line)


def committed_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return sorted({name for name in listed.decode().split("\0") if name} | {THIS_FILE})


def read_text(path: Path) -> str | None:
    """A file's text; None for what is not there (staged deletion) or not text (binary data)."""
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return None
    if b"\0" in data:
        return None
    return data.decode("utf-8", errors="replace")


def test_no_secret_is_committed() -> None:
    files = committed_files()
    assert len(files) > 50  # the listing worked: this is the repository, not an empty folder
    hits = []
    for name in files:
        text = read_text(ROOT / name)
        if text is not None:
            hits.extend(scan_text(name, text))
    assert not hits, "secrets in committed files:\n" + "\n".join(map(str, hits))


# The detectors themselves. Each sample is a secret once its "§" splices are removed; with them, no line of
# this file is one (so the committed-files scan above passes on this file too).
def _spliced(text: str) -> str:
    return text.replace("§", "")


SYNTHETIC_SECRETS = {
    "pem key": "-----BEGIN RSA PRIVATE§ KEY-----",
    "openssh key": "-----BEGIN OPENSSH PRIVATE§ KEY-----",
    "aws key id": "aws_access§_key_id = AKIA§QQQQQQQQQQQQQQQQ",
    "github token": "token: gh§p_a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1",
    "postgres url": "BATT_DATABASE_URL=postgresql+psycopg:§//batt:hunter2hunter@db.internal:5432/batt",
    "redis url": "broker = 'redis:§//:Zq7pLw0rd@redis.prod:6379/0'",
    "query string": "url = 'postgresql://batt@db/batt?pass§word=Zq7pLw0rd'",
    "python assignment": "DB_PASS§WORD = 'Zq7pLw0rd'",
    "dict entry": '{"flower_pass§word": "Zq7pLw0rd"}',
    "env file": "POSTGRES_PASS§WORD=Zq7pLw0rd",
    "yaml": "  secret§_key: Zq7pLw0rd",
    "walrus": "API§_KEY := 'Zq7pLw0rd'",
    "shell default": "BATT_DATABASE_URL=${DB:-x} PGPASS§WORD=${PGPASS§WORD:-Zq7pLw0rd}",
}
NOT_SECRETS = {
    "compose expansion": "BATT_DATABASE_URL: postgresql+psycopg://batt:${POSTGRES_PASSWORD:?set it}@postgres:5432/batt",
    "compose env": "      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}",
    "shell command": 'BATT_FLOWER_PASSWORD=$(python3 -c "import secrets; print(secrets.token_urlsafe(12))")',
    "doc ellipsis": "BATT_FLOWER_PASSWORD=... batt flower &",
    "doc url": "e.g. `postgresql+psycopg://user:pass@host/batt`",
    "masked url": "postgresql+psycopg://batt:***@127.0.0.1:1/batt",
    "short": "POSTGRES_PASSWORD=ci FLOWER_PASSWORD=ci docker-compose config -q",
    "no credentials": "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    "python annotation": 'flower_password: str | None = Field(None, description="basic-auth password")',
    "python attribute": 'env["PGPASSWORD"] = settings.password',
    "template": "password = '{password}'",
    "shell default unset": "PGPASSWORD=${PGPASSWORD:-}",
}


@pytest.mark.parametrize("name", sorted(SYNTHETIC_SECRETS))
def test_scanner_finds_each_kind_of_secret(name: str) -> None:
    assert not list(scan_text("ops/deploy.env", SYNTHETIC_SECRETS[name]))  # the splice hides it
    for path in ("ops/deploy.env", "batt_tasks/config.py", "tests/unit/test_x.py"):
        if path.endswith(".py") and name in ("env file", "yaml", "shell default"):
            continue  # unquoted values count only outside Python sources
        assert list(scan_text(path, _spliced(SYNTHETIC_SECRETS[name]))), (name, path)


@pytest.mark.parametrize("name", sorted(NOT_SECRETS))
def test_scanner_allows_placeholders(name: str) -> None:
    assert not list(scan_text("docker-compose.yml", NOT_SECRETS[name])), name
    assert not list(scan_text("batt_tasks/x.py", NOT_SECRETS[name])), name


def test_test_only_values_are_allowed_only_under_tests() -> None:
    fake = "PASSWORD = 'fake-Pa55word-for-tests'"
    loopback = "url = 'postgresql+psycopg://postgres:s3cret@127.0.0.1:1/batt'"
    for line in (fake, loopback):
        assert not list(scan_text("tests/integration/test_cli.py", line))
        assert list(scan_text("batt_tasks/settings.py", line))
    assert list(scan_text("tests/x.py", _spliced("-----BEGIN EC PRIVATE§ KEY-----")))  # never allowed


# ---------------------------------------------------------------------------------------------
# Nothing prints a password

PASSWORD = "fake-Pa55word-for-tests"
UNREACHABLE = {
    "plain": (f"postgresql+psycopg://batt:{PASSWORD}@127.0.0.1:1/batt", [PASSWORD]),
    # Percent-encoded: neither the encoded nor the decoded form may show.
    "encoded": ("postgresql+psycopg://batt:fake%40Pa55%3Atests@127.0.0.1:1/batt", ["fake%40Pa55", "fake@Pa55"]),
}
COMMANDS = {
    "report": ("report",),
    "status": ("status", "1"),
    "db upgrade": ("db", "upgrade"),
    "run": ("run", "--task", "007bbfb7", "--budget", "5", "--json"),
    "best": ("best", "007bbfb7"),
    "export": ("export", "--run", "1", "-o", "submission.json"),
}


@pytest.mark.slow
def test_run_json_reports_the_database_it_wrote(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'batt.db'}"
    done = batt("run", "--task", "007bbfb7", "--budget", "5", "--json", cwd=tmp_path, env={"BATT_DATABASE_URL": url})
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["database"] == url  # no password to mask: shown as it is, so the user finds the file
    assert (tmp_path / "batt.db").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("form", sorted(UNREACHABLE))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_unreachable_database_never_shows_its_password(command: str, form: str, tmp_path: Path) -> None:
    url, secrets = UNREACHABLE[form]
    done = batt(*COMMANDS[command], cwd=tmp_path, env={"BATT_DATABASE_URL": url}, timeout=120)
    shown = done.stdout + done.stderr
    assert done.returncode != 0, shown
    assert "Traceback" not in shown, shown
    for secret in secrets:
        assert secret not in shown, shown
    assert "batt:***@127.0.0.1:1/batt" in shown, shown  # the user is still told which database
    assert not (tmp_path / "submission.json").exists()


@pytest.mark.slow
@pytest.mark.parametrize(
    "command", [("run", "--task", "007bbfb7", "--budget", "5", "--json"), ("workers",)], ids=["run", "workers"]
)
def test_unreachable_broker_never_shows_its_password(command: tuple[str, ...], tmp_path: Path) -> None:
    env = {
        "BATT_DATABASE_URL": f"sqlite:///{tmp_path / 'batt.db'}",
        "BATT_BROKER_URL": f"redis://:{PASSWORD}@127.0.0.1:1/0",
    }
    done = batt(*command, cwd=tmp_path, env=env, timeout=120)
    shown = done.stdout + done.stderr
    assert done.returncode != 0, shown
    assert PASSWORD not in shown, shown


@pytest.mark.slow
def test_workers_with_an_unreachable_broker_fail_on_one_line(tmp_path: Path) -> None:
    """cli.workers() lets kombu's OperationalError out; main() catches only SQLAlchemy's: ~300 lines of traceback."""
    env = {"BATT_BROKER_URL": f"redis://:{PASSWORD}@127.0.0.1:1/0"}
    done = batt("workers", cwd=tmp_path, env=env, timeout=120)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) <= 3, done.stderr[-2000:]


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        # libpq takes the password from the query string too; SQLAlchemy's hide_password masks only user:pass@.
        ("postgresql+psycopg://batt@127.0.0.1:1/batt?password=fake-QueryPa55-tests", "QueryPa55"),
        # An unescaped '@' in the password: the part after it is taken for the host and shown.
        ("postgresql+psycopg://batt:fake@Pa55-tests@127.0.0.1:1/batt", "Pa55-tests"),
    ],
    ids=["query string", "unescaped at"],
)
def test_masked_url_hides_every_password_form(url: str, secret: str) -> None:
    from batt_tasks.settings import masked_url

    assert secret not in masked_url(url)

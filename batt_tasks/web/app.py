"""`batt serve`: read-only pages of the runs, their tasks, run diffs and a task's best candidates.

Every page is a GET that reads the database; nothing on them writes. Task ids, origins and programs are
outside text: the templates autoescape them. The task page runs candidates again (gallery.gallery) under the
per-sample timer, a SIGPROF, so requests are served one at a time in the main thread (`serve`).
"""

import ipaddress
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from flask import Flask, abort, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from batt_tasks.compare import diff_runs
from batt_tasks.db.session import session_scope
from batt_tasks.gallery import gallery
from batt_tasks.settings import Settings, masked_url
from batt_tasks.show import ARC_COLOURS, sample_line, scores_text
from batt_tasks.text import shown
from batt_tasks.web import pages

DEFAULT_CANDIDATES = 3
MOST_CANDIDATES = 8  # each one is run again on every sample: a page must stay quick
T = TypeVar("T")


def create_app(settings: Settings) -> Flask:
    """The pages on settings.database_url."""
    app = Flask(__name__, template_folder=str(Path(__file__).with_name("templates")))
    url = settings.database_url
    app.jinja_env.globals.update(colours=ARC_COLOURS, database=masked_url(url))
    app.jinja_env.filters.update(sample_line=sample_line, scores=scores_text, when=_when)

    @app.get("/")
    def runs_page() -> str:
        with session_scope(url) as session:
            return render_template("runs.html", runs=pages.run_lines(session, settings))

    @app.get("/runs/<int:run_id>")
    def run_page(run_id: int) -> str:
        with session_scope(url) as session:
            run = _known(pages.run_line(session, run_id, settings), f"no run {run_id}")
            return render_template("run.html", run=run, tasks=pages.task_lines(session, run_id))

    @app.get("/diff/<int:run_a>/<int:run_b>")
    def diff_page(run_a: int, run_b: int) -> str:
        with session_scope(url) as session:
            try:
                found = diff_runs(session, run_a, run_b)
            except LookupError as error:
                abort(404, str(error))
            return render_template("diff.html", diff=found)

    @app.get("/tasks/<path:task_id>")  # an id from a file may hold a slash
    def task_page(task_id: str) -> str:
        run_id = request.args.get("run", type=int)
        count = min(max(request.args.get("candidates", DEFAULT_CANDIDATES, type=int), 1), MOST_CANDIDATES)
        with session_scope(url) as session:
            run = _known(pages.run_line(session, run_id, settings), f"no run {run_id}") if run_id is not None else None
            try:
                found = gallery(session, task_id, run_id, count, settings.sample_timeout)
            except LookupError:
                abort(404, f"no task {shown(task_id)}" + (f" in run {run_id}" if run_id is not None else ""))
            return render_template("task.html", found=found, run=run, choices=(1, 3, MOST_CANDIDATES))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int]:
        code = error.code or 500
        return render_template("error.html", title=f"{code} {error.name}", message=error.description), code

    @app.errorhandler(OperationalError)
    def database_down(error: OperationalError) -> tuple[str, int]:
        message = f"The database {masked_url(url)} does not answer: {shown(str(error.orig))}"
        return render_template("error.html", title="503 Database unavailable", message=message), 503

    return app


def _known(value: T | None, missing: str) -> T:
    if value is None:
        abort(404, missing)
    return value


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach host (a name other than localhost is taken as not)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(app: Flask, host: str, port: int) -> None:
    """Serve until Ctrl-C, one request at a time in this (main) thread: the candidates' timer is SIGPROF."""
    from werkzeug.serving import make_server

    server = make_server(host, port, app, threaded=False)
    shown_host = f"[{host}]" if ":" in host else host
    print(f"batt serve: http://{shown_host}:{server.port}/ (read-only; Ctrl-C stops)", flush=True)
    server.serve_forever()  # returns on Ctrl-C, the socket closed

"""Measure the app on a generated nursery: `python -m bench.run [--quick] [--database-url postgresql+psycopg://...]`.

In one run, bounded in time and only on 127.0.0.1:

1. Datasets (bench.generate): the nursery the servers read (150 children; 3 years, or 1 month with --quick),
   and small ones for the comparisons (history, room size).
2. In-process (create_app + TestClient, a cursor-execute counter on the engine): SQL statements and the median
   time of each page and write, on each dataset, so a page that grows with history or with its room shows.
3. For each backend (SQLite; PostgreSQL when a URL is given) and for 1 and 2 uvicorn workers: the time from
   starting `python -m nursery_ops serve` to its first response; open-loop load at fixed rates (requests leave
   on a fixed timetable whatever the answers, latency counted from the time a request was due) with
   p50/p95/p99 and errors; closed-loop maximum throughput; writes (log entries, check-ins) at 20/s while the
   pages are read at 50/s; and the resident memory of each worker after each phase, with the requests so far
   (the full run passes 10,000 within its open-loop phases).
4. bench/results/latest.json and latest.md (quick.json and quick.md with --quick), with the machine's cores and
   load, the versions, and each budget of issue 10 marked pass or fail.

The load client is a small HTTP/1.1 client on asyncio streams (keep-alive, one request per connection at a
time): it costs far less CPU per request than httpx, which matters when client and server share two cores.
Its own CPU time is reported beside each phase. Sign-in uses httpx, as a browser would.
"""

import argparse
import compileall
import asyncio
import importlib.metadata
import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.generate import (
    NURSERY, PASSWORD, PIN, SMALL_NURSERY, WORK_DIR, Plan, RoomPlan, generate, prepare_today, print_report,
)

SECRET_KEY = "bench-secret-key-not-for-production"
DATA_DIR = WORK_DIR / "data"
# The app reads its settings once, from the environment: the in-process app and the servers share these.
os.environ["SECRET_KEY"] = SECRET_KEY
os.environ["DATA_DIR"] = str(DATA_DIR)

import httpx  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench import pages as P  # noqa: E402
from bench.inprocess import measure  # noqa: E402
from nursery_ops.db import build_engine, is_sqlite  # noqa: E402
from nursery_ops.settings import PROJECT_ROOT  # noqa: E402

RESULTS_DIR = PROJECT_ROOT / "bench" / "results"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
TOKEN_PREFIX = "bench-"  # generate.BENCH_TOKEN: prepare_today removes these entries

PACKAGES = ("fastapi", "starlette", "uvicorn", "uvloop", "httptools", "sqlalchemy", "sqlmodel", "pydantic", "jinja2",
            "jinja2-fragments", "alembic", "psycopg", "httpx")


@dataclass(frozen=True)
class Dataset:
    key: str
    label: str
    rooms: tuple[RoomPlan, ...]
    history_days: int


@dataclass(frozen=True)
class Profile:
    name: str
    main: Dataset  # what the servers read
    history: tuple[Dataset, Dataset]  # short and long history, else the same
    room_size: Dataset  # a dataset with a 5-child and a 20-child room present
    rates: tuple[int, ...] = (25, 50, 100)
    open_seconds: float = 8.0
    closed_seconds: float = 8.0
    concurrency: int = 8
    mixed_seconds: float = 18.0  # check-ins are 1 write in 5: 18 s uses 72 of the 79 children still to arrive
    repeats: int = 15  # in-process timings per page
    timeout_s: float = 10.0  # a request not answered this long after it was due is an error
    in_flight: int = 64  # at most this many requests open at once (a nursery has fewer devices): bounds the backlog
    settle_s: float = 15.0  # after a phase, wait at most this long for the server to finish what it still holds
    worker_counts: tuple[int, ...] = (1, 2)
    # Which phases run with which worker counts (the budgets: open loop and writes on 2 cores, closed loop on 1).
    open_loop_workers: tuple[int, ...] = (1, 2)
    closed_loop_workers: tuple[int, ...] = (1, 2)
    mixed_workers: tuple[int, ...] = (1, 2)
    main_repeats: int | None = None  # in-process timings on the main dataset (None: `repeats`)
    results_name: str = "latest"


MONTH, THREE_MONTHS, THREE_YEARS = 30, 91, 3 * 365
FULL = Profile(
    name="full",
    main=Dataset("main", "150 children, 3 years", NURSERY, THREE_YEARS),
    history=(Dataset("main_1m", "150 children, 1 month", NURSERY, MONTH),
             Dataset("main", "150 children, 3 years", NURSERY, THREE_YEARS)),
    room_size=Dataset("rooms_1m", "30 children (rooms of 20 and 5), 1 month", SMALL_NURSERY, MONTH),
)
# Under 2 minutes: 1 month for the servers; the history comparison on the small nursery (1 vs 3 months).
QUICK = Profile(
    name="quick",
    main=Dataset("main", "150 children, 1 month", NURSERY, MONTH),
    history=(Dataset("rooms_1m", "30 children, 1 month", SMALL_NURSERY, MONTH),
             Dataset("rooms_3m", "30 children, 3 months", SMALL_NURSERY, THREE_MONTHS)),
    room_size=Dataset("rooms_1m", "30 children (rooms of 20 and 5), 1 month", SMALL_NURSERY, MONTH),
    rates=(50,), open_seconds=1.0, closed_seconds=1.0, concurrency=8, mixed_seconds=3.0,
    repeats=3, timeout_s=2.0, in_flight=32, settle_s=3.0, results_name="quick",
    open_loop_workers=(2,), closed_loop_workers=(1,), mixed_workers=(2,), main_repeats=0,
)


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


# ---------------------------------------------------------------- datasets


def dataset_url(dataset: Dataset) -> str:
    return f"sqlite:///{WORK_DIR / f'{dataset.key}-{dataset.history_days}d.db'}"


def build_dataset(url: str, dataset: Dataset, schema_copy: Path | None) -> dict:
    """A fresh database with the dataset; SQLite files start as a copy of one freshly migrated file."""
    from bench.generate import fresh_database

    started = time.perf_counter()
    if schema_copy is not None and is_sqlite(url):
        path = Path(make_url(url).database)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(schema_copy, path)
    else:
        fresh_database(url)
    engine = build_engine(url)
    try:
        report = generate(engine, Plan(rooms=dataset.rooms, history_days=dataset.history_days))
    finally:
        engine.dispose()
    print_report(report)
    size = Path(make_url(url).database).stat().st_size if is_sqlite(url) else None
    return {"label": dataset.label, "history_days": dataset.history_days, "rows": report.counts,
            "total_rows": sum(report.counts.values()), "seconds": round(time.perf_counter() - started, 1),
            "bytes": size}


def migrated_schema() -> Path:
    from bench.generate import fresh_database

    path = WORK_DIR / "schema.db"
    fresh_database(f"sqlite:///{path}")
    return path


# ---------------------------------------------------------------- in-process: statements and times


def measure_url(url: str, rooms: tuple[RoomPlan, ...], repeats: int) -> dict:
    engine = build_engine(url)
    try:
        return measure(engine, rooms, repeats)
    finally:
        engine.dispose()


# ---------------------------------------------------------------- the load client


class Pool:
    """Keep-alive HTTP/1.1 connections to one server, at most `limit` requests in flight."""

    def __init__(self, port: int, limit: int):
        self.port = port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.slots = asyncio.Semaphore(limit)
        self.sent = 0  # requests sent through this pool, for the memory readings

    async def send(self, data: bytes) -> int:
        self.sent += 1
        async with self.slots:
            for attempt in (0, 1):
                reused = bool(self.idle) and attempt == 0
                reader, writer = self.idle.pop() if reused else await asyncio.open_connection("127.0.0.1", self.port)
                try:
                    writer.write(data)
                    status, keep = await _read_response(reader)
                except (asyncio.IncompleteReadError, ConnectionError) as error:
                    writer.close()
                    if reused and not getattr(error, "partial", b""):
                        continue  # the server had closed this idle connection (keep-alive timeout): a fresh one
                    raise
                except BaseException:
                    # Cancelled at its deadline, or failed half-way: the connection's state is unknown, never reused.
                    writer.close()
                    raise
                if keep:
                    self.idle.append((reader, writer))
                else:
                    writer.close()
                return status
        raise ConnectionError("no connection")

    def close(self) -> None:
        for _reader, writer in self.idle:
            writer.close()
        self.idle.clear()


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status, headers.get("connection", "").lower() != "close"


@dataclass
class Persona:
    cookie: str
    csrf: str


def raw_request(request: P.Request, persona: Persona | None, port: int) -> bytes:
    lines = [f"{request.method} {request.path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "User-Agent: nursery-bench",
             "Accept: text/html"]
    if persona is not None:
        lines.append(f"Cookie: {persona.cookie}")
    if request.htmx:
        lines.append("HX-Request: true")
    body = b""
    if request.method == "POST":
        body = request.body()
        lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}",
                  f"X-CSRF-Token: {persona.csrf if persona else ''}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass
class Samples:
    """Latencies (ms) of answered requests with the expected status; everything else is an error."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: int = 0
    sent: int = 0

    def add(self, latency_s: float, status: int | str, expected: int = 200) -> None:
        self.statuses[str(status)] += 1
        if status == expected:
            self.latencies.append(latency_s * 1000)
        else:
            self.errors += 1

    def summary(self, seconds: float | None = None) -> dict:
        ordered = sorted(self.latencies)

        def rank(share: float) -> float | None:
            return round(ordered[min(len(ordered) - 1, max(0, int(share * len(ordered) + 0.999999) - 1))], 2) if ordered else None

        out = {"sent": self.sent, "ok": len(ordered), "errors": self.errors, "statuses": dict(self.statuses),
               "p50_ms": rank(0.50), "p95_ms": rank(0.95), "p99_ms": rank(0.99),
               "max_ms": round(ordered[-1], 2) if ordered else None}
        if seconds:
            out["per_s"] = round(len(ordered) / seconds, 1)
        return out


async def timed(pool: Pool, data: bytes, due: float, timeout: float, *samples: Samples) -> None:
    """Send one request; an answer later than `timeout` after it was due is a TimeoutError (the connection closed)."""
    loop = asyncio.get_running_loop()
    for kind in samples:
        kind.sent += 1
    try:
        status = await asyncio.wait_for(pool.send(data), max(0.001, due + timeout - loop.time()))
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as error:
        status = type(error).__name__
    for kind in samples:
        kind.add(loop.time() - due, status)


async def open_loop(pool: Pool, make, rate: float, seconds: float, timeout: float, samples: Samples | None = None) -> dict:
    """Requests due every 1/rate s for `seconds`, sent when due whatever the earlier ones are doing."""
    loop = asyncio.get_running_loop()
    samples = samples or Samples()
    count = max(1, int(rate * seconds))
    start = loop.time() + 0.02
    tasks, lag = [], 0.0
    for number in range(count):
        due = start + number / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        lag = max(lag, loop.time() - due)
        tasks.append(asyncio.create_task(timed(pool, make(number), due, timeout, samples)))
    await asyncio.gather(*tasks)
    result = samples.summary()
    result["rate"] = rate
    result["seconds"] = seconds
    result["client_lag_ms"] = round(lag * 1000, 1)
    return result


async def closed_loop(pool: Pool, make, concurrency: int, seconds: float, timeout: float) -> dict:
    """`concurrency` clients, each sending its next request when the last one is answered, for `seconds`."""
    loop = asyncio.get_running_loop()
    samples = Samples()
    numbers = iter(range(10**9))
    deadline = loop.time() + seconds
    started = loop.time()

    async def client():
        while loop.time() < deadline:
            await timed(pool, make(next(numbers)), loop.time(), timeout, samples)

    await asyncio.gather(*(client() for _ in range(concurrency)))
    result = samples.summary(loop.time() - started)
    result["concurrency"] = concurrency
    return result


# ---------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`python -m nursery_ops serve` on 127.0.0.1, in its own process group, output to a log file."""

    def __init__(self, url: str, workers: int, name: str):
        self.url, self.workers = url, workers
        self.port = free_port()
        self.log_path = WORK_DIR / f"server-{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> float:
        """Seconds from starting the process to its first answer (GET /ping)."""
        env = {**os.environ, "DATABASE_URL": self.url, "PYTHONPATH": str(PROJECT_ROOT)}
        started = time.perf_counter()
        with open(self.log_path, "wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "nursery_ops", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                 "--workers", str(self.workers)],
                cwd=WORK_DIR, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = started + 60
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server stopped while starting:\n{self.log_path.read_text()[-3000:]}")
            if _ping(self.port):
                return time.perf_counter() - started
            time.sleep(0.01)
        self.stop()
        raise RuntimeError(f"no answer from the server within 60 s:\n{self.log_path.read_text()[-3000:]}")

    def worker_pids(self) -> list[int]:
        if self.workers == 1:
            return [self.process.pid]
        children = []
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            children += [int(pid) for pid in (task / "children").read_text().split()]
        return [pid for pid in children if "spawn_main" in _cmdline(pid)]

    def rss_mb(self) -> list[float]:
        return [round(_status_kb(pid, "VmRSS") / 1024, 1) for pid in self.worker_pids()]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            connection.sendall(f"GET /ping HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
            return connection.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def sign_in(port: int, username: str) -> Persona:
    """Through the sign-in page, as a browser: the session cookie and the page's CSRF token."""
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30, follow_redirects=False) as http:
        form = CSRF_FIELD.search(http.get("/login").text).group(1)
        response = http.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": form})
        if response.status_code != 303:
            raise RuntimeError(f"{username} could not sign in: {response.status_code}")
        home = http.get(response.headers["location"], follow_redirects=True)
        token = CSRF_META.search(home.text)
        cookie = "; ".join(f"{cookie.name}={cookie.value}" for cookie in http.cookies.jar)
        return Persona(cookie, token.group(1) if token else "")


def unlock_tablets(port: int, personas: dict[str, Persona], targets: P.Targets) -> None:
    """The PIN on each room tablet in use: a tablet left 5 minutes locks (rooms.tablet), and a run is longer."""
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30, follow_redirects=False) as http:
        for room_id, username in targets.caregivers.items():
            if username in personas:
                persona = personas[username]
                try:
                    http.post(f"/rooms/{room_id}/unlock", headers={"Cookie": persona.cookie},
                              data={"person_id": targets.people[username], "pin": PIN, "csrf_token": persona.csrf})
                except httpx.TimeoutException:
                    log(f"no answer to the PIN of room {room_id} within 30 s: the server is stuck; going on")


def settle(port: int, limit_s: float) -> float:
    """Wait until the server answers /ping quickly again (a saturated phase leaves a queue behind); seconds waited."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit_s:
        sent = time.perf_counter()
        if _ping(port) and time.perf_counter() - sent < 0.02:
            break
        time.sleep(0.2)
    return time.perf_counter() - started


# ---------------------------------------------------------------- one server configuration


def measure_server(url: str, rooms: tuple[RoomPlan, ...], workers: int, profile: Profile, name: str) -> dict:
    from nursery_ops.clock import local_today

    engine = build_engine(url)
    today = local_today()
    prepare_today(engine, today, rooms)  # nobody in yet in the arriving rooms, no earlier bench entries
    targets = P.find_targets(engine, today)
    engine.dispose()
    # Only the children the writes phase can check in (one write in five): fewer caregivers to sign in.
    targets.arrivals = targets.arrivals[:int(20 * profile.mixed_seconds / 5) + 1]
    server = Server(url, workers, name)
    result: dict = {"backend": make_url(url).get_backend_name(), "workers": workers}
    try:
        result["startup_s"] = round(server.start(), 3)
        log(f"{name}: first answer after {result['startup_s']} s; signing in {len(targets.personas)} people")
        personas = {username: sign_in(server.port, username) for username in targets.personas}
        result.update(asyncio.run(_phases(server, personas, targets, profile, name)))
        result["peak_rss_mb"] = [round(_status_kb(pid, "VmHWM") / 1024, 1) for pid in server.worker_pids()]
    except (httpx.HTTPError, RuntimeError, OSError) as error:
        # A server that stops answering is a result too: recorded, and the run goes on with the next one.
        log(f"{name}: {type(error).__name__}: {error}")
        result["failed"] = f"{type(error).__name__}: {error}"
    finally:
        server.stop()
    errors = [line for line in server.log_path.read_text(errors="replace").splitlines() if "Traceback" in line or " 500 " in line]
    result["server_log_errors"] = len(errors)
    return result


async def _phases(server: Server, personas: dict[str, Persona], targets: P.Targets, profile: Profile, name: str) -> dict:
    port = server.port
    page_requests = P.pages(targets)
    raw = {page: raw_request(request, personas.get(request.persona), port) for page, request in page_requests.items()}
    reading = [raw[page] for page in raw if page != "trivial"]
    out: dict = {}
    pool = Pool(port, limit=profile.in_flight)
    timeout = profile.timeout_s
    cpu = time.process_time()

    # Warm-up: every page a few times (templates compiled, caches filled).
    await closed_loop(pool, lambda number: reading[number % len(reading)], 4, 1.0, timeout)
    settle(port, profile.settle_s)
    unlock_tablets(port, personas, targets)

    # Memory: each worker's resident set after each phase, with the requests answered so far.
    out["rss_timeline"] = [{"requests": pool.sent, "rss_mb": server.rss_mb()}]

    # Open loop: each page alone at each rate.
    out["open_loop"] = {}
    for rate in profile.rates if server.workers in profile.open_loop_workers else ():
        unlock_tablets(port, personas, targets)
        for page, data in raw.items():
            result = await open_loop(pool, lambda _number, data=data: data, rate, profile.open_seconds, timeout)
            result["settle_s"] = round(settle(port, profile.settle_s), 2)
            out["open_loop"].setdefault(page, {})[str(rate)] = result
        out["rss_timeline"].append({"requests": pool.sent, "rss_mb": server.rss_mb()})
        log(f"{name}: open loop at {rate}/s: " + ", ".join(
            f"{page} p99 {out['open_loop'][page][str(rate)]['p99_ms']}" for page in raw))

    # Closed loop: the most each page gets answered.
    unlock_tablets(port, personas, targets)
    out["closed_loop"] = {}
    for page, data in raw.items() if server.workers in profile.closed_loop_workers else ():
        out["closed_loop"][page] = await closed_loop(pool, lambda _number, data=data: data, profile.concurrency,
                                                     profile.closed_seconds, timeout)
        settle(port, profile.settle_s)
    out["rss_timeline"].append({"requests": pool.sent, "rss_mb": server.rss_mb()})
    if out["closed_loop"]:
        log(f"{name}: closed loop: " + ", ".join(f"{page} {result['per_s']}/s" for page, result in out["closed_loop"].items()))
    if server.workers in profile.mixed_workers:
        out["mixed"] = await _mixed(pool, personas, targets, profile, name, reading)
        settle(port, profile.settle_s)
        out["rss_timeline"].append({"requests": pool.sent, "rss_mb": server.rss_mb()})
    out["client_cpu_s"] = round(time.process_time() - cpu, 1)
    pool.close()
    return out


async def _mixed(pool: Pool, personas: dict[str, Persona], targets: P.Targets, profile: Profile, name: str,
                 reading: list[bytes]) -> dict:
    port, timeout = pool.port, profile.timeout_s

    # Writes under read load: 20 writes/s (one check-in in five while children are still to arrive, else log
    # entries) while the pages are read at 50/s.
    unlock_tablets(port, personas, targets)
    arrivals = list(targets.arrivals)
    kinds: list[str] = []

    def write(number: int) -> bytes:
        if number % 5 == 4 and arrivals:
            kinds.append("check_in")
            request = P.check_in(targets, arrivals.pop(0))
        else:
            kinds.append("log_entry")
            request = P.log_entry(targets, number, f"{TOKEN_PREFIX}{name}-")
        return raw_request(request, personas[request.persona], port)

    page_samples, write_samples, check_ins, log_entries = Samples(), Samples(), Samples(), Samples()
    tablets = Pool(port, limit=profile.in_flight)  # the tablets are devices of their own, beside the readers

    async def writes():
        loop = asyncio.get_running_loop()
        count = int(20 * profile.mixed_seconds)
        start = loop.time() + 0.02
        tasks = []
        for number in range(count):
            due = start + number / 20
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            data = write(number)
            target = check_ins if kinds[-1] == "check_in" else log_entries
            tasks.append(asyncio.create_task(timed(tablets, data, due, timeout, write_samples, target)))
        await asyncio.gather(*tasks)
        tablets.close()

    await asyncio.gather(
        open_loop(pool, lambda number: reading[number % len(reading)], 50, profile.mixed_seconds, timeout, page_samples),
        writes(),
    )
    mixed = {"pages_per_s": 50, "writes_per_s": 20, "seconds": profile.mixed_seconds,
             "pages": page_samples.summary(), "writes": write_samples.summary(),
             "log_entries": log_entries.summary(), "check_ins": check_ins.summary()}
    log(f"{name}: writes at 20/s under 50 pages/s: p99 {mixed['writes']['p99_ms']} ms, "
        f"{mixed['writes']['errors']} errors ({check_ins.sent} check-ins)")
    return mixed


# ---------------------------------------------------------------- the machine and the versions


def machine() -> dict:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                      if line.startswith("model name")), "")
    memory = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0) if Path("/proc/meminfo").exists() else 0
    return {"cores": os.cpu_count(), "cpu": model, "memory_gb": round(memory / 1024 / 1024, 1),
            "load_average": [round(value, 2) for value in os.getloadavg()], "platform": platform.platform()}


def versions(pg_url: str | None) -> dict:
    found = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    for package in PACKAGES:
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found[package] = None
    if pg_url:
        from sqlalchemy import text

        engine = build_engine(pg_url)
        with engine.connect() as connection:
            found["postgresql"] = connection.execute(text("SHOW server_version")).scalar()
        engine.dispose()
    return found


# ---------------------------------------------------------------- budgets and the report


PAGE_NAMES = ("room_view", "child_record", "family", "director", "health", "contract", "month_report")
TITLES = {"trivial": "trivial (/ping)", "room_view": "room view", "room_view_small": "room view, smaller room",
          "child_record": "child record", "family": "family page", "director": "director dashboard",
          "health": "health page", "contract": "contract page", "month_report": "month's report",
          "log_entry": "log entry (post)", "check_in": "check-in (post)"}


@dataclass
class Budget:
    name: str
    limit: str
    measured: str
    passed: bool | None  # None: not measured in this run


def budgets(report: dict, profile: Profile) -> list[Budget]:
    out = []
    for server in report["servers"]:
        where = f"{server['backend']}, {server['workers']} worker{'s' if server['workers'] > 1 else ''}"
        if "failed" in server:
            out.append(Budget(f"server ran to the end ({where})", "no failure", server["failed"], False))
        at50 = {page: rates["50"] for page, rates in server.get("open_loop", {}).items() if "50" in rates}
        if at50:
            trivial = at50["trivial"]["p99_ms"]
            over = []
            for page in PAGE_NAMES:
                p99, errors = at50[page]["p99_ms"], at50[page]["errors"]
                if p99 is None or trivial is None or p99 > 3 * trivial or p99 > 50 or errors:
                    over.append(f"{TITLES[page]} {_cell(p99)} ms" + (f" ({errors} errors)" if errors else ""))
            out.append(Budget(f"pages at 50 req/s ({where})", "p99 ≤ 3 × trivial p99 and ≤ 50 ms, no errors",
                              f"trivial p99 {trivial} ms; over: " + ("; ".join(over) if over else "none"), not over))
        room = server.get("closed_loop", {}).get("room_view")
        if room and server["workers"] == 1:
            out.append(Budget(f"room view closed loop ({where})", "≥ 300 req/s", f"{room['per_s']} req/s",
                              room["per_s"] >= 300))
        mixed = server.get("mixed", {}).get("writes")
        if mixed:
            out.append(Budget(f"writes at 20/s under 50 pages/s ({where})", "p99 ≤ 50 ms, 0 errors",
                              f"p99 {_cell(mixed['p99_ms'])} ms, {mixed['errors']} errors of {mixed['sent']}",
                              mixed["p99_ms"] is not None and mixed["p99_ms"] <= 50 and mixed["errors"] == 0))
        timeline = server.get("rss_timeline", [])
        if timeline:
            reading = next((point for point in timeline if point["requests"] >= 10_000), timeline[-1])
            rss = reading["rss_mb"]
            out.append(Budget(f"RSS per worker after {reading['requests']:,} requests ({where})",
                              "≤ 150 MB after 10,000 requests", " / ".join(f"{value} MB" for value in rss),
                              None if not rss else False if max(rss) > 150 else True if reading["requests"] >= 10_000
                              else None))
        if server.get("startup_s") is not None:
            out.append(Budget(f"start-up to first response ({where})", "≤ 2 s", f"{server['startup_s']} s",
                              server["startup_s"] <= 2))
    statements = report["inprocess"]
    short, long = (statements[dataset.key] for dataset in profile.history)
    rooms = statements[profile.room_size.key]
    over, growing, writes = [], [], []
    for name in (*PAGE_NAMES, "log_entry", "check_in"):
        counts = [data[name]["statements"] for data in statements.values() if name in data]
        if name in ("log_entry", "check_in"):
            # Writes have a latency budget, not a statement budget: shown, never failed here.
            writes += [f"{TITLES[name]} {max(counts)}"] if counts else []
        elif counts and max(counts) > 10:
            over.append(f"{TITLES[name]} {max(counts)}")
        if name in short and name in long and short[name]["statements"] != long[name]["statements"]:
            growing.append(f"{TITLES[name]} {short[name]['statements']}→{long[name]['statements']} with history")
    if "room_view_small" in rooms and rooms["room_view_small"]["statements"] != rooms["room_view"]["statements"]:
        growing.append(f"room view {rooms['room_view_small']['statements']} (5 children) → "
                       f"{rooms['room_view']['statements']} (20 children)")
    out.append(Budget("statements per page (built, not kept)", "≤ 10",
                      "over: " + ("; ".join(over) if over else "none") + " (writes: " + "; ".join(writes) + ")",
                      not over))
    out.append(Budget("statements constant in history and room size",
                      f"equal: {profile.history[0].label} vs {profile.history[1].label}; 5 vs 20 children",
                      "; ".join(growing) if growing else "constant", not growing))
    slower = []
    for name in PAGE_NAMES:
        if name in short and name in long and short[name]["ms"] and long[name]["ms"] > 1.2 * short[name]["ms"]:
            slower.append(f"{TITLES[name]} {long[name]['ms'] / short[name]['ms']:.2f}×")
    out.append(Budget(f"page time, {profile.history[1].label} vs {profile.history[0].label} (in-process medians)",
                      "≤ 1.2 ×", "over: " + ("; ".join(slower) if slower else "none"), not slower))
    return out


def profile_concurrency(server: dict) -> int | None:
    return next((result.get("concurrency") for result in server.get("closed_loop", {}).values()), None)


def _cell(value) -> str:
    return "–" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def markdown(report: dict) -> str:
    m, v = report["machine"], report["versions"]
    lines = [
        f"# nursery_ops benchmark ({report['mode']})",
        "",
        f"{report['date']} · {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB · load average at start "
        f"{' / '.join(map(str, report['load_average_start']))}, at end {' / '.join(map(str, m['load_average']))} · "
        f"{report['seconds']:.0f} s in all",
        "",
        "Versions: " + ", ".join(f"{name} {value}" for name, value in v.items() if value),
        "",
        "The load client runs on the same cores as the server (its CPU time is given per server). "
        "Open loop: requests leave on a fixed timetable; latency counts from when a request was due, and a request "
        f"unanswered {report['timeout_s']} s after it was due is an error (at most {report['in_flight']} in flight). "
        f"After each phase the server gets up to {report['settle_s']} s to finish what it still holds: a phase that "
        "follows a saturated one can inherit its queue.",
        "",
        "The servers keep pages as a nursery's do (nursery_ops.pagecache): a page asked again by the same sign-in "
        "is answered kept while no table it read has changed, so the read-only phases mostly measure kept pages, and "
        "under the writes each write makes the pages that read its tables be built anew. The in-process tables "
        "(statements, ms) build every page on every request.",
        "",
        "## Budgets (issue 10)",
        "",
        "| budget | limit | measured | |",
        "|---|---|---|---|",
    ]
    for budget in report["budgets"]:
        mark = "pass" if budget["passed"] else "n/a" if budget["passed"] is None else "**FAIL**"
        lines.append(f"| {budget['name']} | {budget['limit']} | {budget['measured']} | {mark} |")
    lines += ["", "## Datasets", "", "| dataset | rows | log entries | generated in | file |", "|---|---|---|---|---|"]
    for data in report["datasets"].values():
        size = f"{data['bytes'] / 1e6:.0f} MB" if data.get("bytes") else "–"
        lines.append(f"| {data['label']} | {data['total_rows']:,} | {data['rows'].get('log_entry', 0):,} | "
                     f"{data['seconds']} s | {size} |")
    names = list(dict.fromkeys(name for data in report["inprocess"].values() for name in data if not name.startswith("_")))
    keys = list(report["inprocess"])
    lines += ["", "## SQL statements per request (in-process)", "",
              "| request | " + " | ".join(report["datasets"][key]["label"] for key in keys) + " |",
              "|---|" + "---|" * len(keys)]
    lines.append("| (children in the room view's room / the smaller room) | " + " | ".join(
        "{read_room} / {small_room}".format(**report["inprocess"][key]["_room_children"]) for key in keys) + " |")
    for name in names:
        lines.append(f"| {TITLES.get(name, name)} | " + " | ".join(
            _cell(report["inprocess"][key].get(name, {}).get("statements")) for key in keys) + " |")
    lines += ["", "## Median ms per request (in-process, no HTTP)", "",
              "| request | " + " | ".join(report["datasets"][key]["label"] for key in keys) + " |",
              "|---|" + "---|" * len(keys)]
    for name in names:
        lines.append(f"| {TITLES.get(name, name)} | " + " | ".join(
            _cell(report["inprocess"][key].get(name, {}).get("ms")) for key in keys) + " |")
    for server in report["servers"]:
        title = f"{server['backend']}, {server['workers']} worker{'s' if server['workers'] > 1 else ''}"
        lines += ["", f"## Server: {title}", ""] + ([f"**Stopped early**: {server['failed']}", ""] if "failed" in server else []) + [
                  f"Start-up to first response {server.get('startup_s')} s · RSS per worker (MB) "
                  + ", ".join(f"{' / '.join(map(str, point['rss_mb']))} after {point['requests']:,} requests"
                              for point in server.get("rss_timeline", []))
                  + f" (peak {server.get('peak_rss_mb')}) · load client CPU {server.get('client_cpu_s')} s · "
                  f"server log errors {server.get('server_log_errors')}", ""]
        open_loop, closed_loop = server.get("open_loop", {}), server.get("closed_loop", {})
        rates = list(next(iter(open_loop.values()), {}))
        if open_loop or closed_loop:
            heads = [f"{rate}/s p50 / p95 / p99 ms (errors)" for rate in rates]
            if closed_loop:
                heads.append(f"closed loop, {profile_concurrency(server)} clients: req/s (p99 ms, errors)")
            lines.append("| page | " + " | ".join(heads) + " |")
            lines.append("|---|" + "---|" * len(heads))
        for page in dict.fromkeys([*open_loop, *closed_loop]):
            cells = [f"{_cell(r['p50_ms'])} / {_cell(r['p95_ms'])} / {_cell(r['p99_ms'])} ({r['errors']})"
                     for r in open_loop.get(page, {}).values()]
            if closed_loop:
                closed = closed_loop.get(page, {})
                cells.append(f"{_cell(closed.get('per_s'))} ({_cell(closed.get('p99_ms'))}, {closed.get('errors')})")
            lines.append(f"| {TITLES.get(page, page)} | " + " | ".join(cells) + " |")
        mixed = server.get("mixed")
        if mixed:
            lines += ["", f"Writes at {mixed['writes_per_s']}/s while pages are read at {mixed['pages_per_s']}/s for "
                          f"{mixed['seconds']} s:", "", "| | sent | p50 ms | p95 ms | p99 ms | errors |", "|---|---|---|---|---|---|"]
            for key, label in (("writes", "all writes"), ("log_entries", "log entries"), ("check_ins", "check-ins"),
                               ("pages", "pages")):
                r = mixed[key]
                lines.append(f"| {label} | {r['sent']} | {_cell(r['p50_ms'])} | {_cell(r['p95_ms'])} | "
                             f"{_cell(r['p99_ms'])} | {r['errors']} |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 month of history, short phases (under 2 minutes)")
    parser.add_argument("--database-url", help="also generate the nursery on this PostgreSQL database and measure it")
    parser.add_argument("--workers", default=None, help="worker counts to measure, e.g. 1,2")
    args = parser.parse_args(argv)
    profile = QUICK if args.quick else FULL
    if args.workers:
        from dataclasses import replace

        profile = replace(profile, worker_counts=tuple(int(part) for part in args.workers.split(",")))
    pg_url = args.database_url or None
    if pg_url and is_sqlite(pg_url):
        parser.error("--database-url is for PostgreSQL (SQLite is always measured)")
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    # As the Docker image is built: without .pyc files (PYTHONDONTWRITEBYTECODE) every server start would
    # compile the app anew, and the start-up measured would not be the one a nursery sees.
    compileall.compile_dir(PROJECT_ROOT / "nursery_ops", quiet=1)
    started = time.perf_counter()
    report: dict = {"mode": profile.name, "date": datetime.now(UTC).isoformat(timespec="seconds"),
                    "timeout_s": profile.timeout_s, "in_flight": profile.in_flight, "settle_s": profile.settle_s,
                    "load_average_start": [round(value, 2) for value in os.getloadavg()],
                    "versions": versions(pg_url), "datasets": {}, "inprocess": {}, "servers": []}

    schema = migrated_schema()
    wanted = {profile.main.key: profile.main, **{d.key: d for d in profile.history}, profile.room_size.key: profile.room_size}
    for key, dataset in wanted.items():
        log(f"generating {dataset.label}")
        report["datasets"][key] = build_dataset(dataset_url(dataset), dataset, schema)
    if pg_url:
        log(f"generating {profile.main.label} on PostgreSQL")
        report["datasets"]["main_pg"] = {**build_dataset(pg_url, profile.main, None),
                                         "label": profile.main.label + " (PostgreSQL)"}

    for key, dataset in wanted.items():
        log(f"in-process statements and times: {dataset.label}")
        repeats = profile.main_repeats if key == profile.main.key and profile.main_repeats is not None else profile.repeats
        report["inprocess"][key] = measure_url(dataset_url(dataset), dataset.rooms, repeats)
    if pg_url:
        report["inprocess"]["main_pg"] = measure_url(pg_url, profile.main.rooms, profile.repeats)

    backends = [("sqlite", dataset_url(profile.main))] + ([("postgresql", pg_url)] if pg_url else [])
    for backend, url in backends:
        for workers in profile.worker_counts:
            name = f"{backend}-{workers}w"
            log(f"server {name}")
            report["servers"].append(measure_server(url, profile.main.rooms, workers, profile, name))

    report["seconds"] = round(time.perf_counter() - started, 1)
    report["machine"] = machine()
    report["budgets"] = [asdict(budget) for budget in budgets(report, profile)]
    json_path = RESULTS_DIR / f"{profile.results_name}.json"
    md_path = RESULTS_DIR / f"{profile.results_name}.md"
    json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    md_path.write_text(markdown(report))
    log(f"wrote {json_path.relative_to(PROJECT_ROOT)} and {md_path.relative_to(PROJECT_ROOT)} in {report['seconds']} s")
    for budget in report["budgets"]:
        mark = "pass" if budget["passed"] else "n/a " if budget["passed"] is None else "FAIL"
        print(f"  {mark}  {budget['name']}: {budget['measured']} (limit {budget['limit']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

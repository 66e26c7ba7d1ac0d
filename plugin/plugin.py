"""Dispatcharr plugin launcher for dispatcharr-exporter.

Dispatcharr imports this file in many processes at once (uWSGI workers, Celery, Daphne...). It never
runs the exporter in-process: it starts one detached *supervisor* process (this same file, run with
``--supervise``) that holds an exclusive advisory lock on ``.run/supervisor.lock`` for as long as it
lives and runs the single-file exporter next to this file, restarting it if it dies. The kernel drops
the lock when the supervisor exits, however it exits, so a crash never leaves a stale "running" flag.

The zip holds the exporter once per machine, xz-compressed, with an index of them (PACKED_INDEX); on the first
start after an import the supervisor, never a Dispatcharr request, unpacks this machine's (unpack_executable).

Two contracts have names here: the supervisor answers the launcher that started it with one line
(ANSWER_READY, ANSWER_PREPARING, ANSWER_BUSY or ANSWER_FAILED plus the reason), and it knows the exporter is up
when the exporter logs LISTENING_MARKER. The exporter's command line is derived from the manifest's settings
fields (see exporter_arguments), so a new field needs no change here; secrets travel in the environment.

Standard library only. Nothing here blocks a Dispatcharr request for more than about two seconds, and
nothing is written outside this plugin's folder.
"""

import ctypes
import errno
import fcntl
import hashlib
import json
import os
import platform
import resource
import select
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
EXECUTABLE_NAME = "dispatcharr-exporter"
EXECUTABLE = os.path.join(HERE, EXECUTABLE_NAME)
# Written by `npm run package` beside the .xz files: {"executables": {machine: {"file", "size", "sha256"}}}, the
# size and sha256 being those of the unpacked executable.
PACKED_INDEX = "executables.json"
# Where an unpack writes before the rename; whatever an interrupted one left there is overwritten.
UNPACK_TEMPORARY = ".dispatcharr-exporter.partial"
UNPACK_CHUNK_BYTES = 1 << 20
PROGRESS_INTERVAL_SECONDS = 0.5
RUN_DIR = os.path.join(HERE, ".run")
LOCK_FILE = os.path.join(RUN_DIR, "supervisor.lock")
PID_FILE = os.path.join(RUN_DIR, "supervisor.pid")
STATE_FILE = os.path.join(RUN_DIR, "state.json")
STOP_FILE = os.path.join(RUN_DIR, "stopped.json")
LOG_FILE = os.path.join(RUN_DIR, "exporter.log")
LOG_LIMIT_BYTES = 5 * 1024 * 1024

# Dispatcharr derives the plugin key from the folder name the same way.
PLUGIN_KEY = os.path.basename(HERE).replace(" ", "_").lower()

START_WAIT_SECONDS = 1.2
STOP_WAIT_SECONDS = 0.7
HEALTH_TIMEOUT_SECONDS = 0.8
# Processes that import plugins without serving anything: never start the exporter from them.
SHORT_LIVED_COMMANDS = {"migrate", "makemigrations", "collectstatic", "shell", "check", "test", "showmigrations", "dbshell", "loaddata"}

ELF_MACHINES = {62: "x86_64", 183: "aarch64"}
MACHINE_ALIASES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}

# The supervisor's one-line answer to the launcher that started it (Supervisor.answer, start_server).
ANSWER_READY = "ready"  # the exporter listens
ANSWER_PREPARING = "preparing"  # it unpacks the exporter first, then starts it
ANSWER_BUSY = "busy"  # another supervisor holds the lock, so that one runs the exporter
ANSWER_FAILED = "failed"  # followed by a space and the reason: the exporter exited before it listened

# What the exporter logs once its HTTP server listens: src/cli.ts calls `logger.info('listening', ...)`,
# which src/log.ts writes as the logfmt line `time=... level=info msg=listening ...`. The supervisor
# waits for this token in the exporter's output (announces_listening); change both sides together.
LISTENING_MARKER = "msg=listening"

with open(os.path.join(HERE, "plugin.json"), encoding="utf-8") as _manifest_file:
    MANIFEST = json.load(_manifest_file)

# `npm run package` generates the settings fields (from the exporter's option table) into the zip's
# plugin.json; the repository's plugin.json has none, so an absent list means no fields.
FIELDS = MANIFEST.get("fields", [])


# --- small helpers ---------------------------------------------------------------------------------

def _result(status, message, **extra):
    return dict({"status": status, "message": message}, **extra)


def _read_json(path, default=None):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return default


def _write_json(path, value):
    temporary = "%s.%d.tmp" % (path, os.getpid())
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(value, handle)
    os.replace(temporary, path)


def _ensure_run_dir():
    os.makedirs(RUN_DIR, exist_ok=True)


def _as_bool(value, default):
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        word = value.strip().lower()
        if word in ("true", "1", "yes", "on"):
            return True
        if word in ("false", "0", "no", "off", ""):
            return False
    return default


def field_defaults(fields):
    """{field id: its default} of manifest settings fields."""
    return {field["id"]: field.get("default") for field in fields if field.get("id")}


DEFAULTS = field_defaults(FIELDS)


def effective_settings(saved, defaults=None):
    """The saved plugin settings over the defaults, by default the manifest's (Dispatcharr 0.15 passes only
    what was saved). None values and a saved value that is not a dict are ignored."""
    settings = dict(DEFAULTS if defaults is None else defaults)
    if isinstance(saved, dict):
        settings.update({key: value for key, value in saved.items() if value is not None})
    return settings


def run_token():
    """Identifies this run of Dispatcharr: its session leader and that process's start time."""
    try:
        sid = os.getsid(0)
        with open("/proc/%d/stat" % sid, encoding="utf-8") as handle:
            start = handle.read().rsplit(")", 1)[1].split()[19]
        return "%d:%s" % (sid, start)
    except (OSError, IndexError):
        try:
            with open("/proc/sys/kernel/random/boot_id", encoding="utf-8") as handle:
                return handle.read().strip()
        except OSError:
            return "unknown"


# --- the lock -------------------------------------------------------------------------------------

def _open_lock():
    _ensure_run_dir()
    descriptor = os.open(LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        os.chmod(LOCK_FILE, 0o666)
    except OSError:
        pass
    return descriptor


def supervisor_running():
    """True while some process holds the supervisor lock. Probing takes and drops it at once."""
    try:
        descriptor = _open_lock()
    except OSError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return True
        raise
    else:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        return False
    finally:
        os.close(descriptor)


def _supervisor_pid():
    try:
        with open(PID_FILE, encoding="utf-8") as handle:
            pid = int(handle.read().strip())
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            command = handle.read().split(b"\0")
    except (OSError, ValueError):
        return None
    # Only ever signal our own supervisor, never a process that reused the pid.
    if b"--supervise" in command and any(part.endswith(b"plugin.py") for part in command):
        return pid
    return None


# --- the packed executables -----------------------------------------------------------------------

def this_machine():
    return MACHINE_ALIASES.get(platform.machine().lower(), platform.machine())


def _packed_index(folder):
    index = _read_json(os.path.join(folder, PACKED_INDEX), {})
    entries = index.get("executables") if isinstance(index, dict) else None
    return entries if isinstance(entries, dict) else {}


def _packed_path(folder, entry):
    name = entry.get("file") if isinstance(entry, dict) else None
    return os.path.join(folder, os.path.basename(name)) if isinstance(name, str) and name else None


def packed_executable(folder=HERE, machine=None):
    """The machine's (by default this one's) packed exporter still waiting in `folder` to be unpacked, as
    {"machine", "path", "size", "sha256"}; None once it is unpacked, or in a folder without an index."""
    machine = this_machine() if machine is None else machine
    entry = _packed_index(folder).get(machine)
    path = _packed_path(folder, entry)
    if path is None or not os.path.exists(path):
        return None
    return {"machine": machine, "path": path, "size": entry.get("size"), "sha256": str(entry.get("sha256", "")).lower()}


class UnpackError(Exception):
    """The exporter could not be unpacked; the message says why, in words for the Plugins page."""


class UnpackStopped(UnpackError):
    """Stop was asked for during the unpack."""


def _remove(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def _decompress(lzma, source_path, target_path, progress, stopping):
    """Streams the xz file into target_path; returns the sha256 hex digest of what it wrote."""
    name = os.path.basename(source_path)
    digest = hashlib.sha256()
    decompressor = lzma.LZMADecompressor(lzma.FORMAT_XZ)
    written = 0
    with open(source_path, "rb") as source, open(target_path, "wb") as target:
        while not decompressor.eof:
            if stopping is not None and stopping():
                raise UnpackStopped("stopped while unpacking %s" % name)
            chunk = b""
            if decompressor.needs_input:
                chunk = source.read(UNPACK_CHUNK_BYTES)
                if not chunk:
                    raise UnpackError("%s is truncated; import the plugin zip again" % name)
            data = decompressor.decompress(chunk, UNPACK_CHUNK_BYTES)
            target.write(data)
            digest.update(data)
            written += len(data)
            if progress is not None:
                progress(written)
        target.flush()
        os.fsync(target.fileno())
    return digest.hexdigest()


def unpack_executable(entry, progress=None, stopping=None):
    """Unpacks a packed_executable entry into the exporter executable beside it, which only ever appears whole:
    streamed into UNPACK_TEMPORARY, checked against the sha256 recorded at package time, made executable and
    renamed into place. Then every .xz of the index is deleted (importing the zip again brings them back).
    progress(bytes written) follows it; stopping() returning true ends it early. Raises UnpackError."""
    try:
        import lzma
    except ImportError:
        raise UnpackError("this Python has no lzma module to unpack %s; unpack it with `xz -d` and save it as %s"
                          % (entry["path"], EXECUTABLE_NAME)) from None
    folder = os.path.dirname(entry["path"])
    name = os.path.basename(entry["path"])
    temporary = os.path.join(folder, UNPACK_TEMPORARY)
    try:
        actual = _decompress(lzma, entry["path"], temporary, progress, stopping)
        if actual != entry["sha256"]:
            raise UnpackError("the exporter unpacked from %s does not match its checksum (sha256 %s, expected %s); "
                              "import the plugin zip again" % (name, actual, entry["sha256"] or "none recorded"))
        os.chmod(temporary, 0o755)
        os.replace(temporary, os.path.join(folder, EXECUTABLE_NAME))
    except UnpackError:
        _remove(temporary)
        raise
    except lzma.LZMAError as error:
        _remove(temporary)
        raise UnpackError("%s is damaged (%s); import the plugin zip again" % (name, error)) from error
    except OSError as error:
        _remove(temporary)
        raise UnpackError("cannot unpack %s: %s" % (name, error)) from error
    for other in _packed_index(folder).values():
        path = _packed_path(folder, other)
        if path is not None:
            _remove(path)


# --- checks and command line ------------------------------------------------------------------------

def _missing_executable(folder):
    machines = sorted(_packed_index(folder))
    if machines and this_machine() not in machines:
        return "this plugin holds the exporter for %s only, and this machine is %s" % (" and ".join(machines), this_machine())
    return "the exporter executable is missing from %s; import the plugin zip again" % folder


def check_executable(path=None):
    """None when the exporter (by default EXECUTABLE) can run here, else the reason it cannot."""
    path = EXECUTABLE if path is None else path
    if not os.path.isfile(path):
        return _missing_executable(os.path.dirname(path))
    try:
        with open(path, "rb") as handle:
            header = handle.read(20)
    except OSError as error:
        return "cannot read the exporter executable: %s" % error
    if header[:4] != b"\x7fELF" or len(header) < 20:
        return "the exporter executable is not a Linux program"
    built_for = ELF_MACHINES.get(int.from_bytes(header[18:20], "little"), "unknown")
    if built_for != this_machine():
        return "the exporter executable is built for %s but this machine is %s; import the plugin zip again" % (
            built_for, this_machine())
    # Dispatcharr's zip import drops the executable bit.
    mode = os.stat(path).st_mode
    if not mode & 0o111:
        try:
            os.chmod(path, mode | 0o755)
        except OSError as error:
            return "cannot make the exporter executable: %s" % error
    return None


def executable_problem():
    """None when the exporter can run, or can once the supervisor has unpacked it; else the reason it cannot."""
    return None if packed_executable() is not None else check_executable()


def _django_value(read, fallback):
    try:
        value = read()
        return fallback if value in (None, "") else value
    except Exception:  # Django missing or not configured: use the environment.
        return fallback


def connection_environment():
    """Dispatcharr's own database and Redis settings, in the exporter's (= Dispatcharr's) variable names."""
    env = {}

    def database(key):
        from django.conf import settings  # noqa: imported lazily, Dispatcharr provides it
        return settings.DATABASES["default"].get(key)

    def django_setting(name):
        from django.conf import settings  # noqa
        return getattr(settings, name, None)

    pairs = [
        ("POSTGRES_HOST", lambda: database("HOST")),
        ("POSTGRES_PORT", lambda: database("PORT")),
        ("POSTGRES_DB", lambda: database("NAME")),
        ("POSTGRES_USER", lambda: database("USER")),
        ("POSTGRES_PASSWORD", lambda: database("PASSWORD")),
        ("REDIS_HOST", lambda: django_setting("REDIS_HOST")),
        ("REDIS_PORT", lambda: django_setting("REDIS_PORT")),
        ("REDIS_DB", lambda: django_setting("REDIS_DB")),
        ("REDIS_USER", lambda: django_setting("REDIS_USER")),
        ("REDIS_PASSWORD", lambda: django_setting("REDIS_PASSWORD")),
    ]
    # TLS (Dispatcharr 0.22+) is configured by environment in Dispatcharr too.
    pairs += [(name, lambda: None) for name in (
        "POSTGRES_SSL", "POSTGRES_SSL_MODE", "POSTGRES_SSL_CA_CERT", "POSTGRES_SSL_CERT", "POSTGRES_SSL_KEY",
        "REDIS_SSL", "REDIS_SSL_VERIFY", "REDIS_SSL_CA_CERT", "REDIS_SSL_CERT", "REDIS_SSL_KEY")]
    for name, read in pairs:
        value = _django_value(read, os.environ.get(name))
        if value not in (None, ""):
            env[name] = str(value)
    version = dispatcharr_version()
    if version:
        env["DISPATCHARR_VERSION"] = version
    if os.environ.get("DISPATCHARR_TIMESTAMP"):
        env["DISPATCHARR_TIMESTAMP"] = os.environ["DISPATCHARR_TIMESTAMP"]
    return env


def dispatcharr_version():
    try:
        import version  # Dispatcharr's /app/version.py

        return str(version.__version__)
    except Exception:
        return os.environ.get("DISPATCHARR_VERSION", "")


def number_text(value, default=None):
    """A number setting as the exporter expects it (9192.0 and " 9192 " give "9192"), the default when the
    value is empty, None when both are. Text that is no number is passed as written (stripped), so the
    exporter itself says what is wrong with it."""
    for candidate in (value, default):
        text = "" if candidate is None else str(candidate).strip()
        if text:
            break
    else:
        return None
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


def exporter_flag(field_id):
    """The exporter's flag for a settings field: auto_start -> --auto-start."""
    return "--" + field_id.replace("_", "-")


def exporter_arguments(settings, fields=None, plugin_key=None):
    """Command-line flags for the exporter, one `--flag=value` per settings field (by default the
    manifest's), then `--plugin-key KEY`:

    - boolean: true or false (the lenient spellings of _as_bool; else the field's default);
    - number: number_text of the value, else of the field's default; omitted when both are empty;
    - string and select: the value stripped; omitted when empty, so the exporter's own default applies.

    Fields of other types are not passed. Only fields reach the command line, never other settings keys,
    and secrets travel in the environment (connection_environment), never here.
    """
    arguments = []
    for field in FIELDS if fields is None else fields:
        key, kind = field.get("id"), field.get("type")
        if not key:
            continue
        value = settings.get(key)
        if value is None:
            value = field.get("default")
        if kind == "boolean":
            text = "true" if _as_bool(value, _as_bool(field.get("default"), False)) else "false"
        elif kind == "number":
            text = number_text(value, field.get("default"))
        elif kind in ("string", "select"):
            text = "" if value is None else str(value).strip()
        else:
            continue
        if text:
            arguments.append("%s=%s" % (exporter_flag(key), text))
    return arguments + ["--plugin-key", PLUGIN_KEY if plugin_key is None else plugin_key]


def endpoint(settings, path="/metrics"):
    host = str(settings.get("host") or "0.0.0.0").strip()
    try:
        port = int(float(settings.get("port") or 9192))
    except (TypeError, ValueError):
        port = 9192
    shown = "[%s]" % host if ":" in host else host
    return "http://%s:%d%s" % (shown, port, path)


def _local_endpoint(settings, path):
    host = str(settings.get("host") or "0.0.0.0").strip()
    local = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return endpoint(dict(settings, host=local), path)


def ask_health(settings):
    """The running exporter's /health answer, or None. With a web configuration file the exporter may serve HTTPS
    (tried first, without certificate checks: this is the local exporter) and ask for credentials, which the
    launcher does not have: then the answer is {"auth_required": True}."""
    url = _local_endpoint(settings, "/health")
    attempts = [(url, None)]
    if str(settings.get("web_config_file") or "").strip():
        attempts.insert(0, (url.replace("http://", "https://", 1), ssl._create_unverified_context()))
    for address, context in attempts:
        try:
            with urllib.request.urlopen(address, timeout=HEALTH_TIMEOUT_SECONDS, context=context) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            if error.code == 401:
                return {"auth_required": True}
        except (OSError, ValueError, urllib.error.URLError):
            continue
    return None


# --- launcher side: start_server, stop_server, server_status --------------------------------------

def _python():
    executable = sys.executable or ""
    if os.path.basename(executable).startswith("python"):
        return executable
    return shutil.which("python3") or "python3"


def spawn_supervisor(settings, wait_seconds):
    """Starts a detached supervisor; with wait_seconds > 0, waits (without polling) for its one-line answer
    (ANSWER_READY, ANSWER_BUSY or ANSWER_FAILED and the reason) and returns it, "" when none came in time."""
    _ensure_run_dir()
    env = dict(os.environ)
    env.update(connection_environment())
    command = [_python(), os.path.abspath(__file__), "--supervise", "--"] + exporter_arguments(settings)
    process = subprocess.Popen(
        command, cwd=HERE, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE if wait_seconds > 0 else subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True,
    )
    if wait_seconds <= 0:
        process.wait()  # the supervisor forks away at once; reap the short-lived parent
        return None
    try:
        ready, _, _ = select.select([process.stdout], [], [], wait_seconds)
        line = process.stdout.readline().decode("utf-8", "replace").strip() if ready else ""
    finally:
        process.stdout.close()
        process.wait()
    return line


def preparing_message(state=None):
    """What the actions say while the supervisor unpacks the exporter; `state` is its STATE_FILE record."""
    state = state or {}
    done, total = state.get("done"), state.get("total")
    share = ", %d%% done" % (100 * done // total) if isinstance(done, int) and isinstance(total, int) and total > 0 else ""
    return ("Metrics server is preparing: unpacking the exporter for %s (first start after an import)%s; "
            "it starts by itself when done" % (state.get("machine") or this_machine(), share))


def _preparing_state():
    state = _read_json(STATE_FILE, {}) or {}
    return state if isinstance(state, dict) and state.get("status") == "preparing" else None


def start_server(settings):
    """The Start action: starts the supervisor unless one runs, and says how that went."""
    problem = executable_problem()
    if problem:
        return _result("error", "Cannot start the metrics server: %s." % problem)
    try:
        os.unlink(STOP_FILE)
    except OSError:
        pass
    if supervisor_running():
        preparing = _preparing_state()
        if preparing:
            return _result("success", preparing_message(preparing), preparing=True)
        return _result("success", "Metrics server is already running on %s" % endpoint(settings),
                       endpoint=endpoint(settings), health_check=endpoint(settings, "/health"))
    answer = spawn_supervisor(settings, START_WAIT_SECONDS)
    word, _, detail = (answer or "").partition(" ")
    if word == ANSWER_READY:
        return _result("success", "Metrics server started on %s" % endpoint(settings),
                       endpoint=endpoint(settings), health_check=endpoint(settings, "/health"))
    if word == ANSWER_PREPARING:
        return _result("success", preparing_message(), preparing=True, endpoint=endpoint(settings))
    if word == ANSWER_BUSY:
        return _result("success", "Metrics server is already running on %s" % endpoint(settings), endpoint=endpoint(settings))
    if word == ANSWER_FAILED:
        return _result("error", "Metrics server did not start: %s" % detail)
    return _result("warning", "Metrics server is still starting; use Check Server Status in a moment. Log: %s" % LOG_FILE)


def _wait_for_exit(pid, seconds):
    """Waits for a process to end without polling (pidfd), up to `seconds`. True when it has ended."""
    try:
        descriptor = os.pidfd_open(pid)
    except (AttributeError, OSError):
        return not os.path.exists("/proc/%d" % pid)
    try:
        ready, _, _ = select.select([descriptor], [], [], seconds)
        return bool(ready)
    finally:
        os.close(descriptor)


def stop_server(remember=True):
    """Stops the supervisor and its exporter. `remember` keeps auto-start off until Start or a Dispatcharr restart.

    Returns (stopped, result): stopped is True when no server runs any more (it stopped, or was not running),
    False when it could not be stopped or is still stopping; result is the answer for Dispatcharr.
    """
    if remember:
        _ensure_run_dir()
        _write_json(STOP_FILE, {"run": run_token(), "at": time.time()})
    if not supervisor_running():
        return True, _result("success", "Metrics server is not running")
    pid = _supervisor_pid()
    if pid is None:
        return False, _result("error", "Metrics server is running but its supervisor could not be identified; see %s" % LOG_FILE)
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    if _wait_for_exit(pid, STOP_WAIT_SECONDS) or not supervisor_running():
        return True, _result("success", "Metrics server stopped")
    return False, _result("warning", "Metrics server is stopping; use Check Server Status in a moment")


def server_status(settings):
    """The Check Server Status action: whether the supervisor runs and, if so, what the exporter's /health says."""
    if not supervisor_running():
        state = _read_json(STATE_FILE, {}) or {}
        last = state.get("message")
        suffix = " (last: %s)" % last if last and state.get("status") == "failed" else ""
        return _result("success", "Metrics server is not running%s" % suffix, running=False)
    preparing = _preparing_state()
    if preparing:
        return _result("success", preparing_message(preparing), running=True, preparing=True)
    health = ask_health(settings)
    if health is None:
        return _result("warning", "Metrics server is starting or not answering on %s" % endpoint(settings), running=True)
    if health.get("auth_required"):
        return _result("success", "Metrics server is running on %s (its /health asks for credentials)" % endpoint(settings),
                       running=True, endpoint=endpoint(settings))
    backends = health.get("backends", {})
    parts = ["%s %s" % (name, info.get("status", "unknown")) for name, info in sorted(backends.items())]
    return _result("success", "Metrics server is running on %s (%s)" % (endpoint(settings), ", ".join(parts)),
                   running=True, endpoint=endpoint(settings), health=health)


def _stopped_this_run():
    marker = _read_json(STOP_FILE)
    return isinstance(marker, dict) and marker.get("run") == run_token()


def _short_lived_process():
    return any(os.path.basename(argument) in SHORT_LIVED_COMMANDS for argument in sys.argv[1:3])


def plugin_config():
    """(enabled, saved settings) of this plugin from Dispatcharr's database, or None when unavailable."""
    try:
        from apps.plugins.models import PluginConfig  # Dispatcharr's model

        row = PluginConfig.objects.filter(key=PLUGIN_KEY).first()
    except Exception:
        return None
    if row is None:
        return None
    return bool(row.enabled), row.settings or {}


def auto_start_server():
    """Called whenever Dispatcharr instantiates the plugin: starts the supervisor if it should run and does not."""
    if _short_lived_process() or _stopped_this_run():
        return
    config = plugin_config()
    if config is None:
        return
    enabled, saved = config
    settings = effective_settings(saved)
    if not enabled or not _as_bool(settings.get("auto_start"), False):
        return
    if supervisor_running() or executable_problem():
        return
    spawn_supervisor(settings, 0)


# --- supervisor side ------------------------------------------------------------------------------

def announces_listening(line):
    """True when an exporter output line is its "listening" log line (LISTENING_MARKER as a logfmt pair)."""
    return LISTENING_MARKER in line.split()


# Open descriptors the exporter may use: its soft limit is raised towards the hard limit, up to this.
DESCRIPTOR_TARGET = 65536


def raised_descriptor_limit(soft, hard):
    """The soft RLIMIT_NOFILE to ask for: at least the current one, at most the hard limit and DESCRIPTOR_TARGET."""
    ceiling = DESCRIPTOR_TARGET if hard == resource.RLIM_INFINITY else min(hard, DESCRIPTOR_TARGET)
    return max(soft, ceiling) if soft != resource.RLIM_INFINITY else soft


def _prepare_child():
    """In the exporter child before exec: die with the supervisor, and allow enough descriptors for a flood."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: no orphan keeps the port
    except Exception:
        pass
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (raised_descriptor_limit(soft, hard), hard))
    except (ValueError, OSError):
        pass


def exit_description(returncode):
    """How a child process ended, from its Popen return code: "was killed by SIGKILL" or "exited with status 3"."""
    if returncode is not None and returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = "signal %d" % -returncode
        return "was killed by %s" % name
    return "exited with status %s" % returncode


class Supervisor:
    RESTART_DELAYS = (1, 2, 4, 8, 15, 30)

    def __init__(self, arguments):
        self.arguments = arguments
        self.child = None
        self.stopping = False
        self.answered = False
        self.progress_written_at = float("-inf")
        # A signal writes here, so a wait between restarts ends at once on Stop.
        self.wake_read, self.wake_write = os.pipe()

    def answer(self, line):
        """The one line the launcher waits for; afterwards stdout goes nowhere."""
        if self.answered:
            return
        self.answered = True
        try:
            os.write(1, (line + "\n").encode("utf-8"))
        except OSError:
            pass
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)

    def log(self, text):
        try:
            if os.path.exists(LOG_FILE) and os.path.getsize(LOG_FILE) > LOG_LIMIT_BYTES:
                os.replace(LOG_FILE, LOG_FILE + ".1")
            with open(LOG_FILE, "a", encoding="utf-8") as handle:
                handle.write(text if text.endswith("\n") else text + "\n")
        except OSError:
            pass

    def on_signal(self, signum, _frame):
        self.stopping = True
        try:
            os.write(self.wake_write, b"x")
        except OSError:
            pass
        if self.child is not None and self.child.poll() is None:
            self.child.terminate()

    def run_once(self):
        """Runs the exporter until it exits. Returns (started, last line it printed)."""
        self.child = subprocess.Popen(
            [EXECUTABLE] + self.arguments, cwd=HERE, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, preexec_fn=_prepare_child,
        )
        started, last = self.follow(iter(self.child.stdout.readline, b""), self.child.pid)
        self.child.wait()
        return started, last

    def follow(self, lines, pid):
        """Logs the exporter's output lines (bytes) until they end; at the first one that announces_listening,
        records the exporter as running and answers ANSWER_READY. Returns (started, last non-empty line)."""
        started = False
        last = ""
        for raw in lines:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.log(line)
            if line:
                last = line
            if not started and announces_listening(line):
                started = True
                _write_json(STATE_FILE, {"status": "running", "pid": pid, "at": time.time()})
                self.answer(ANSWER_READY)
        return started, last

    def prepare(self):
        """Unpacks the exporter first when its .xz is still here (the first start after an import), answering
        ANSWER_PREPARING at once so that no action waits for it. True when the exporter can be run."""
        entry = packed_executable()
        if entry is None:
            return True
        machine, total = entry["machine"], entry["size"]

        def progress(done):
            now = time.monotonic()
            if now - self.progress_written_at >= PROGRESS_INTERVAL_SECONDS:
                self.progress_written_at = now
                _write_json(STATE_FILE, {"status": "preparing", "machine": machine, "done": done, "total": total, "at": time.time()})

        progress(0)
        self.answer(ANSWER_PREPARING)  # after the state, so that a status asked at once finds it
        began = time.monotonic()
        try:
            unpack_executable(entry, progress, lambda: self.stopping)
            problem = check_executable()
            if problem:
                raise UnpackError(problem)
        except UnpackStopped:
            return False
        except UnpackError as error:
            self.log("supervisor: %s" % error)
            _write_json(STATE_FILE, {"status": "failed", "message": str(error), "at": time.time()})
            return False
        self.log("supervisor: unpacked the exporter for %s in %.1fs" % (machine, time.monotonic() - began))
        _write_json(STATE_FILE, {"status": "starting", "at": time.time()})
        return True

    def main(self):
        # Fork away from the Dispatcharr process that started us, so we are never its zombie; the
        # launcher's pipe is inherited, so the one-line answer still reaches it.
        if os.fork() > 0:
            os._exit(0)
        _ensure_run_dir()
        lock = _open_lock()
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.answer(ANSWER_BUSY)
            return 0
        with open(PID_FILE, "w", encoding="utf-8") as handle:
            handle.write(str(os.getpid()))
        signal.signal(signal.SIGTERM, self.on_signal)
        signal.signal(signal.SIGINT, self.on_signal)
        if not self.prepare() and not self.stopping:
            return 1
        failures = 0
        while not self.stopping:
            started, last = self.run_once()
            if self.stopping:
                break
            if not started:
                reason = last.replace("dispatcharr-exporter: ", "") or exit_description(self.child.returncode)
                # It never came up (port in use, bad setting): say why and stop instead of looping.
                _write_json(STATE_FILE, {"status": "failed", "message": reason, "at": time.time()})
                self.answer("%s %s" % (ANSWER_FAILED, reason))
                return 1
            delay = self.RESTART_DELAYS[min(failures, len(self.RESTART_DELAYS) - 1)]
            failures += 1
            # Its last line is whatever it logged last (often "listening"), not why it ended: say how it ended.
            self.log("supervisor: exporter %s; restarting in %ds" % (exit_description(self.child.returncode), delay))
            select.select([self.wake_read], [], [], delay)
        _write_json(STATE_FILE, {"status": "stopped", "at": time.time()})
        return 0


# --- what Dispatcharr sees ------------------------------------------------------------------------

class Plugin:
    name = MANIFEST["name"]
    version = MANIFEST["version"]
    description = MANIFEST["description"]
    author = MANIFEST.get("author", "")
    help_url = MANIFEST.get("help_url", "")
    fields = FIELDS
    actions = MANIFEST["actions"]

    def __init__(self):
        try:
            auto_start_server()
        except Exception:  # Never let the exporter break Dispatcharr's plugin loading.
            pass

    def run(self, action, params=None, context=None):
        try:
            return self._run(action, effective_settings((context or {}).get("settings")))
        except OSError as error:  # e.g. a read-only plugin folder: answer, never raise into Dispatcharr
            return _result("error", "Metrics server action failed: %s" % error)

    def _run(self, action, settings):
        if action == "start_server":
            return start_server(settings)
        if action == "stop_server":
            return stop_server(remember=True)[1]
        if action == "restart_server":
            stopped, result = stop_server(remember=False)
            if not stopped:
                return _result("error", "Could not stop the running server: %s" % result["message"])
            return start_server(settings)
        if action == "server_status":
            return server_status(settings)
        return _result("error", "Unknown action: %s" % action)

    def stop(self, context=None):
        """Dispatcharr calls this when the plugin is disabled, deleted or reloaded."""
        return stop_server(remember=False)[1]


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "--supervise":
    separator = sys.argv.index("--") if "--" in sys.argv else len(sys.argv)
    sys.exit(Supervisor(sys.argv[separator + 1:]).main())

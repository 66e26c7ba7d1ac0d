"""The Dispatcharr plugin, end to end: the packaged universal zip, extracted the way Dispatcharr's importer does,
plugin.py loaded the way Dispatcharr's loader does (stand-in django.conf and PluginConfig), against the
real PostgreSQL and Redis that `npm test` starts.

Run by `npm test` (after `npm run package`); alone: TEST_POSTGRES_URL=... TEST_REDIS_URL=...
python3 -m unittest discover -s plugin/tests -v
"""

import importlib.util
import json
import lzma
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
import zipfile
from urllib.parse import urlparse, urlunparse

from plugin.tests.helpers import sha256_of

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HERE = os.path.dirname(os.path.abspath(__file__))
LOADER = os.path.join(HERE, "load_plugin.py")
MACHINE = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}[platform.machine().lower()]
OTHER_MACHINE = "aarch64" if MACHINE == "x86_64" else "x86_64"
PACKED = {"x86_64": "dispatcharr-exporter-linux-x64.xz", "aarch64": "dispatcharr-exporter-linux-arm64.xz"}
KEY = "dispatcharr_exporter"
REDIS_DB = 13
ACTION_LIMIT_SECONDS = 2.0

with open(os.path.join(ROOT, "package.json"), encoding="utf-8") as _package:
    VERSION = json.load(_package)["version"]


def plugin_zip():
    path = os.path.join(ROOT, "dist", "dispatcharr-exporter-%s.zip" % VERSION)
    if not os.path.exists(path):
        raise RuntimeError("no plugin zip %s: run `npm run package` first" % path)
    return path


def launcher_in(plugin_dir):
    """The plugin.py of an extracted plugin folder, loaded in this process."""
    spec = importlib.util.spec_from_file_location("extracted_launcher_%d" % abs(hash(plugin_dir)), os.path.join(plugin_dir, "plugin.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def unpack(plugin_dir, machine):
    """Unpacks the machine's exporter with the launcher's own code, as the supervisor does on the first start.
    Returns the executable's path and the seconds it took."""
    launcher = launcher_in(plugin_dir)
    began = time.monotonic()
    launcher.unpack_executable(launcher.packed_executable(plugin_dir, machine))
    return os.path.join(plugin_dir, "dispatcharr-exporter"), time.monotonic() - began


def extract_like_dispatcharr(zip_path, plugins_dir):
    """Dispatcharr re-creates every file with open(..., 'wb'), so permission bits from the zip are lost."""
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            target = os.path.join(plugins_dir, info.filename)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with archive.open(info) as source, open(target, "wb") as destination:
                shutil.copyfileobj(source, destination)
    return os.path.join(plugins_dir, KEY)


def psql(url, sql, *extra):
    return subprocess.run(["psql", url, "-At", "-v", "ON_ERROR_STOP=1", "-q", *extra, "-c", sql],
                          check=True, capture_output=True, text=True).stdout.strip()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(what, check, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting for %s" % what)


def http_get(url, timeout=2.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.read().decode("utf-8")
    except OSError:
        return None


def processes(predicate):
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as handle:
                argv = [part.decode("utf-8", "replace") for part in handle.read().split(b"\0") if part]
            with open("/proc/%s/stat" % entry) as handle:
                if handle.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
        except OSError:
            continue
        if argv and predicate(argv):
            found.append(int(entry))
    return found


class PluginTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        admin = os.environ.get("TEST_POSTGRES_URL")
        redis = os.environ.get("TEST_REDIS_URL")
        if not admin or not redis:
            raise RuntimeError("TEST_POSTGRES_URL and TEST_REDIS_URL must be set (npm test sets them)")
        cls.database = "plugin_%d" % os.getpid()
        psql(admin, "CREATE DATABASE %s" % cls.database)
        parts = urlparse(admin)
        cls.db_url = urlunparse(parts._replace(path="/" + cls.database))
        psql(cls.db_url, "", "-f", os.path.join(ROOT, "test", "fixtures", "schema", "v0.29.sql"))
        psql(cls.db_url, """
            INSERT INTO m3u_m3uaccount (name, max_streams, is_active, created_at, locked, refresh_interval, stale_stream_days, account_type, status, priority)
            VALUES ('Provider A', 2, true, now(), false, 24, 7, 'XC', 'success', 0);
            INSERT INTO epg_epgsource (name, source_type, is_active, refresh_interval, created_at, status, priority)
            VALUES ('Guide', 'xmltv', true, 24, now(), 'success', 1);
            INSERT INTO plugins_pluginconfig (key, name, version, description, enabled, ever_enabled, settings, created_at, updated_at, slug, installed_version_is_prerelease, deprecated)
            VALUES ('%s', 'Dispatcharr Exporter', '0', '', true, true, '{}', now(), now(), '%s', false, false);
        """ % (KEY, KEY))
        cls.redis_url = redis
        cls.workdir = tempfile.mkdtemp(prefix="dispatcharr-plugin-test-")
        cls.plugin_dir = extract_like_dispatcharr(plugin_zip(), os.path.join(cls.workdir, "plugins"))
        # The first start's unpack in the supervisor has its own test; the others start from an unpacked folder.
        cls.executable, _ = unpack(cls.plugin_dir, MACHINE)

    @classmethod
    def tearDownClass(cls):
        cls.cleanup_processes()
        shutil.rmtree(cls.workdir, ignore_errors=True)
        psql(os.environ["TEST_POSTGRES_URL"], "DROP DATABASE IF EXISTS %s WITH (FORCE)" % cls.database)

    @classmethod
    def exporters(cls):
        return processes(lambda argv: argv[0] == cls.executable)

    @classmethod
    def supervisors(cls):
        return processes(lambda argv: "--supervise" in argv and any(a.startswith(cls.plugin_dir) for a in argv))

    @classmethod
    def cleanup_processes(cls):
        for pid in cls.supervisors() + cls.exporters():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        wait_until("no plugin process left", lambda: not cls.supervisors() and not cls.exporters())

    def setUp(self):
        self.cleanup_processes()
        for name in ("stopped.json", "state.json"):
            try:
                os.unlink(os.path.join(self.plugin_dir, ".run", name))
            except OSError:
                pass
        self.port = free_port()
        self.configure(enabled=True, auto_start=False, port=self.port, host="127.0.0.1")

    def tearDown(self):
        self.cleanup_processes()

    # --- helpers --------------------------------------------------------------------------------

    def configure(self, enabled=True, **settings):
        self.settings = settings
        psql(self.db_url, "UPDATE plugins_pluginconfig SET enabled = %s, settings = '%s'::jsonb WHERE key = '%s'"
             % ("true" if enabled else "false", json.dumps(settings).replace("'", "''"), KEY))

    def loader_env(self):
        env = {
            "PATH": os.environ.get("PATH", ""),
            "STANDIN_DATABASE_URL": self.db_url,
            "STANDIN_REDIS_URL": self.redis_url,
            "STANDIN_REDIS_DB": str(REDIS_DB),
            "STANDIN_SETTINGS": json.dumps(self.settings),
        }
        return env

    def load(self, *args):
        """One Dispatcharr process importing the plugin (and running an action); returns its JSON line."""
        done = subprocess.run([sys.executable, LOADER, self.plugin_dir, *args], env=self.loader_env(),
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(done.returncode, 0, done.stderr)
        return json.loads(done.stdout.strip().splitlines()[-1])

    def action(self, name):
        answer = self.load("--action", name)
        self.assertLess(answer["seconds"], ACTION_LIMIT_SECONDS, "%s took %.2fs" % (name, answer["seconds"]))
        return answer["result"]

    def metrics(self, port=None):
        return http_get("http://127.0.0.1:%d/metrics" % (port or self.port))

    def serving(self, port=None):
        text = self.metrics(port)
        return text if text and "dispatcharr_up 1" in text else None

    # --- tests ----------------------------------------------------------------------------------

    def test_six_processes_start_exactly_one_exporter(self):
        self.configure(enabled=True, auto_start=True, port=self.port, host="127.0.0.1")
        workers = [subprocess.Popen([sys.executable, LOADER, self.plugin_dir, "--linger", "4"], env=self.loader_env(),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(6)]
        try:
            wait_until("the exporter to serve", self.serving)
            time.sleep(1.0)  # let every worker finish its attempt
            self.assertEqual(len(self.exporters()), 1, "exactly one exporter process")
            self.assertEqual(len(self.supervisors()), 1, "exactly one supervisor")
            self.assertIn('dispatcharr_m3u_accounts{status="total"} 1', self.serving())
            self.assertIn('dispatcharr_info{version="0.29.0"} 1', self.serving())
        finally:
            for worker in workers:
                worker.communicate(timeout=30)

    def test_start_stop_restart_status_messages(self):
        url = "http://127.0.0.1:%d/metrics" % self.port
        self.assertEqual(self.action("server_status")["message"], "Metrics server is not running")

        started = self.action("start_server")
        self.assertEqual(started["status"], "success", started)
        self.assertEqual(started["message"], "Metrics server started on %s" % url)
        self.assertEqual(started["endpoint"], url)
        self.assertTrue(self.serving())

        again = self.action("start_server")
        self.assertEqual(again["message"], "Metrics server is already running on %s" % url)
        self.assertEqual(len(self.exporters()), 1)

        status = self.action("server_status")
        self.assertEqual(status["status"], "success")
        self.assertTrue(status["message"].startswith("Metrics server is running on %s (" % url), status)
        self.assertIn("postgres up", status["message"])

        first = self.exporters()
        restarted = self.action("restart_server")
        self.assertEqual(restarted["message"], "Metrics server started on %s" % url)
        self.assertNotEqual(self.exporters(), first, "a new exporter process")

        stopped = self.action("stop_server")
        self.assertEqual(stopped, {"status": "success", "message": "Metrics server stopped"})
        wait_until("the exporter to exit", lambda: not self.exporters())
        self.assertIsNone(self.metrics())
        self.assertEqual(self.action("server_status")["message"], "Metrics server is not running")
        self.assertEqual(self.action("stop_server")["message"], "Metrics server is not running")

    def test_stop_is_honoured_by_auto_start_until_the_next_start(self):
        self.configure(enabled=True, auto_start=True, port=self.port, host="127.0.0.1")
        self.load()
        wait_until("auto-start", self.serving)
        self.action("stop_server")
        wait_until("the exporter to exit", lambda: not self.exporters())
        self.load()  # another Dispatcharr process instantiates the plugin
        time.sleep(1.5)
        self.assertEqual(self.exporters(), [], "a manual stop holds")
        self.action("start_server")
        self.assertTrue(self.serving())

    def test_a_stop_from_an_earlier_run_of_dispatcharr_does_not_hold(self):
        self.configure(enabled=True, auto_start=True, port=self.port, host="127.0.0.1")
        os.makedirs(os.path.join(self.plugin_dir, ".run"), exist_ok=True)
        with open(os.path.join(self.plugin_dir, ".run", "stopped.json"), "w") as handle:
            json.dump({"run": "1:12345", "at": 0}, handle)  # written before Dispatcharr restarted
        self.load()
        wait_until("auto-start after a Dispatcharr restart", self.serving)

    def test_sigkill_brings_it_back_without_a_stale_lock(self):
        self.configure(enabled=True, auto_start=True, port=self.port, host="127.0.0.1")
        self.load()
        wait_until("auto-start", self.serving)
        supervisor = self.supervisors()
        [exporter] = self.exporters()
        os.kill(exporter, signal.SIGKILL)
        wait_until("the exporter to come back", lambda: self.serving() and self.exporters() not in ([], [exporter]))
        self.assertEqual(self.supervisors(), supervisor, "the same supervisor holds the lock")
        with open(os.path.join(self.plugin_dir, ".run", "exporter.log"), encoding="utf-8") as handle:
            self.assertIn("supervisor: exporter was killed by SIGKILL; restarting in", handle.read())

        # The supervisor itself killed: its exporter goes with it and the lock is free again.
        os.kill(supervisor[0], signal.SIGKILL)
        wait_until("the exporter to follow its supervisor", lambda: not self.exporters())
        self.load()
        wait_until("auto-start after the crash", self.serving)
        self.assertEqual(len(self.supervisors()), 1)

    def test_port_in_use_is_reported(self):
        with socket.socket() as blocker:
            blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            blocker.bind(("127.0.0.1", self.port))
            blocker.listen()
            result = self.action("start_server")
        self.assertEqual(result["status"], "error", result)
        self.assertEqual(result["message"], "Metrics server did not start: cannot listen: port %d is already in use on 127.0.0.1" % self.port)
        wait_until("the supervisor to give up", lambda: not self.supervisors())
        self.assertIn("already in use", self.action("server_status")["message"])

    def test_bad_settings_are_reported(self):
        for port, shown in ((70000, "70000"), ("nine", "nine")):
            self.configure(enabled=True, auto_start=False, port=port, host="127.0.0.1")
            result = self.action("start_server")
            self.assertEqual(result["status"], "error", result)
            self.assertIn('invalid port "%s" (from --port)' % shown, result["message"])
        self.assertEqual(self.exporters(), [])

    def test_settings_changes(self):
        self.action("start_server")
        self.assertNotIn("dispatcharr_epg_sources", self.serving())
        # include_* settings apply on the next scrape, without a restart.
        self.configure(enabled=True, auto_start=False, port=self.port, host="127.0.0.1", include_epg_stats=True)
        self.assertIn('dispatcharr_epg_sources{status="total"} 1', self.serving())
        # A new port needs Restart, which applies it.
        old_port, self.port = self.port, free_port()
        self.configure(enabled=True, auto_start=False, port=self.port, host="127.0.0.1")
        result = self.action("restart_server")
        self.assertEqual(result["message"], "Metrics server started on http://127.0.0.1:%d/metrics" % self.port)
        self.assertTrue(self.serving())
        self.assertIsNone(self.metrics(old_port))

    def test_disable_and_remove_leave_nothing_behind(self):
        self.action("start_server")
        self.assertTrue(self.serving())
        answer = self.load("--stop-hook")
        self.assertLess(answer["seconds"], ACTION_LIMIT_SECONDS)
        wait_until("no plugin process", lambda: not self.exporters() and not self.supervisors())
        # A disabled plugin does not auto-start.
        self.configure(enabled=False, auto_start=True, port=self.port, host="127.0.0.1")
        self.load()
        time.sleep(1.0)
        self.assertEqual(self.exporters(), [])
        # The lock file is free: a fresh start takes it at once.
        self.configure(enabled=True, auto_start=False, port=self.port, host="127.0.0.1")
        self.assertEqual(self.action("start_server")["status"], "success")

    def test_first_start_unpacks_in_the_supervisor(self):
        fresh = extract_like_dispatcharr(plugin_zip(), os.path.join(self.workdir, "first-start"))
        with open(os.path.join(fresh, "executables.json"), encoding="utf-8") as handle:
            recorded = json.load(handle)["executables"][MACHINE]
        self.plugin_dir = fresh  # this test's own folder; the class's stays as it is
        try:
            started = self.action("start_server")
            self.assertEqual(started["status"], "success", started)
            self.assertTrue(started["message"].startswith(
                "Metrics server is preparing: unpacking the exporter for %s (first start after an import)" % MACHINE), started)
            self.assertRegex(self.action("server_status")["message"], r"^Metrics server is (preparing|starting|running)")
            wait_until("the unpacked exporter to serve", self.serving, timeout=60)
            left = sorted(name for name in os.listdir(fresh) if name != "__pycache__")
            self.assertEqual(left, [".run", "dispatcharr-exporter", "executables.json", "logo.png", "plugin.json", "plugin.py"])
            self.assertEqual(sha256_of(os.path.join(fresh, "dispatcharr-exporter")), recorded["sha256"])
            with open(os.path.join(fresh, ".run", "exporter.log"), encoding="utf-8") as handle:
                self.assertRegex(handle.read(), r"supervisor: unpacked the exporter for %s in \d+\.\ds" % MACHINE)
            self.assertIn("Metrics server is running on", self.action("server_status")["message"])
        finally:
            self.load("--stop-hook")
            del self.plugin_dir

    def test_a_foreign_or_missing_executable_is_refused(self):
        other = extract_like_dispatcharr(plugin_zip(), os.path.join(self.workdir, "foreign"))
        self.plugin_dir = other
        try:
            # The other machine's exporter where this one's belongs, and nothing left to unpack.
            executable, _ = unpack(other, OTHER_MACHINE)
            result = self.action("start_server")
            self.assertEqual(result["status"], "error")
            self.assertEqual(result["message"], "Cannot start the metrics server: the exporter executable is built for %s but this "
                                                "machine is %s; import the plugin zip again." % (OTHER_MACHINE, MACHINE))
            os.unlink(executable)
            result = self.action("start_server")
            self.assertIn("the exporter executable is missing", result["message"])
        finally:
            del self.plugin_dir

    def test_zip_contents_and_limits(self):
        with zipfile.ZipFile(plugin_zip()) as archive:
            names = ("plugin.json", "plugin.py", "logo.png", "executables.json", PACKED["x86_64"], PACKED["aarch64"])
            self.assertEqual(sorted(archive.namelist()), sorted("%s/%s" % (KEY, name) for name in names))
            self.assertLessEqual(len(archive.infolist()), 2000)
            self.assertLessEqual(sum(i.file_size for i in archive.infolist()), 200 * 1024 * 1024)
            manifest = json.loads(archive.read("%s/plugin.json" % KEY))
            self.assertEqual(manifest["version"], VERSION)
            self.assertEqual([f["id"] for f in manifest["fields"]], [
                "auto_start", "port", "host", "web_config_file", "base_url", "metrics_layout", "include_m3u_stats", "include_epg_stats",
                "include_vod_stats", "include_client_stats", "include_user_stats", "include_source_urls",
                "include_legacy_metrics"])
            self.assertEqual([a["id"] for a in manifest["actions"]], ["start_server", "stop_server", "restart_server", "server_status"])
            index = json.loads(archive.read("%s/executables.json" % KEY))
            self.assertEqual(index["version"], VERSION)
            self.assertEqual(sorted(index["executables"]), ["aarch64", "x86_64"])
            for machine, entry in index["executables"].items():
                self.assertEqual(entry["file"], PACKED[machine])
                self.assertRegex(entry["sha256"], r"^[0-9a-f]{64}$")
                info = archive.getinfo("%s/%s" % (KEY, entry["file"]))
                self.assertEqual(info.compress_type, zipfile.ZIP_STORED, "xz data is stored, not compressed again")
                self.assertLess(info.file_size, entry["size"] / 2)
                with archive.open(info) as packed:
                    header = lzma.LZMADecompressor(lzma.FORMAT_XZ).decompress(packed.read(1 << 16), 20)
                self.assertEqual(header[:4], b"\x7fELF")
                self.assertEqual(int.from_bytes(header[18:20], "little"), 62 if machine == "x86_64" else 183)

    def test_arm64_executable_under_emulation(self):
        qemu = shutil.which("qemu-aarch64-static") or shutil.which("qemu-aarch64")
        sysroot = "/usr/aarch64-linux-gnu"
        if not qemu or not os.path.exists(os.path.join(sysroot, "lib", "ld-linux-aarch64.so.1")):
            self.skipTest("qemu-user-static and the arm64 cross libraries are not installed")
        binary, _ = unpack(extract_like_dispatcharr(plugin_zip(), os.path.join(self.workdir, "arm64")), "aarch64")
        # Under qemu-user an exec of an arm64 file goes to this machine's kernel, which cannot run it. The exporter
        # must notice before it tries to restart itself with its memory budget (a failed process.execve aborts):
        # its version, and a configuration error reported as such rather than an abort (exit 134).
        env = {k: v for k, v in os.environ.items() if k not in ("NODE_OPTIONS", "MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_")}
        done = subprocess.run([qemu, "-L", sysroot, binary, "--version"], capture_output=True, text=True, timeout=120, env=env)
        self.assertEqual(done.stdout.strip(), "dispatcharr-exporter %s" % VERSION, done.stderr)
        refused = subprocess.run([qemu, "-L", sysroot, binary, "--port", "notaport"], capture_output=True, text=True, timeout=120, env=env)
        self.assertEqual(refused.returncode, 2, refused.stderr)
        self.assertIn('invalid port "notaport"', refused.stderr)

if __name__ == "__main__":
    unittest.main()

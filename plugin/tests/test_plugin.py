"""The Dispatcharr plugin, end to end: the packaged zip, extracted the way Dispatcharr's importer does,
plugin.py loaded the way Dispatcharr's loader does (stand-in django.conf and PluginConfig), against the
real PostgreSQL and Redis that `npm test` starts.

Run by `npm test` (after `npm run package`); alone: TEST_POSTGRES_URL=... TEST_REDIS_URL=...
python3 -m unittest discover -s plugin/tests -v
"""

import glob
import json
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

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HERE = os.path.dirname(os.path.abspath(__file__))
LOADER = os.path.join(HERE, "load_plugin.py")
ARCH = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine().lower()]
OTHER_ARCH = "arm64" if ARCH == "x64" else "x64"
KEY = "dispatcharr_exporter"
REDIS_DB = 13
ACTION_LIMIT_SECONDS = 2.0


def package_zip(arch):
    found = sorted(glob.glob(os.path.join(ROOT, "dist", "dispatcharr-exporter-*-linux-%s.zip" % arch)))
    if not found:
        raise RuntimeError("no plugin zip for linux-%s in dist/: run `npm run package` first" % arch)
    return found[-1]


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
        cls.plugin_dir = extract_like_dispatcharr(package_zip(ARCH), os.path.join(cls.workdir, "plugins"))
        cls.executable = os.path.join(cls.plugin_dir, "dispatcharr-exporter")

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

    def test_wrong_architecture_and_missing_executable_are_refused(self):
        other = extract_like_dispatcharr(package_zip(OTHER_ARCH), os.path.join(self.workdir, "other-arch"))
        self.plugin_dir, saved = other, self.plugin_dir
        try:
            result = self.action("start_server")
            self.assertEqual(result["status"], "error")
            machine = "x86_64" if ARCH == "x64" else "aarch64"
            built = "aarch64" if ARCH == "x64" else "x86_64"
            self.assertIn("this zip is built for %s but this machine is %s" % (built, machine), result["message"])
            os.unlink(os.path.join(other, "dispatcharr-exporter"))
            result = self.action("start_server")
            self.assertIn("the exporter executable is missing", result["message"])
        finally:
            self.plugin_dir = saved

    def test_zip_contents_and_limits(self):
        for arch in ("x64", "arm64"):
            with zipfile.ZipFile(package_zip(arch)) as archive:
                names = sorted(archive.namelist())
                self.assertEqual(names, sorted("%s/%s" % (KEY, n) for n in ("plugin.json", "plugin.py", "logo.png", "dispatcharr-exporter")))
                self.assertLessEqual(sum(i.file_size for i in archive.infolist()), 200 * 1024 * 1024)
                manifest = json.loads(archive.read("%s/plugin.json" % KEY))
                with open(os.path.join(ROOT, "package.json")) as handle:
                    self.assertEqual(manifest["version"], json.load(handle)["version"])
                self.assertEqual([f["id"] for f in manifest["fields"]], [
                    "auto_start", "port", "host", "web_config_file", "base_url", "metrics_layout", "include_m3u_stats", "include_epg_stats",
                    "include_vod_stats", "include_client_stats", "include_user_stats", "include_source_urls",
                    "include_legacy_metrics"])
                self.assertEqual([a["id"] for a in manifest["actions"]], ["start_server", "stop_server", "restart_server", "server_status"])
                header = archive.open("%s/dispatcharr-exporter" % KEY).read(20)
                self.assertEqual(header[:4], b"\x7fELF")
                self.assertEqual(int.from_bytes(header[18:20], "little"), 62 if arch == "x64" else 183)

    def test_arm64_executable_under_emulation(self):
        qemu = shutil.which("qemu-aarch64-static") or shutil.which("qemu-aarch64")
        sysroot = "/usr/aarch64-linux-gnu"
        if not qemu or not os.path.exists(os.path.join(sysroot, "lib", "ld-linux-aarch64.so.1")):
            self.skipTest("qemu-user-static and the arm64 cross libraries are not installed")
        binary = os.path.join(extract_like_dispatcharr(package_zip("arm64"), os.path.join(self.workdir, "arm64")), "dispatcharr-exporter")
        os.chmod(binary, 0o755)
        with open(os.path.join(ROOT, "package.json")) as handle:
            version = json.load(handle)["version"]
        done = subprocess.run([qemu, "-L", sysroot, binary, "--version"], capture_output=True, text=True, timeout=120)
        self.assertEqual(done.stdout.strip(), "dispatcharr-exporter %s" % version, done.stderr)


if __name__ == "__main__":
    unittest.main()

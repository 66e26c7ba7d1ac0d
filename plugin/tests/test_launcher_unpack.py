"""The launcher's first start after an import: unpacking this machine's exporter from the zip's .xz files.

Each test builds its own plugin folder (a copy of plugin/plugin.py, a plugin.json, executables.json and .xz files
made here with made-up executables), so no `npm run package` is needed.

From the repository root:
python3 -m unittest discover -s plugin/tests -t . -p 'test_launcher*.py' -v
"""

import hashlib
import importlib.util
import json
import lzma
import os
import shutil
import signal
import socket
import stat
import sys
import tempfile
import time
import unittest
from unittest import mock

from plugin.tests.helpers import quiet_supervisor

SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "plugin.py"))
PACKED_NAMES = {"x86_64": "dispatcharr-exporter-linux-x64.xz", "aarch64": "dispatcharr-exporter-linux-arm64.xz"}
ELF_CODES = {"x86_64": 62, "aarch64": 183}
ACTION_LIMIT_SECONDS = 2.0


def elf_payload(machine, filler=b""):
    """Bytes that pass the launcher's ELF check for `machine`, then `filler`."""
    return b"\x7fELF\x02\x01\x01" + bytes(11) + ELF_CODES[machine].to_bytes(2, "little") + bytes(44) + filler


def sha256(data):
    return hashlib.sha256(data).hexdigest()


_COMPRESSED = {}


def xz(payload):
    """The payload xz-compressed, once per payload (several tests pack the same ones)."""
    key = sha256(payload)
    if key not in _COMPRESSED:
        _COMPRESSED[key] = lzma.compress(payload, format=lzma.FORMAT_XZ, preset=0)
    return _COMPRESSED[key]


class PluginFolder:
    """A plugin folder as Dispatcharr's import leaves it, with this copy of plugin.py loaded from it."""

    def __init__(self, test, payloads, recorded=None, fifo_for=None):
        self.path = tempfile.mkdtemp(prefix="launcher-unpack-")
        test.addCleanup(shutil.rmtree, self.path, True)
        shutil.copy(SOURCE, os.path.join(self.path, "plugin.py"))
        manifest = {"name": "N", "version": "0.0.0", "description": "D", "actions": [{"id": "server_status", "label": "S"}]}
        self.write("plugin.json", json.dumps(manifest).encode())
        index = {}
        self.packed = {}
        for machine, payload in payloads.items():
            name = PACKED_NAMES[machine]
            self.packed[machine] = xz(payload)
            if machine == fifo_for:
                os.mkfifo(os.path.join(self.path, name))
            else:
                self.write(name, self.packed[machine])
            index[machine] = {"file": name, "size": len(payload), "sha256": (recorded or {}).get(machine, sha256(payload))}
        self.write("executables.json", json.dumps({"version": "0.0.0", "executables": index}).encode())
        spec = importlib.util.spec_from_file_location("launcher_unpack_%d" % id(self), os.path.join(self.path, "plugin.py"))
        self.launcher = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.launcher)

    def write(self, name, data):
        with open(os.path.join(self.path, name), "wb") as handle:
            handle.write(data)

    def file(self, name):
        return os.path.join(self.path, name)

    def read(self, name):
        with open(self.file(name), "rb") as handle:
            return handle.read()

    def names(self):
        return sorted(name for name in os.listdir(self.path) if name not in ("plugin.py", "plugin.json", "__pycache__", ".run"))


class UnpackTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Several chunks in and out, some incompressible, some not.
        cls.payloads = {machine: elf_payload(machine, os.urandom(3 << 19) + bytes(3 << 20) + machine.encode())
                        for machine in PACKED_NAMES}

    def test_unpacks_the_exporter_of_the_machine_asked_for_and_cleans_up(self):
        for machine in PACKED_NAMES:
            folder = PluginFolder(self, self.payloads)
            launcher = folder.launcher
            entry = launcher.packed_executable(folder.path, machine)
            self.assertEqual((entry["machine"], entry["path"]), (machine, folder.file(PACKED_NAMES[machine])))
            seen = []
            launcher.unpack_executable(entry, seen.append)
            self.assertEqual(folder.read("dispatcharr-exporter"), self.payloads[machine], machine)
            self.assertEqual(stat.S_IMODE(os.stat(folder.file("dispatcharr-exporter")).st_mode), 0o755)
            self.assertEqual(folder.names(), ["dispatcharr-exporter", "executables.json"], "both .xz deleted, no partial file")
            self.assertEqual(seen[-1], len(self.payloads[machine]))
            self.assertEqual(seen, sorted(seen))
            self.assertIsNone(launcher.packed_executable(folder.path, machine), "nothing left to unpack")

    def test_this_machine_is_found_under_any_of_its_names(self):
        folder = PluginFolder(self, self.payloads)
        for reported, machine in (("x86_64", "x86_64"), ("AMD64", "x86_64"), ("aarch64", "aarch64"), ("arm64", "aarch64")):
            with mock.patch.object(folder.launcher.platform, "machine", return_value=reported):
                self.assertEqual(folder.launcher.packed_executable(folder.path)["machine"], machine, reported)

    def test_a_machine_without_an_exporter_is_told_so(self):
        folder = PluginFolder(self, self.payloads)
        with mock.patch.object(folder.launcher.platform, "machine", return_value="riscv64"):
            self.assertIsNone(folder.launcher.packed_executable(folder.path))
            self.assertEqual(folder.launcher.executable_problem(),
                             "this plugin holds the exporter for aarch64 and x86_64 only, and this machine is riscv64")

    def test_a_checksum_mismatch_leaves_nothing_to_run(self):
        recorded = {"x86_64": "0" * 64}
        folder = PluginFolder(self, self.payloads, recorded)
        entry = folder.launcher.packed_executable(folder.path, "x86_64")
        with self.assertRaises(folder.launcher.UnpackError) as caught:
            folder.launcher.unpack_executable(entry)
        self.assertEqual(str(caught.exception), "the exporter unpacked from dispatcharr-exporter-linux-x64.xz does not match its "
                         "checksum (sha256 %s, expected %s); import the plugin zip again" % (sha256(self.payloads["x86_64"]), "0" * 64))
        self.assertEqual(folder.names(), ["dispatcharr-exporter-linux-arm64.xz", "dispatcharr-exporter-linux-x64.xz", "executables.json"])

    def test_truncated_and_damaged_files_are_refused(self):
        folder = PluginFolder(self, self.payloads)
        entry = folder.launcher.packed_executable(folder.path, "x86_64")
        packed = folder.packed["x86_64"]
        for content, reason in ((packed[: len(packed) // 2], "dispatcharr-exporter-linux-x64.xz is truncated; import the plugin zip again"),
                                (b"not xz at all", "dispatcharr-exporter-linux-x64.xz is damaged (")):
            folder.write(PACKED_NAMES["x86_64"], content)
            with self.assertRaises(folder.launcher.UnpackError) as caught:
                folder.launcher.unpack_executable(entry)
            self.assertTrue(str(caught.exception).startswith(reason), str(caught.exception))
            self.assertNotIn("dispatcharr-exporter", folder.names())
            self.assertNotIn(folder.launcher.UNPACK_TEMPORARY, folder.names())

    def test_an_interrupted_unpack_is_done_again(self):
        folder = PluginFolder(self, self.payloads)
        # What a supervisor killed in the middle of an unpack leaves behind.
        folder.write(folder.launcher.UNPACK_TEMPORARY, self.payloads["x86_64"][:12345])
        entry = folder.launcher.packed_executable(folder.path, "x86_64")
        folder.launcher.unpack_executable(entry)
        self.assertEqual(folder.read("dispatcharr-exporter"), self.payloads["x86_64"])
        self.assertEqual(folder.names(), ["dispatcharr-exporter", "executables.json"])

    def test_a_stop_during_the_unpack_leaves_it_to_the_next_start(self):
        folder = PluginFolder(self, self.payloads)
        entry = folder.launcher.packed_executable(folder.path, "x86_64")
        calls = []
        with self.assertRaises(folder.launcher.UnpackStopped):
            folder.launcher.unpack_executable(entry, stopping=lambda: calls.append(1) or len(calls) > 2)
        self.assertEqual(folder.names(), ["dispatcharr-exporter-linux-arm64.xz", "dispatcharr-exporter-linux-x64.xz", "executables.json"])
        folder.launcher.unpack_executable(folder.launcher.packed_executable(folder.path, "x86_64"))
        self.assertEqual(folder.read("dispatcharr-exporter"), self.payloads["x86_64"])

    def test_without_lzma_it_says_how_to_unpack_by_hand(self):
        folder = PluginFolder(self, self.payloads)
        entry = folder.launcher.packed_executable(folder.path, "x86_64")
        with mock.patch.dict(sys.modules, {"lzma": None}), self.assertRaises(folder.launcher.UnpackError) as caught:
            folder.launcher.unpack_executable(entry)
        self.assertIn("this Python has no lzma module", str(caught.exception))
        self.assertIn("`xz -d`", str(caught.exception))


class PrepareTest(unittest.TestCase):
    """Supervisor.prepare, in this process: what the supervisor does before it runs the exporter."""

    def prepare(self, folder):
        launcher = folder.launcher
        supervisor, answers = quiet_supervisor(self, launcher)
        launcher._ensure_run_dir()
        return supervisor.prepare(), answers

    def log(self, folder):
        with open(folder.launcher.LOG_FILE, encoding="utf-8") as handle:
            return handle.read()

    def this_machine(self, folder):
        machine = folder.launcher.this_machine()
        if machine not in PACKED_NAMES:
            self.skipTest("no exporter build for %s" % machine)
        return machine

    def test_the_first_start_unpacks_then_starts(self):
        payloads = {machine: elf_payload(machine) for machine in PACKED_NAMES}
        folder = PluginFolder(self, payloads)
        machine = self.this_machine(folder)
        ready, answers = self.prepare(folder)
        self.assertTrue(ready)
        self.assertEqual(answers, ["preparing"])
        self.assertEqual(folder.read("dispatcharr-exporter"), payloads[machine])
        self.assertEqual(folder.launcher._read_json(folder.launcher.STATE_FILE)["status"], "starting")
        self.assertRegex(self.log(folder), r"supervisor: unpacked the exporter for %s in \d+\.\ds\n" % machine)

    def test_a_checksum_mismatch_refuses_to_run_and_status_says_why(self):
        folder = PluginFolder(self, {machine: elf_payload(machine) for machine in PACKED_NAMES}, {"x86_64": "bad", "aarch64": "bad"})
        self.this_machine(folder)
        ready, answers = self.prepare(folder)
        self.assertFalse(ready)
        self.assertEqual(answers, ["preparing"])
        self.assertFalse(os.path.exists(folder.file("dispatcharr-exporter")))
        status = folder.launcher.server_status({})
        self.assertEqual(status["status"], "success")
        self.assertRegex(status["message"], r"^Metrics server is not running \(last: the exporter unpacked from "
                                            r"dispatcharr-exporter-linux-\w+\.xz does not match its checksum \(sha256 [0-9a-f]{64}, "
                                            r"expected bad\); import the plugin zip again\)$")
        self.assertIn("does not match its checksum", self.log(folder))

    def test_an_executable_for_another_machine_is_refused_after_the_unpack(self):
        folder = PluginFolder(self, {machine: elf_payload(machine) for machine in PACKED_NAMES})
        machine = self.this_machine(folder)
        other = "aarch64" if machine == "x86_64" else "x86_64"
        # An index that names the other machine's file for this one.
        folder.write(PACKED_NAMES[machine], folder.packed[other])
        index = json.loads(folder.read("executables.json"))
        index["executables"][machine]["sha256"] = sha256(elf_payload(other))
        folder.write("executables.json", json.dumps(index).encode())
        ready, _ = self.prepare(folder)
        self.assertFalse(ready)
        self.assertEqual(folder.launcher._read_json(folder.launcher.STATE_FILE)["message"],
                         "the exporter executable is built for %s but this machine is %s; import the plugin zip again" % (other, machine))

    def test_a_folder_with_a_plain_executable_has_nothing_to_prepare(self):
        folder = PluginFolder(self, {})
        ready, answers = self.prepare(folder)
        self.assertTrue(ready)
        self.assertEqual(answers, [])


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ActionsWhileUnpackingTest(unittest.TestCase):
    """A real supervisor unpacking: this machine's .xz is a named pipe, so the unpack lasts until the test feeds it."""

    def setUp(self):
        # Any program built for this machine stands in for the exporter: /bin/true exits at once.
        self.program = shutil.which("true")
        if not self.program:
            self.skipTest("no `true` program to stand in for the exporter")
        with open(self.program, "rb") as handle:
            self.payload = handle.read()
        probe = PluginFolder(self, {})
        self.machine = probe.launcher.this_machine()
        if self.machine not in PACKED_NAMES:
            self.skipTest("no exporter build for %s" % self.machine)
        self.folder = PluginFolder(self, {self.machine: self.payload}, fifo_for=self.machine)
        self.addCleanup(self.kill_supervisor)
        self.settings = {"host": "127.0.0.1", "port": free_port()}

    def kill_supervisor(self):
        pid = self.folder.launcher._supervisor_pid()
        if pid is not None:
            os.kill(pid, signal.SIGKILL)

    def timed(self, action, *args):
        began = time.monotonic()
        result = action(*args)
        elapsed = time.monotonic() - began
        self.assertLess(elapsed, ACTION_LIMIT_SECONDS, "%s took %.2fs" % (action.__name__, elapsed))
        return result

    def wait_until(self, what, check, timeout=15.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.05)
        self.fail("timed out waiting for %s" % what)

    def test_actions_answer_at_once_and_say_it_is_preparing(self):
        launcher = self.folder.launcher
        preparing = "Metrics server is preparing: unpacking the exporter for %s (first start after an import)" % self.machine

        started = self.timed(launcher.start_server, self.settings)
        self.assertEqual(started["status"], "success", started)
        self.assertTrue(started["message"].startswith(preparing), started["message"])
        self.assertTrue(started["preparing"])

        status = self.timed(launcher.server_status, self.settings)
        self.assertTrue(status["message"].startswith(preparing), status["message"])
        self.assertEqual((status["running"], status["preparing"]), (True, True))

        again = self.timed(launcher.start_server, self.settings)
        self.assertTrue(again["message"].startswith(preparing), again["message"])
        self.assertTrue(launcher.supervisor_running())

        with open(self.folder.file(PACKED_NAMES[self.machine]), "wb") as pipe:
            pipe.write(self.folder.packed[self.machine])
        # The stand-in exits at once, so the supervisor gives up after the unpack: that is all this test needs.
        self.wait_until("the supervisor to finish", lambda: not launcher.supervisor_running())
        self.assertEqual(self.folder.read("dispatcharr-exporter"), self.payload)
        self.assertEqual(self.folder.names(), ["dispatcharr-exporter", "executables.json"])
        state = launcher._read_json(launcher.STATE_FILE)
        self.assertEqual((state["status"], state["message"]), ("failed", "exited with status 0"))
        with open(launcher.LOG_FILE, encoding="utf-8") as handle:
            self.assertIn("supervisor: unpacked the exporter for %s in " % self.machine, handle.read())


if __name__ == "__main__":
    unittest.main()

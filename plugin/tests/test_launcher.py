"""The launcher's pure helpers, from the source tree: no zip, no database, no exporter.

plugin/plugin.py reads the plugin.json next to it on import; the repository's copy has no settings fields
(`npm run package` generates them into the zip), so these tests bring their own field lists.

From the repository root:
python3 -m unittest discover -s plugin/tests -t . -p 'test_launcher*.py' -v
"""

import importlib.util
import json
import os
import platform
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

from plugin.tests.helpers import quiet_supervisor

SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "plugin.py"))


def load_launcher(path=SOURCE, name="dispatcharr_exporter_launcher"):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


launcher = load_launcher()

# Shaped like the fields `npm run package` writes into the zip's plugin.json.
FIELDS = [
    {"id": "auto_start", "label": "Auto-start", "type": "boolean", "default": False, "help_text": "", "description": ""},
    {"id": "port", "label": "Port", "type": "number", "default": 9192, "help_text": "", "description": ""},
    {"id": "host", "label": "Host", "type": "string", "default": "0.0.0.0", "help_text": "", "description": ""},
    {"id": "base_url", "label": "URL", "type": "string", "default": "", "help_text": "", "description": ""},
    {"id": "include_m3u_stats", "label": "M3U", "type": "boolean", "default": True, "help_text": "", "description": ""},
    {"id": "include_epg_stats", "label": "EPG", "type": "boolean", "default": False, "help_text": "", "description": ""},
]
SELECT = {
    "id": "log_level", "label": "Log level", "type": "select", "default": "info", "help_text": "", "description": "",
    "options": [{"value": "info", "label": "Info"}, {"value": "debug", "label": "Debug"}],
}
DEFAULTS = {"auto_start": False, "port": 9192, "host": "0.0.0.0", "base_url": "", "include_m3u_stats": True, "include_epg_stats": False}
MACHINE_CODES = {"x86_64": 62, "amd64": 62, "aarch64": 183, "arm64": 183}


def arguments(settings, fields=FIELDS, key="dispatcharr_exporter"):
    return launcher.exporter_arguments(settings, fields, key)


def flags(settings, fields=FIELDS):
    """{flag: value} of the `--flag=value` arguments (the plugin key pair left out)."""
    found = {}
    for argument in arguments(settings, fields)[:-2]:
        flag, equals, value = argument.partition("=")
        assert equals, "not a --flag=value argument: %r" % argument
        found[flag] = value
    return found


class ImportTest(unittest.TestCase):
    def test_imports_with_a_manifest_without_fields(self):
        folder = tempfile.mkdtemp(prefix="launcher-import-")
        self.addCleanup(shutil.rmtree, folder, True)
        shutil.copy(SOURCE, os.path.join(folder, "plugin.py"))
        with open(os.path.join(folder, "plugin.json"), "w", encoding="utf-8") as handle:
            json.dump({"name": "N", "version": "1.2.3", "description": "D", "actions": [{"id": "server_status", "label": "S"}]}, handle)
        module = load_launcher(os.path.join(folder, "plugin.py"), "launcher_without_fields")
        self.assertEqual(module.Plugin.fields, [])
        self.assertEqual(module.DEFAULTS, {})
        self.assertEqual(module.Plugin.version, "1.2.3")
        self.assertEqual(module.effective_settings({"port": 1}), {"port": 1})
        self.assertEqual(module.exporter_arguments({"port": 1}), ["--plugin-key", module.PLUGIN_KEY])

    def test_plugin_interface_is_what_dispatcharr_calls(self):
        plugin = launcher.Plugin
        for name in ("name", "version", "description", "author", "help_url", "fields", "actions"):
            self.assertTrue(hasattr(plugin, name), name)
        self.assertEqual(plugin.fields, launcher.MANIFEST.get("fields", []))
        self.assertTrue(callable(plugin.run) and callable(plugin.stop))

    def test_module_functions_do_not_shadow_plugin_methods(self):
        for name in ("run", "stop", "start", "status"):
            self.assertFalse(hasattr(launcher, name), "module-level %s() beside Plugin methods" % name)
        for name in ("start_server", "stop_server", "server_status"):
            self.assertTrue(callable(getattr(launcher, name)), name)


class EffectiveSettingsTest(unittest.TestCase):
    def test_saved_values_over_defaults(self):
        settings = launcher.effective_settings({"port": 9300, "include_epg_stats": True, "extra": "x"}, DEFAULTS)
        self.assertEqual(settings, dict(DEFAULTS, port=9300, include_epg_stats=True, extra="x"))

    def test_none_values_are_ignored_but_empty_and_false_are_kept(self):
        settings = launcher.effective_settings({"port": None, "host": "", "include_m3u_stats": False}, DEFAULTS)
        self.assertEqual(settings["port"], 9192)
        self.assertEqual(settings["host"], "")
        self.assertIs(settings["include_m3u_stats"], False)

    def test_saved_that_is_not_a_dict_gives_the_defaults(self):
        for saved in (None, "port=1", ["port", 1], 7):
            self.assertEqual(launcher.effective_settings(saved, DEFAULTS), DEFAULTS, saved)

    def test_defaults_are_not_modified(self):
        defaults = dict(DEFAULTS)
        launcher.effective_settings({"port": 1}, defaults)
        self.assertEqual(defaults, DEFAULTS)

    def test_field_defaults(self):
        self.assertEqual(launcher.field_defaults(FIELDS), DEFAULTS)
        self.assertEqual(launcher.field_defaults([]), {})


class ExporterArgumentsTest(unittest.TestCase):
    def test_defaults(self):
        self.assertEqual(arguments(DEFAULTS), [
            "--auto-start=false", "--port=9192", "--host=0.0.0.0", "--include-m3u-stats=true", "--include-epg-stats=false",
            "--plugin-key", "dispatcharr_exporter"])

    def test_plugin_key_always_present(self):
        self.assertEqual(arguments({}, fields=[], key="my_key"), ["--plugin-key", "my_key"])
        self.assertEqual(launcher.exporter_arguments({}, [])[-2:], ["--plugin-key", launcher.PLUGIN_KEY])

    def test_every_field_gets_its_flag(self):
        fields = FIELDS + [{"id": "some_new_setting", "type": "string", "default": "x"}]
        self.assertEqual(sorted(flags({"base_url": "http://d.lan"}, fields)), sorted(launcher.exporter_flag(f["id"]) for f in fields))
        self.assertEqual(launcher.exporter_flag("include_client_stats"), "--include-client-stats")

    def test_booleans_in_every_accepted_spelling(self):
        spellings = {
            True: [True, 1, 2.5, -1, "true", "TRUE", " True ", "1", "yes", "Yes", "on", "ON"],
            False: [False, 0, 0.0, "false", "False", "0", "no", "NO", "off", "Off", "", "  "],
        }
        for expected, values in spellings.items():
            for value in values:
                self.assertEqual(flags({"include_epg_stats": value})["--include-epg-stats"], "true" if expected else "false", repr(value))

    def test_unreadable_boolean_falls_back_to_the_field_default(self):
        for value in ("maybe", [], {}, object()):
            shown = flags({"include_m3u_stats": value, "include_epg_stats": value})
            self.assertEqual(shown["--include-m3u-stats"], "true", repr(value))
            self.assertEqual(shown["--include-epg-stats"], "false", repr(value))

    def test_numbers(self):
        for value, shown in ((9192.0, "9192"), ("9300", "9300"), (" 9300 ", "9300"), (9301, "9301"), ("9.3e3", "9300"),
                             (70000, "70000"), ("nine", "nine"), (" nine ", "nine"), (9192.5, "9192.5"), ("", "9192"), (None, "9192")):
            self.assertEqual(flags({"port": value})["--port"], shown, repr(value))

    def test_empty_number_without_default_is_omitted(self):
        field = {"id": "scrape_timeout", "type": "number"}
        self.assertEqual(arguments({"scrape_timeout": ""}, [field]), ["--plugin-key", "dispatcharr_exporter"])
        self.assertEqual(arguments({"scrape_timeout": 7.0}, [field])[0], "--scrape-timeout=7")

    def test_strings_are_stripped_and_empty_ones_omitted(self):
        shown = flags({"host": " 127.0.0.1 ", "base_url": "  http://d.lan:9191/?a=b  "})
        self.assertEqual(shown["--host"], "127.0.0.1")
        self.assertEqual(shown["--base-url"], "http://d.lan:9191/?a=b")
        shown = flags({"host": "  ", "base_url": ""})
        self.assertNotIn("--host", shown)  # the exporter's own default, 0.0.0.0, applies
        self.assertNotIn("--base-url", shown)

    def test_a_value_starting_with_dashes_stays_one_argument(self):
        self.assertEqual(arguments({"host": "--help"}, [FIELDS[2]])[0], "--host=--help")

    def test_select_values_are_strings(self):
        self.assertEqual(arguments({"log_level": " debug "}, [SELECT])[0], "--log-level=debug")
        self.assertEqual(arguments({}, [SELECT])[0], "--log-level=info")
        self.assertEqual(arguments({"log_level": 3}, [SELECT])[0], "--log-level=3")
        self.assertEqual(arguments({"log_level": ""}, [SELECT]), ["--plugin-key", "dispatcharr_exporter"])

    def test_fields_of_other_types_and_without_id_are_not_passed(self):
        fields = [{"id": "note", "type": "info", "default": "x"}, {"type": "string", "default": "y"}]
        self.assertEqual(arguments({"note": "x"}, fields), ["--plugin-key", "dispatcharr_exporter"])

    def test_no_password_ever_in_the_arguments(self):
        secret = "s3cret-pa55"
        settings = dict(DEFAULTS, postgres_password=secret, redis_password=secret, POSTGRES_PASSWORD=secret, database_url="postgres://u:%s@h/db" % secret)
        environment = {"POSTGRES_PASSWORD": secret, "REDIS_PASSWORD": secret}
        with mock.patch.dict(os.environ, environment):
            produced = arguments(settings)
        self.assertFalse([argument for argument in produced if secret in argument], produced)
        self.assertFalse([argument for argument in produced if "password" in argument.lower()], produced)

    def test_production_defaults_come_from_the_manifest(self):
        with mock.patch.object(launcher, "FIELDS", [FIELDS[1]]):
            self.assertEqual(launcher.exporter_arguments({"port": "9400"}), ["--port=9400", "--plugin-key", launcher.PLUGIN_KEY])


class NumberTextTest(unittest.TestCase):
    def test_port_text(self):
        cases = ((9192.0, 9192, "9192"), ("9300", 9192, "9300"), ("bad text", 9192, "bad text"), (None, 9192, "9192"),
                 ("", 9192, "9192"), ("  ", 9192, "9192"), (0, 9192, "0"), (8080.7, 9192, "8080.7"), ("", None, None), (None, "", None))
        for value, default, shown in cases:
            self.assertEqual(launcher.number_text(value, default), shown, (value, default))


class ExecutableTest(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="launcher-exe-")
        self.addCleanup(shutil.rmtree, self.folder, True)
        self.path = os.path.join(self.folder, "dispatcharr-exporter")
        machine = platform.machine().lower()
        if machine not in MACHINE_CODES:
            self.skipTest("no exporter build for %s" % machine)
        self.this_machine = MACHINE_CODES[machine]
        self.other_machine = 183 if self.this_machine == 62 else 62

    def write(self, content, mode=0o644):
        with open(self.path, "wb") as handle:
            handle.write(content)
        os.chmod(self.path, mode)

    @staticmethod
    def elf(machine):
        return b"\x7fELF\x02\x01\x01" + bytes(11) + machine.to_bytes(2, "little") + bytes(44)

    def test_missing(self):
        problem = launcher.check_executable(self.path)
        self.assertIn("the exporter executable is missing from %s" % self.folder, problem)

    def test_not_elf(self):
        self.write(b"#!/bin/sh\necho hello from a script\n", 0o755)
        self.assertEqual(launcher.check_executable(self.path), "the exporter executable is not a Linux program")

    def test_truncated_elf(self):
        self.write(b"\x7fELF\x02\x01", 0o755)
        self.assertEqual(launcher.check_executable(self.path), "the exporter executable is not a Linux program")

    def test_other_architecture(self):
        self.write(self.elf(self.other_machine))
        problem = launcher.check_executable(self.path)
        built = launcher.ELF_MACHINES[self.other_machine]
        here = launcher.ELF_MACHINES[self.this_machine]
        self.assertEqual(problem, "the exporter executable is built for %s but this machine is %s; import the plugin zip again"
                         % (built, here))
        self.assertFalse(os.stat(self.path).st_mode & 0o111, "left alone")

    def test_this_architecture_without_the_exec_bit_gets_it(self):
        self.write(self.elf(self.this_machine), 0o644)
        self.assertIsNone(launcher.check_executable(self.path))
        mode = stat.S_IMODE(os.stat(self.path).st_mode)
        self.assertEqual(mode & 0o111, 0o111, oct(mode))
        self.assertTrue(os.access(self.path, os.X_OK))

    def test_this_architecture_executable_is_left_as_it_is(self):
        self.write(self.elf(self.this_machine), 0o700)
        self.assertIsNone(launcher.check_executable(self.path))
        self.assertEqual(stat.S_IMODE(os.stat(self.path).st_mode), 0o700)

    def test_default_path_is_next_to_plugin_py(self):
        self.assertEqual(launcher.EXECUTABLE, os.path.join(os.path.dirname(SOURCE), "dispatcharr-exporter"))


class RunTokenTest(unittest.TestCase):
    TOKEN = re.compile(r"^(\d+):(\d+)$")

    def token_in_child(self, **popen):
        code = "import importlib.util as u, sys; s = u.spec_from_file_location('p', sys.argv[1]); m = u.module_from_spec(s); " \
               "s.loader.exec_module(m); print(m.run_token())"
        done = subprocess.run([sys.executable, "-c", code, SOURCE], capture_output=True, text=True, timeout=30, check=True, **popen)
        return done.stdout.strip()

    def setUp(self):
        sid = os.getsid(0)
        if not os.path.exists("/proc/%d/stat" % sid):
            self.skipTest("this session's leader is outside this process's /proc")
        self.sid = sid

    def test_format_and_stable_within_a_process(self):
        token = launcher.run_token()
        match = self.TOKEN.match(token)
        self.assertIsNotNone(match, token)
        self.assertEqual(int(match.group(1)), self.sid)
        self.assertGreater(int(match.group(2)), 0)
        self.assertEqual(launcher.run_token(), token)

    def test_same_for_processes_of_one_session_and_different_for_another(self):
        token = launcher.run_token()
        self.assertEqual(self.token_in_child(), token)
        other = self.token_in_child(start_new_session=True)
        self.assertRegex(other, self.TOKEN)
        self.assertNotEqual(other, token)


class HandshakeTest(unittest.TestCase):
    def test_constants(self):
        self.assertEqual((launcher.ANSWER_READY, launcher.ANSWER_BUSY, launcher.ANSWER_FAILED), ("ready", "busy", "failed"))
        self.assertEqual(launcher.LISTENING_MARKER, "msg=listening")

    def test_marker_matches_the_exporter_log_line(self):
        # As src/log.ts formats `logger.info('listening', {...})` from src/cli.ts.
        line = "time=2025-01-01T00:00:00.000Z level=info msg=listening version=0.1.0 address=http://0.0.0.0:9192/metrics"
        self.assertTrue(launcher.announces_listening(line))
        for other in ("time=... level=info msg=stopping signal=SIGTERM", 'level=info msg="listening soon"',
                      "dispatcharr-exporter: cannot listen: port 9192 is already in use on 0.0.0.0", ""):
            self.assertFalse(launcher.announces_listening(other), other)

    def test_cli_logs_the_marker(self):
        cli = os.path.join(os.path.dirname(SOURCE), "..", "src", "cli.ts")
        if not os.path.exists(cli):
            self.skipTest("src/cli.ts is not next to the plugin")
        with open(cli, encoding="utf-8") as handle:
            source = handle.read()
        message = launcher.LISTENING_MARKER.split("=", 1)[1]
        self.assertIn("logger.info('%s'," % message, source)

    def supervisor(self, lines):
        folder = tempfile.mkdtemp(prefix="launcher-supervisor-")
        self.addCleanup(shutil.rmtree, folder, True)
        supervisor, answers = quiet_supervisor(self, launcher)
        state, log = os.path.join(folder, "state.json"), os.path.join(folder, "exporter.log")
        with mock.patch.object(launcher, "STATE_FILE", state), mock.patch.object(launcher, "LOG_FILE", log):
            result = supervisor.follow(iter(lines), 4242)
        with open(log, encoding="utf-8") as handle:
            logged = handle.read()
        return result, answers, launcher._read_json(state), logged

    def test_supervisor_answers_ready_at_the_marker(self):
        lines = [b"time=t level=info msg=starting\n",
                 b"time=t level=info msg=listening version=0.1.0 address=http://127.0.0.1:9192/metrics\n",
                 b"time=t level=info msg=listening again\n", b"time=t level=warn msg=later\n"]
        (started, last), answers, state, logged = self.supervisor(lines)
        self.assertTrue(started)
        self.assertEqual(answers, [launcher.ANSWER_READY])
        self.assertEqual((state["status"], state["pid"]), ("running", 4242))
        self.assertEqual(last, "time=t level=warn msg=later")
        self.assertEqual(logged, b"".join(lines).decode())

    def test_supervisor_without_the_marker_does_not_answer(self):
        lines = [b"dispatcharr-exporter: invalid port \"nine\" (from --port)\n", b"\n"]
        (started, last), answers, state, _ = self.supervisor(lines)
        self.assertFalse(started)
        self.assertEqual(answers, [])
        self.assertIsNone(state)
        self.assertEqual(last, 'dispatcharr-exporter: invalid port "nine" (from --port)')


class RestartTest(unittest.TestCase):
    def test_restart_starts_only_when_stop_says_stopped(self):
        plugin = launcher.Plugin.__new__(launcher.Plugin)  # without __init__'s auto-start
        cases = (
            ((True, {"status": "success", "message": "Metrics server stopped"}), True),
            ((True, {"status": "success", "message": "Metrics server is not running"}), True),
            ((False, {"status": "warning", "message": "Metrics server is stopping; use Check Server Status in a moment"}), False),
            ((False, {"status": "error", "message": "supervisor could not be identified"}), False),
            ((False, {"status": "warning", "message": "a future wording"}), False),
        )
        for stopped, starts in cases:
            with mock.patch.object(launcher, "stop_server", return_value=stopped) as stop, \
                    mock.patch.object(launcher, "start_server", return_value={"status": "success", "message": "started"}) as start:
                result = plugin.run("restart_server", {}, {"settings": {}})
            stop.assert_called_once_with(remember=False)
            self.assertEqual(start.called, starts, stopped)
            if not starts:
                self.assertEqual(result, {"status": "error", "message": "Could not stop the running server: %s" % stopped[1]["message"]})

    def test_stop_action_and_stop_hook_return_the_result(self):
        plugin = launcher.Plugin.__new__(launcher.Plugin)
        answer = {"status": "success", "message": "Metrics server stopped"}
        with mock.patch.object(launcher, "stop_server", return_value=(True, answer)) as stop:
            self.assertEqual(plugin.run("stop_server", {}, {"settings": {}}), answer)
            stop.assert_called_with(remember=True)
            self.assertEqual(plugin.stop({"settings": {}}), answer)
            stop.assert_called_with(remember=False)


if __name__ == "__main__":
    unittest.main()


class DescriptorLimitTest(unittest.TestCase):
    def test_the_soft_limit_rises_towards_the_hard_limit_within_the_target(self):
        infinity = launcher.resource.RLIM_INFINITY
        self.assertEqual(launcher.raised_descriptor_limit(1024, 4096), 4096)
        self.assertEqual(launcher.raised_descriptor_limit(1024, 1048576), launcher.DESCRIPTOR_TARGET)
        self.assertEqual(launcher.raised_descriptor_limit(1024, infinity), launcher.DESCRIPTOR_TARGET)
        self.assertEqual(launcher.raised_descriptor_limit(200000, 1048576), 200000, "never lowered")
        self.assertEqual(launcher.raised_descriptor_limit(infinity, infinity), infinity)


class ExitDescriptionTest(unittest.TestCase):
    def test_signals_and_statuses_are_named(self):
        self.assertEqual(launcher.exit_description(-9), "was killed by SIGKILL")
        self.assertEqual(launcher.exit_description(-15), "was killed by SIGTERM")
        self.assertEqual(launcher.exit_description(1), "exited with status 1")
        self.assertEqual(launcher.exit_description(-200), "was killed by signal 200")

"""The plugin repository `npm run package` writes (dist/plugin-repository/), checked and installed from the way
Dispatcharr 0.23 and later do it: its manifest against Dispatcharr's checks, then the folder served over loopback
HTTP to a client that adds the repository, lists it, and installs the zip by the manifest's URL, checksum included.

The client is dispatcharr_repository.py, which re-implements Dispatcharr's steps. With DISPATCHARR_SOURCE set
(see dispatcharr_source.py) the same steps also run through Dispatcharr's own functions and must agree.

Run by `npm run test:all` (after `npm run package`); alone: python3 -m unittest plugin.tests.test_repository -v
"""

import functools
import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.request
import zipfile

from plugin.tests import dispatcharr_repository as dispatcharr
from plugin.tests import dispatcharr_source
from plugin.tests.helpers import sha256_of

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
REPOSITORY = os.path.join(ROOT, "dist", "plugin-repository")
LOADER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "load_plugin.py")
KEY = "dispatcharr_exporter"
# The first Dispatcharr with plugin repositories, and the newest this project is tested with.
DISPATCHARR_VERSIONS = ("0.23.0", "0.29.0")

with open(os.path.join(ROOT, "package.json"), encoding="utf-8") as _package:
    PACKAGE = json.load(_package)
VERSION = PACKAGE["version"]
SOURCE_URL = re.sub(r"\.git$", "", re.sub(r"^git\+", "", PACKAGE["repository"]["url"]))


def read_manifest(folder):
    with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as handle:
        return json.load(handle)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *_):
        pass


class StaticHost:
    """A copy of the repository folder on a plain static file server on 127.0.0.1, under a path as on most hosts."""

    def __init__(self, test):
        root = tempfile.mkdtemp(prefix="plugin-repository-")
        test.addCleanup(shutil.rmtree, root, True)
        self.repository = os.path.join(root, "exporter")
        shutil.copytree(REPOSITORY, self.repository)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=root))
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        test.addCleanup(self.server.server_close)
        test.addCleanup(self.server.shutdown)
        self.url = "http://127.0.0.1:%d/exporter" % self.server.server_address[1]
        # The documented way to point the repository at where it is served.
        tsx = os.path.join(ROOT, "node_modules", ".bin", "tsx")
        done = subprocess.run([tsx, "scripts/plugin-repository.ts", "--repository-url", self.url, self.repository],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        test.assertEqual(done.returncode, 0, done.stderr)


class RepositoryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(os.path.join(REPOSITORY, "manifest.json")):
            raise RuntimeError("no plugin repository in %s: run `npm run package` first" % REPOSITORY)

    def setUp(self):
        self.plugins_dir = tempfile.mkdtemp(prefix="dispatcharr-plugins-")
        self.addCleanup(shutil.rmtree, self.plugins_dir, True)

    def test_the_manifest_passes_dispatcharrs_checks(self):
        manifest = read_manifest(REPOSITORY)
        zip_path = os.path.join(REPOSITORY, "dispatcharr-exporter-%s.zip" % VERSION)
        self.assertEqual(sorted(os.listdir(REPOSITORY)), sorted(["manifest.json", "logo.png", os.path.basename(zip_path)]))
        self.assertLessEqual(set(manifest), dispatcharr.MANIFEST_FIELDS, "only fields Dispatcharr knows, none misspelt")
        self.assertIn("plugins", manifest, "the flat form: Dispatcharr wraps it")
        name = dispatcharr.check_registry({"manifest": manifest})
        self.assertNotIn("dispatcharr", name.lower(), "Plugin_repo.md asks third parties to keep it out of the name")
        self.assertEqual(manifest["root_url"], "%s/releases/download/v%s" % (SOURCE_URL, VERSION), "by default, this version's release")

        [entry] = manifest["plugins"]
        self.assertLessEqual(set(entry), dispatcharr.ENTRY_FIELDS, "only fields Dispatcharr knows, none misspelt")
        self.assertRegex(entry["slug"], r"^[A-Za-z0-9_-]+$")
        self.assertTrue(entry["name"])
        with zipfile.ZipFile(zip_path) as archive:
            [folder] = {name.split("/")[0] for name in archive.namelist()}
            plugin_json = json.loads(archive.read("%s/plugin.json" % folder))
        # Dispatcharr keys the installed plugin by the zip's folder and finds it again by the slug.
        self.assertEqual(dispatcharr.plugin_key(entry["slug"]), dispatcharr.plugin_key(folder))
        self.assertEqual(dispatcharr.plugin_key(folder), KEY)
        # Update detection compares the installed plugin.json's version with latest_version.
        self.assertEqual(entry["latest_version"], VERSION)
        self.assertEqual(plugin_json["version"], entry["latest_version"])
        self.assertEqual((entry["name"], entry["description"], entry["author"]),
                         (plugin_json["name"], plugin_json["description"], plugin_json["author"]))
        self.assertEqual(entry["min_dispatcharr_version"], plugin_json["min_dispatcharr_version"])
        for version in DISPATCHARR_VERSIONS:
            self.assertGreaterEqual(dispatcharr.compare_versions(version, entry["min_dispatcharr_version"]), 0, version)
        self.assertNotIn("max_dispatcharr_version", entry)
        self.assertRegex(entry["latest_sha256"], r"^[0-9a-f]{64}$")
        self.assertEqual(entry["latest_sha256"], sha256_of(zip_path))
        self.assertEqual(entry["latest_size"] * 1024, os.path.getsize(zip_path), "latest_size is in KiB, exactly")
        self.assertRegex(entry["last_updated"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual((entry["license"], entry["repo_url"], manifest["registry_url"]), (PACKAGE["license"], SOURCE_URL, SOURCE_URL))
        # Relative URLs resolve against root_url to the folder's own files.
        [shown] = dispatcharr.store_entries({"manifest": manifest})
        for field, file in (("latest_url", os.path.basename(zip_path)), ("icon_url", "logo.png")):
            self.assertEqual(shown[field], "%s/%s" % (manifest["root_url"], file), field)

    def test_install_from_the_served_repository(self):
        host = StaticHost(self)
        data = dispatcharr.fetch_manifest(host.url + "/manifest.json")
        self.assertEqual(dispatcharr.check_registry(data), read_manifest(REPOSITORY)["registry_name"])
        [entry] = dispatcharr.store_entries(data)
        self.assertEqual(entry["latest_url"], "%s/dispatcharr-exporter-%s.zip" % (host.url, VERSION))
        self.assertEqual(entry["key"], KEY)
        with urllib.request.urlopen(entry["icon_url"], timeout=5) as response:
            self.assertEqual(response.read(8), b"\x89PNG\r\n\x1a\n")

        for version in DISPATCHARR_VERSIONS:
            plugins_dir = tempfile.mkdtemp(dir=self.plugins_dir)
            key = dispatcharr.install_from_repo(dispatcharr.install_request(entry), plugins_dir, version)
            self.assertEqual(key, KEY)
        installed = os.path.join(plugins_dir, key)
        self.assertEqual(sorted(os.listdir(installed)), sorted([
            "plugin.json", "plugin.py", "logo.png", "executables.json",
            "dispatcharr-exporter-linux-x64.xz", "dispatcharr-exporter-linux-arm64.xz"]))
        with open(os.path.join(installed, "plugin.json"), encoding="utf-8") as handle:
            self.assertEqual(json.load(handle)["version"], entry["latest_version"])
        self.assertEqual(sha256_of(os.path.join(host.repository, "dispatcharr-exporter-%s.zip" % VERSION)), entry["latest_sha256"])

        # Dispatcharr loads the installed plugin; its actions answer.
        done = subprocess.run([sys.executable, LOADER, installed, "--action", "server_status"],
                              env={"PATH": os.environ.get("PATH", "")}, capture_output=True, text=True, timeout=30)
        self.assertEqual(done.returncode, 0, done.stderr)
        answer = json.loads(done.stdout.strip().splitlines()[-1])
        self.assertEqual(answer["result"]["message"], "Metrics server is not running")
        self.assertLess(answer["seconds"], 2.0)

    def test_a_download_that_does_not_match_the_checksum_is_refused(self):
        host = StaticHost(self)
        [entry] = dispatcharr.store_entries(dispatcharr.fetch_manifest(host.url + "/manifest.json"))
        with open(os.path.join(host.repository, os.path.basename(entry["latest_url"])), "r+b") as handle:
            handle.seek(-1, os.SEEK_END)
            last = handle.read(1)
            handle.seek(-1, os.SEEK_END)
            handle.write(bytes([last[0] ^ 1]))
        with self.assertRaises(dispatcharr.Refused) as caught:
            dispatcharr.install_from_repo(dispatcharr.install_request(entry), self.plugins_dir, "0.29.0")
        self.assertIn("SHA256 integrity check failed", str(caught.exception))
        self.assertEqual(os.listdir(self.plugins_dir), [])


class DispatcharrsOwnCodeTest(unittest.TestCase):
    """The same steps through Dispatcharr's own functions (dispatcharr_source.py), when its source is at hand."""

    @classmethod
    def setUpClass(cls):
        text = dispatcharr_source.source_text()
        if text is None:
            raise unittest.SkipTest("DISPATCHARR_SOURCE is not set")
        cls.own = dispatcharr_source.load(text)

    def test_dispatcharr_accepts_the_repository_and_installs_from_it(self):
        own = self.own
        host = StaticHost(self)
        data, verified = own["_fetch_manifest"](host.url + "/manifest.json")
        self.assertEqual(data, dispatcharr.fetch_manifest(host.url + "/manifest.json"))
        self.assertIsNone(verified, "unsigned")
        repo = dispatcharr_source.StandInRepo()
        self.assertIsNone(own["_save_fetched_manifest_to_repo"](repo, data, verified))
        self.assertEqual(repo.name, dispatcharr.check_registry(data))
        self.assertFalse(own["_is_official_sounding"](repo.name))
        inner = data["manifest"]
        if "_resolve_manifest_base_urls" in own:
            self.assertEqual(own["_resolve_manifest_base_urls"](inner), dispatcharr.base_urls(inner))
        [entry] = dispatcharr.store_entries(data)
        self.assertEqual(own["_sanitize_plugin_key"](entry["slug"]), entry["key"])
        for version in DISPATCHARR_VERSIONS + ("0.14.9", "v0.15.0", "1.0", "0.15.0-rc1"):
            ours = dispatcharr.compare_versions(version, entry["min_dispatcharr_version"])
            theirs = own["_compare_versions"](version, entry["min_dispatcharr_version"])
            self.assertEqual((ours > 0) - (ours < 0), (theirs > 0) - (theirs < 0), version)
        self.assertEqual((own["MAX_PLUGIN_IMPORT_FILES"], own["MAX_PLUGIN_IMPORT_BYTES"], own["MAX_PLUGIN_IMPORT_FILE_BYTES"]),
                         (dispatcharr.MAX_FILES, dispatcharr.MAX_BYTES, dispatcharr.MAX_FILE_BYTES))
        with urllib.request.urlopen(entry["latest_url"], timeout=30) as response, tempfile.TemporaryFile() as download:
            shutil.copyfileobj(response, download)
            download.seek(0)
            self.assertEqual(hashlib.sha256(download.read()).hexdigest(), entry["latest_sha256"])
            download.seek(0)
            theirs_dir, ours_dir = tempfile.mkdtemp(dir=self.plugins_dir()), tempfile.mkdtemp(dir=self.plugins_dir())
            result = own["_install_plugin_from_zip"](download, theirs_dir, file_name="%s.zip" % entry["slug"])
        self.assertEqual(result, {"success": True, "plugin_key": KEY})
        dispatcharr.install_from_repo(dispatcharr.install_request(entry), ours_dir, "0.29.0")
        self.assertEqual(sorted(os.listdir(os.path.join(theirs_dir, KEY))), sorted(os.listdir(os.path.join(ours_dir, KEY))))

    def plugins_dir(self):
        folder = tempfile.mkdtemp(prefix="dispatcharr-plugins-")
        self.addCleanup(shutil.rmtree, folder, True)
        return folder


if __name__ == "__main__":
    unittest.main()

"""Dispatcharr's own plugin-repository functions, run without Django.

Its apps/plugins/api_views.py imports Django and Django REST framework at the top, so it cannot be imported here.
Instead the functions and constants named below are taken from its source with ast and executed in a namespace that
provides what they use: the standard library, and stand-ins for Django's settings and timezone, for `requests`
(over urllib), for the SSRF check (which refuses the loopback address the tests serve on) and for the signature
check (the repository is unsigned). Nothing of Dispatcharr is kept in this project: the source is read, at test
time, from DISPATCHARR_SOURCE, a Dispatcharr checkout or git directory (then at DISPATCHARR_REF, default v0.29.0).
"""

import ast
import datetime
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import urllib.request
import zipfile
from urllib.parse import urlparse

FUNCTIONS = ("_compare_versions", "_sanitize_plugin_key", "_install_plugin_from_zip", "_save_fetched_manifest_to_repo",
             "_resolve_manifest_base_urls", "_is_official_sounding", "_fetch_manifest")
# Dispatcharr 0.23 to 0.26 resolve root_url inline, without this function.
OPTIONAL = ("_resolve_manifest_base_urls",)
CONSTANTS = ("MAX_PLUGIN_IMPORT_FILES", "MAX_PLUGIN_IMPORT_BYTES", "MAX_PLUGIN_IMPORT_FILE_BYTES", "_OFFICIAL_NAME_PATTERNS",
             "MANIFEST_FETCH_TIMEOUT")
SOURCE_PATH = "apps/plugins/api_views.py"


def source_text():
    """The text of Dispatcharr's api_views.py, or None when DISPATCHARR_SOURCE is not set."""
    location = os.environ.get("DISPATCHARR_SOURCE")
    if not location:
        return None
    checkout = os.path.join(location, SOURCE_PATH)
    if os.path.exists(checkout):
        with open(checkout, encoding="utf-8") as handle:
            return handle.read()
    ref = os.environ.get("DISPATCHARR_REF", "v0.29.0")
    return subprocess.run(["git", "--git-dir", location, "show", "%s:%s" % (ref, SOURCE_PATH)],
                          check=True, capture_output=True, text=True).stdout


class _Settings:
    """Django settings without the plugin-import overrides, so the constants take Dispatcharr's defaults."""


class _Timezone:
    @staticmethod
    def now():
        return datetime.datetime.now(datetime.timezone.utc)


class _Response:
    def __init__(self, url, timeout):
        self._response = urllib.request.urlopen(url, timeout=timeout)

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self._response.close()

    def raise_for_status(self):
        pass  # urlopen raises on an error status already

    def iter_content(self, chunk_size):
        return iter(lambda: self._response.read(chunk_size), b"")

    def json(self):
        return json.loads(self._response.read())


class _Requests:
    @staticmethod
    def get(url, timeout=None, stream=False):  # requests.get's signature; the body is always streamed
        return _Response(url, timeout)


def _wanted(node):
    if isinstance(node, ast.FunctionDef):
        return node.name in FUNCTIONS
    if isinstance(node, ast.Assign):
        return any(isinstance(target, ast.Name) and target.id in CONSTANTS for target in node.targets)
    return False


def load(text):
    """{name: function or constant} of Dispatcharr's code, ready to call."""
    tree = ast.parse(text)
    body = [node for node in tree.body if _wanted(node)]
    found = {node.name if isinstance(node, ast.FunctionDef) else node.targets[0].id for node in body}
    missing = set(FUNCTIONS + CONSTANTS) - set(OPTIONAL) - found
    if missing:
        raise LookupError("not in Dispatcharr's %s: %s" % (SOURCE_PATH, ", ".join(sorted(missing))))
    namespace = {
        "hashlib": hashlib, "json": json, "os": os, "re": re, "shutil": shutil, "tempfile": tempfile, "zipfile": zipfile,
        "urlparse": urlparse, "logger": logging.getLogger("dispatcharr"), "settings": _Settings(), "timezone": _Timezone,
        "http_requests": _Requests, "_validate_fetch_url": lambda url: None,
        "_verify_manifest_signature": lambda manifest, signature, key=None: None,
    }
    exec(compile(ast.Module(body=body, type_ignores=[]), SOURCE_PATH, "exec"), namespace)
    return namespace


class StandInRepo:
    """The PluginRepo row _save_fetched_manifest_to_repo fills in."""

    def __init__(self):
        self.is_official = False
        self.saved = None

    def save(self, update_fields=None):
        self.saved = update_fields

"""What Dispatcharr (0.23 to 0.29) does with a plugin repository, re-implemented for the tests from the behaviour of
its apps/plugins/api_views.py at v0.29.0 (the store's install button in frontend/.../AvailablePluginCard.jsx).
Each function names the one it mirrors. Standard library only.
"""

import hashlib
import json
import os
import re
import shutil
import tempfile
import urllib.request
import zipfile

# Dispatcharr's defaults for DISPATCHARR_PLUGIN_IMPORT_MAX_FILES, _MAX_BYTES and _MAX_FILE_BYTES.
MAX_FILES = 2000
MAX_BYTES = 200 * 1024 * 1024
MAX_FILE_BYTES = 200 * 1024 * 1024
# Registry names of third-party repositories must not contain these (lower-cased) texts.
OFFICIAL_SOUNDING = ("official", "official repo", "dispatcharr plugins", "dispatcharr repo", "dispatcharr official")
# The plugin-entry fields Plugin_repo.md documents; others pass through to the store untouched.
ENTRY_FIELDS = {
    "slug", "name", "description", "author", "maintainers", "license", "deprecated", "repo_url", "discord_thread",
    "latest_version", "last_updated", "manifest_url", "latest_url", "latest_sha256", "latest_md5", "latest_size",
    "icon_url", "min_dispatcharr_version", "max_dispatcharr_version",
}
MANIFEST_FIELDS = {"registry_name", "registry_url", "root_url", "download_base_url", "metadata_base_url", "plugins"}


class Refused(Exception):
    """Dispatcharr would refuse this; the message is its reason."""


def fetch_manifest(url):
    """_fetch_manifest (its SSRF check aside, see install_from_repo): the wrapped form {"manifest": {"plugins"...},
    "signature"...} is taken as it is, the flat form {"plugins"...} is wrapped, anything else is refused."""
    with urllib.request.urlopen(url, timeout=15) as response:
        data = json.loads(response.read())
    if "manifest" in data and "plugins" in data["manifest"]:
        return data
    if "plugins" in data:
        return {"manifest": data}
    raise Refused("Manifest JSON missing 'manifest.plugins' list")


def check_registry(data, official=False):
    """_save_fetched_manifest_to_repo with _is_official_sounding: the repository's name, or why it is refused."""
    inner = data.get("manifest", data)
    name = (inner.get("registry_name") or "").strip()
    if not name:
        raise Refused("Manifest is missing a 'registry_name'.")
    if not official and any(text in name.lower().strip() for text in OFFICIAL_SOUNDING):
        raise Refused("The registry name '%s' is not allowed." % name)
    return name


def base_urls(manifest):
    """_resolve_manifest_base_urls: (download base, metadata base), each falling back to root_url, no trailing slash."""
    root = manifest.get("root_url", "").rstrip("/")
    return (manifest.get("download_base_url", "").rstrip("/") or root, manifest.get("metadata_base_url", "").rstrip("/") or root)


def _resolved(base, value):
    return "%s/%s" % (base, value) if base and value and not value.startswith(("http://", "https://")) else value


def plugin_key(slug):
    """_sanitize_plugin_key: the folder name Dispatcharr gives a plugin, from a slug or a zip's folder."""
    text = os.path.basename(slug or "").replace(" ", "_").replace("-", "_").lower()
    text = re.sub(r"[^a-z0-9_]", "_", text).strip("._ ")
    return text or "plugin"


def store_entries(data):
    """AvailablePluginsAPIView.get: the repository's plugin entries as the store shows them, with relative URLs
    resolved (manifest_url and icon_url on the metadata base, latest_url on the download base) and their key.
    The icon fallbacks for entries without icon_url are left out."""
    manifest = data.get("manifest", data)
    download_base, metadata_base = base_urls(manifest)
    entries = []
    for plugin in manifest.get("plugins", []):
        entry = dict(plugin)
        for field in ("manifest_url", "icon_url"):
            if entry.get(field):
                entry[field] = _resolved(metadata_base, entry[field])
        if entry.get("latest_url"):
            entry["latest_url"] = _resolved(download_base, entry["latest_url"])
        entry["key"] = plugin_key(entry.get("slug", ""))
        entries.append(entry)
    return entries


def compare_versions(a, b):
    """_compare_versions: below, equal or above 0 as a is older, the same or newer than b; a leading "v" is ignored,
    and any part that is not a number makes it a plain equality test (0 or 1)."""
    if not a or not b:
        return 0
    left, right = a.lstrip("v"), b.lstrip("v")
    if not all(part.isdigit() for part in left.split(".") + right.split(".")):
        return 0 if left == right else 1
    left_parts, right_parts = [int(part) for part in left.split(".")], [int(part) for part in right.split(".")]
    for index in range(max(len(left_parts), len(right_parts))):
        difference = (left_parts[index] if index < len(left_parts) else 0) - (right_parts[index] if index < len(right_parts) else 0)
        if difference:
            return difference
    return 0


def install_request(entry):
    """What the store's Install button posts for a repository entry without a per-plugin manifest."""
    return {
        "slug": entry["slug"], "version": entry.get("latest_version"), "download_url": entry.get("latest_url"),
        "sha256": entry.get("latest_sha256"), "min_dispatcharr_version": entry.get("min_dispatcharr_version"),
        "max_dispatcharr_version": entry.get("max_dispatcharr_version"),
    }


def install_from_repo(request, plugins_dir, app_version):
    """PluginInstallFromRepoAPIView.post, up to the database: returns the installed plugin's key.

    Left out: its SSRF check (_validate_fetch_url), which refuses loopback and private addresses, since these tests
    serve the repository on 127.0.0.1; a real repository must be on a public address."""
    if not all([request.get("slug"), request.get("version"), request.get("download_url")]):
        raise Refused("repo_id, slug, version, and download_url are required")
    minimum, maximum = request.get("min_dispatcharr_version"), request.get("max_dispatcharr_version")
    if minimum and compare_versions(app_version, minimum) < 0:
        raise Refused("This plugin version requires Dispatcharr %s or newer (you have %s)" % (minimum, app_version))
    if maximum and compare_versions(app_version, maximum) > 0:
        raise Refused("This plugin version requires Dispatcharr %s or older (you have %s)" % (maximum, app_version))
    expected = (request.get("sha256") or "").lower().strip()
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile(suffix=".zip") as download:
        total = 0
        with urllib.request.urlopen(request["download_url"], timeout=60) as response:
            for chunk in iter(lambda: response.read(8192), b""):
                total += len(chunk)
                if total > MAX_BYTES:
                    raise Refused("Download is too large")
                digest.update(chunk)
                download.write(chunk)
        if expected and digest.hexdigest() != expected:
            raise Refused("SHA256 integrity check failed - download discarded.")
        download.flush()
        download.seek(0)
        return install_zip(download, plugins_dir, "%s.zip" % request["slug"])


def install_zip(zip_file, plugins_dir, file_name):
    """_install_plugin_from_zip without overwrite: checks the limits and paths, extracts to a temporary folder, takes
    the shallowest folder with plugin.py (else __init__.py) as the plugin, names it by that folder (by the zip's name
    when the files are at the top), moves it into plugins_dir and puts the preferred logo.png in it. Returns the key."""
    try:
        archive = zipfile.ZipFile(zip_file)
    except zipfile.BadZipFile:
        raise Refused("Invalid zip file")
    members = [member for member in archive.infolist() if not member.is_dir()]
    if not members:
        raise Refused("Archive is empty")
    if len(members) > MAX_FILES:
        raise Refused("Archive has too many files")
    if any(member.file_size > MAX_FILE_BYTES for member in members):
        raise Refused("Archive contains a file that is too large")
    if sum(member.file_size for member in members) > MAX_BYTES:
        raise Refused("Archive is too large")
    root = tempfile.mkdtemp(prefix="plugin_import_")
    try:
        for member in members:
            relative = os.path.normpath(member.filename)
            if relative.startswith("..") or os.path.isabs(relative):
                raise Refused("Unsafe path in archive")
            target = os.path.join(root, relative)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with archive.open(member) as source, open(target, "wb") as destination:
                shutil.copyfileobj(source, destination)
        candidates, logos = [], []
        for folder, _, files in os.walk(root):
            depth = len(os.path.relpath(folder, root).split(os.sep))
            if "plugin.py" in files or "__init__.py" in files:
                candidates.append((0 if "plugin.py" in files else 1, depth, folder))
            logos += [(depth, os.path.join(folder, name)) for name in files if name.lower() == "logo.png"]
        if not candidates:
            raise Refused("Invalid plugin: missing plugin.py or package __init__.py")
        chosen = sorted(candidates)[0][2]
        at_top = chosen.rstrip(os.sep) == root.rstrip(os.sep)
        key = plugin_key(os.path.splitext(file_name)[0] if at_top else os.path.basename(chosen.rstrip(os.sep)))[:128]
        logo = None
        if logos:
            inside = sorted((0 if os.path.commonpath([chosen, path]) == chosen else 1, depth, path) for depth, path in logos)
            with open(inside[0][2], "rb") as handle:
                logo = handle.read()
        final = os.path.join(plugins_dir, key)
        if os.path.exists(os.path.join(final, "plugin.py")) or os.path.exists(os.path.join(final, "__init__.py")):
            raise Refused("Plugin '%s' already exists" % key)
        shutil.rmtree(final, ignore_errors=True)
        if at_top:
            os.makedirs(final)
            for name in os.listdir(root):
                shutil.move(os.path.join(root, name), os.path.join(final, name))
        else:
            shutil.move(chosen, final)
        if logo:
            with open(os.path.join(final, "logo.png"), "wb") as handle:
                handle.write(logo)
        return key
    finally:
        shutil.rmtree(root, ignore_errors=True)

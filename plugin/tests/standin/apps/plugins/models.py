"""Stand-in for Dispatcharr's PluginConfig model: reads the real plugins_pluginconfig table through psql."""
import json
import os
import subprocess


class _Row:
    def __init__(self, key, enabled, settings):
        self.key = key
        self.enabled = enabled
        self.settings = settings


class _Query:
    def __init__(self, key):
        self.key = key

    def first(self):
        out = subprocess.run(
            ["psql", os.environ["STANDIN_DATABASE_URL"], "-At", "-v", "ON_ERROR_STOP=1", "-c",
             "SELECT enabled, settings::text FROM plugins_pluginconfig WHERE key = '%s'" % self.key.replace("'", "''")],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
        if not out:
            return None
        enabled, settings = out.split("|", 1)
        return _Row(self.key, enabled == "t", json.loads(settings))


class _Manager:
    def filter(self, key):
        return _Query(key)


class PluginConfig:
    objects = _Manager()

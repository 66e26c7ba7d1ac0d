"""Loads plugin.py the way Dispatcharr's loader does and optionally runs one action.

usage: load_plugin.py <plugin dir> [--linger SECONDS] [--action ID] [--stop-hook]
Prints one JSON line: {"result": ..., "seconds": ...}.
"""
import importlib.util
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "standin"))


def main():
    plugin_dir = sys.argv[1]
    args = sys.argv[2:]
    key = os.path.basename(plugin_dir)
    sys.path.append(os.path.dirname(plugin_dir))
    spec = importlib.util.spec_from_file_location("_dispatcharr_plugin_%s.plugin" % key, os.path.join(plugin_dir, "plugin.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    started = time.monotonic()
    plugin = module.Plugin()
    result = None
    if "--action" in args:
        action = args[args.index("--action") + 1]
        settings = json.loads(os.environ.get("STANDIN_SETTINGS", "{}"))
        result = plugin.run(action, {}, {"settings": settings, "logger": None, "actions": {}})
    if "--stop-hook" in args:
        result = plugin.stop({"settings": {}, "reason": "disable"})
    print(json.dumps({"result": result, "seconds": time.monotonic() - started}), flush=True)
    if "--linger" in args:
        time.sleep(float(args[args.index("--linger") + 1]))


main()

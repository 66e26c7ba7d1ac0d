"""Stand-in for the part of Django the launcher touches: django.conf.settings."""

"""Stand-in django.conf.settings, filled from the test environment the way Dispatcharr's settings.py fills it."""
import os
from urllib.parse import unquote, urlparse


class _Settings:
    def __init__(self):
        db = urlparse(os.environ["STANDIN_DATABASE_URL"])
        self.DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "HOST": db.hostname,
                "PORT": str(db.port),
                "NAME": db.path.lstrip("/"),
                "USER": unquote(db.username or ""),
                "PASSWORD": unquote(db.password or ""),
            }
        }
        redis = urlparse(os.environ["STANDIN_REDIS_URL"])
        self.REDIS_HOST = redis.hostname
        self.REDIS_PORT = redis.port
        self.REDIS_DB = int(os.environ.get("STANDIN_REDIS_DB", "0"))


settings = _Settings()

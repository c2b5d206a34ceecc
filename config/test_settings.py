"""Settings for the test suite: production-like (DEBUG off) but with fast hashing,
in-memory email and no TLS redirect. The database comes from DATABASE_URL as usual."""

import os

os.environ.setdefault("SECRET_KEY", "test-" + "k" * 60)
os.environ.setdefault("TESTING", "true")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from config.settings import *  # noqa: F403

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Unit tests run tasks in-process; integration tests start a real worker on Redis.
CELERY_TASK_ALWAYS_EAGER = True

from .base import *  # noqa: F401,F403

DEBUG = False
CELERY_RESULT_SERIALIZER = "pickle"
CELERY_RESULT_ACCEPT_CONTENT = ["json", "pickle"]

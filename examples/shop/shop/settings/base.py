import os

SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only")
INSTALLED_APPS = ["django_celery_results", "orders"]

CELERY_BROKER_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
CELERY_RESULT_BACKEND = "django-db"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True

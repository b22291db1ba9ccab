import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lightbox.settings")
application = get_wsgi_application()

from lightbox.search import store  # noqa: E402 - needs the settings loaded above

store.warm_up()

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lightbox.settings")
application = get_wsgi_application()

from lightbox.learning import lexicon  # noqa: E402 - needs the settings loaded above
from lightbox.search import store  # noqa: E402

store.warm_up()
lexicon.warm_up()

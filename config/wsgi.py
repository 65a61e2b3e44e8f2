import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# What is loaded by now (Django, the apps and their registries) lives as long as the process:
# frozen, it is left out of the garbage collector's full passes, which otherwise walk all of
# it again and again while requests are served (issue 13: a report's p99).
gc.freeze()

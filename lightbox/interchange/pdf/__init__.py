"""PDF export (WeasyPrint): a case with its answer or as a handout with the unknown first,
a topic page, and a conference agenda as a handout for the room.

- :mod:`.render`: HTML to PDF, fetching nothing but the pictures it is handed (Django-free);
- :mod:`.documents`: what each PDF holds, built from what the views allowed;
- :mod:`.views` and :mod:`.urls`: ``/cases/<number>/pdf``, ``/topics/<slug>/pdf``,
  ``/conferences/<id>/pdf``, each open to exactly who may read its HTML page;
- :mod:`.checks`: the system check that WeasyPrint's libraries are installed.

See docs/interchange.md#pdf-and-print.
"""

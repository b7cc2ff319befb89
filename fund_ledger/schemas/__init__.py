"""Every input declared once (marshmallow), loaded alike by the pages, the API, imports and the command line."""

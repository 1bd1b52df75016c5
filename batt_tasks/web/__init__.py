"""`batt serve`: read-only web pages of the record (Flask, Jinja2 with autoescape)."""

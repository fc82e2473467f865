"""siteaudit: audit the official websites of medical organizations against a checklist."""

__version__ = "0.1.0"

"""The console's pages, one module each; shared/console/app.py imports them (which registers their routes and their
side-bar entries)."""

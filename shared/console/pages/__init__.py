"""The console's pages, one module each. Importing a module registers its routes and its side-bar entry."""

PAGES = ("login", "dashboard", "users", "tasks", "disputes", "money", "rules", "audit", "assets")

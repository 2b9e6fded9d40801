"""Leaderboards (issue 8): weekly, monthly, all-time and per-skill boards from XpGranted / SkillPointsGranted, periods
in Asia/Shanghai. See docs/GROWTH-BADGES.md."""

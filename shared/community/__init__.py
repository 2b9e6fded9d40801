"""Community posts (issue 9): developers and merchants post short texts, like, comment and report them; operators
hide and restore. Text passes WeChat content security before the unit of work opens. See docs/COMMUNITY.md."""

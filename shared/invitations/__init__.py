"""Invitations (issue 9): a code and a share link per user, attribution by the invitee's claim right after
registration, credit once the invitee has bound a phone and completed the resume card. See docs/COMMUNITY.md."""

-- Invitations (issue 9): a code per user, and one attribution per invitee (recorded by the invitee's claim right
-- after registration: UserRegistered does not carry a code). Credited once the invitee has bound a phone and
-- completed the resume card; refused at credit time when inviter and invitee turn out to share a phone or unionid.
CREATE TABLE invitation_codes (
    user_id         bigint PRIMARY KEY REFERENCES users(id),
    code            text NOT NULL UNIQUE CHECK (code ~ '^[A-Z2-9]{8}$'),
    created_at      timestamptz NOT NULL
);

CREATE TABLE invitations (
    id              bigserial PRIMARY KEY,
    inviter_id      bigint NOT NULL REFERENCES users(id),
    invitee_id      bigint NOT NULL UNIQUE REFERENCES users(id),   -- one inviter per invitee, for good
    code            text NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'credited', 'refused')),
    phone_bound     boolean NOT NULL DEFAULT false,
    profile_completed boolean NOT NULL DEFAULT false,
    refused_reason  text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    credited_at     timestamptz,
    CHECK (inviter_id <> invitee_id)
);
CREATE INDEX invitations_inviter ON invitations (inviter_id, id DESC);

-- The public resume card page (简历卡片): what the developer chose to show beyond the profile's public fields, and
-- whether the page is up at all. No row = the page is off (opt in); turning it off takes the page down at once.
CREATE TABLE resume_cards (
    user_id         bigint PRIMARY KEY REFERENCES users(id),
    enabled         boolean NOT NULL DEFAULT false,
    sections        text[] NOT NULL DEFAULT '{growth,badges,rated_work,challenges,letters}',
    wxa_code_key    text,                        -- COS key of the mini-program code PNG, made on first share
    updated_at      timestamptz NOT NULL
);

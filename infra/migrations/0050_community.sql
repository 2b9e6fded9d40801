-- Community posts (issue 9): posts, likes, comments and reports; operators hide and restore posts. The counters on
-- `posts` are kept by the community area's own in-transaction subscribers of PostLiked / PostUnliked /
-- PostCommented / PostReported, so a list reads one row per post.
CREATE TABLE posts (
    id              bigserial PRIMARY KEY,
    author_id       bigint NOT NULL REFERENCES users(id),
    body            text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
    tags            text[] NOT NULL DEFAULT '{}',
    status          text NOT NULL DEFAULT 'visible' CHECK (status IN ('visible', 'hidden')),
    like_count      int NOT NULL DEFAULT 0 CHECK (like_count >= 0),
    comment_count   int NOT NULL DEFAULT 0 CHECK (comment_count >= 0),
    report_count    int NOT NULL DEFAULT 0 CHECK (report_count >= 0),
    hidden_reason   text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
-- The feed: newest visible first, keyset on (created_at, id).
CREATE INDEX posts_feed ON posts (created_at DESC, id DESC) WHERE status = 'visible';
CREATE INDEX posts_author ON posts (author_id, created_at DESC, id DESC);
-- The operators' report queue: only visible posts someone reported.
CREATE INDEX posts_reported ON posts (report_count DESC, id) WHERE status = 'visible' AND report_count > 0;

-- One like per (post, user): liking twice is a no-op, unliking what was not liked too.
CREATE TABLE post_likes (
    post_id         bigint NOT NULL REFERENCES posts(id),
    user_id         bigint NOT NULL REFERENCES users(id),
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (post_id, user_id)
);

CREATE TABLE post_comments (
    id              bigserial PRIMARY KEY,
    post_id         bigint NOT NULL REFERENCES posts(id),
    author_id       bigint NOT NULL REFERENCES users(id),
    body            text NOT NULL CHECK (length(body) BETWEEN 1 AND 500),
    created_at      timestamptz NOT NULL
);
CREATE INDEX post_comments_post ON post_comments (post_id, created_at, id);

-- One report per (post, reporter).
CREATE TABLE post_reports (
    post_id         bigint NOT NULL REFERENCES posts(id),
    reporter_id     bigint NOT NULL REFERENCES users(id),
    reason          text NOT NULL,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (post_id, reporter_id)
);

-- CodeLink core schema: users and auth, profiles, skills taxonomy, tasks, applications, deliveries, ratings,
-- notifications, durable jobs, points, operator config, behaviour log. All timestamps are timestamptz (UTC).

CREATE TABLE users (
    id              bigserial PRIMARY KEY,
    openid          text UNIQUE,
    unionid         text,
    phone           text UNIQUE,               -- E.164, e.g. +8613800000000
    nickname        text NOT NULL DEFAULT '',
    roles           text[] NOT NULL DEFAULT '{}',  -- developer / merchant / admin
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'banned')),
    premium_until   timestamptz,                -- premium member (higher application cap)
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    CHECK (openid IS NOT NULL OR phone IS NOT NULL)
);

CREATE TABLE sms_codes (
    id              bigserial PRIMARY KEY,
    phone           text NOT NULL,
    code_hash       text NOT NULL,
    expires_at      timestamptz NOT NULL,
    attempts        int NOT NULL DEFAULT 0,
    consumed_at     timestamptz,
    created_at      timestamptz NOT NULL
);
CREATE INDEX sms_codes_phone_created ON sms_codes (phone, created_at DESC);

CREATE TABLE refresh_tokens (
    jti             text PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES users(id),
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    replaced_by     text,
    created_at      timestamptz NOT NULL
);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE skill_categories (
    slug            text PRIMARY KEY,
    name            text NOT NULL,
    position        int NOT NULL
);

CREATE TABLE skills (
    slug            text PRIMARY KEY,
    name            text NOT NULL,
    category        text NOT NULL REFERENCES skill_categories(slug)
);

CREATE TABLE developer_profiles (
    user_id         bigint PRIMARY KEY REFERENCES users(id),
    display_name    text NOT NULL DEFAULT '',
    headline        text NOT NULL DEFAULT '',
    bio             text NOT NULL DEFAULT '',
    city            text NOT NULL DEFAULT '',
    years_experience int NOT NULL DEFAULT 0 CHECK (years_experience BETWEEN 0 AND 60),
    skills          text[] NOT NULL DEFAULT '{}',
    links           jsonb NOT NULL DEFAULT '[]',
    experience      jsonb NOT NULL DEFAULT '[]',
    public_fields   text[] NOT NULL DEFAULT '{display_name,headline,skills,rating}',
    rating_count    int NOT NULL DEFAULT 0,
    rating_sum      int NOT NULL DEFAULT 0,
    completed_tasks int NOT NULL DEFAULT 0,
    points_balance  bigint NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

CREATE TABLE merchant_profiles (
    user_id         bigint PRIMARY KEY REFERENCES users(id),
    name            text NOT NULL DEFAULT '',
    company         text NOT NULL DEFAULT '',
    description     text NOT NULL DEFAULT '',
    rating_count    int NOT NULL DEFAULT 0,
    rating_sum      int NOT NULL DEFAULT 0,
    -- 48-hour guarantee: applications whose window has closed, and those answered inside it.
    responses_due   int NOT NULL DEFAULT 0,
    responses_on_time int NOT NULL DEFAULT 0,
    tasks_approved  int NOT NULL DEFAULT 0,   -- first-time merchants go through review until one is approved
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

CREATE TABLE tasks (
    id              bigserial PRIMARY KEY,
    merchant_id     bigint NOT NULL REFERENCES users(id),
    title           text NOT NULL,
    description     text NOT NULL,
    skill_tags      text[] NOT NULL,
    difficulty      smallint NOT NULL CHECK (difficulty BETWEEN 1 AND 5),
    reward_fen      bigint NOT NULL CHECK (reward_fen > 0),
    deadline        timestamptz NOT NULL,
    status          text NOT NULL CHECK (status IN ('pending_review', 'awaiting_funding', 'open', 'in_progress',
                        'delivered', 'completed', 'cancelled', 'expired', 'rejected', 'disputed', 'failed')),
    is_platform     boolean NOT NULL DEFAULT false,
    review_reason   text,
    moderation_label text,
    assignee_id     bigint REFERENCES users(id),
    revision_count  int NOT NULL DEFAULT 0,
    applications_count int NOT NULL DEFAULT 0,
    published_at    timestamptz,               -- when it became visible in the hall
    delivered_at    timestamptz,
    completed_at    timestamptz,
    closed_at       timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    version         int NOT NULL DEFAULT 1
);
-- The hall only ever reads open tasks: partial indexes keep them small at a million rows.
CREATE INDEX tasks_hall_newest ON tasks (published_at DESC, id DESC) WHERE status = 'open';
CREATE INDEX tasks_hall_reward ON tasks (reward_fen DESC, id DESC) WHERE status = 'open';
CREATE INDEX tasks_hall_deadline ON tasks (deadline ASC, id ASC) WHERE status = 'open';
CREATE INDEX tasks_hall_tags ON tasks USING gin (skill_tags) WHERE status = 'open';
CREATE INDEX tasks_merchant ON tasks (merchant_id, created_at DESC);
CREATE INDEX tasks_review_queue ON tasks (created_at) WHERE status = 'pending_review';
CREATE INDEX tasks_open_deadline ON tasks (deadline) WHERE status IN ('open', 'pending_review', 'awaiting_funding');
CREATE INDEX tasks_delivered ON tasks (delivered_at) WHERE status = 'delivered';

CREATE TABLE applications (
    id              bigserial PRIMARY KEY,
    task_id         bigint NOT NULL REFERENCES tasks(id),
    developer_id    bigint NOT NULL REFERENCES users(id),
    note            text NOT NULL DEFAULT '',
    resume_snapshot jsonb NOT NULL,
    status          text NOT NULL CHECK (status IN ('submitted', 'shortlisted', 'accepted', 'rejected',
                        'withdrawn', 'no_response', 'closed')),
    reject_reason   text,
    created_at      timestamptz NOT NULL,
    due_at          timestamptz NOT NULL,      -- created_at + 48 h: the merchant must respond before
    responded_at    timestamptz,
    reminded_24_at  timestamptz,
    reminded_40_at  timestamptz,
    closed_at       timestamptz,
    updated_at      timestamptz NOT NULL,
    UNIQUE (task_id, developer_id)
);
CREATE INDEX applications_task ON applications (task_id, created_at);
CREATE INDEX applications_developer ON applications (developer_id, created_at DESC);
CREATE INDEX applications_awaiting ON applications (created_at) WHERE status = 'submitted';

CREATE TABLE deliveries (
    id              bigserial PRIMARY KEY,
    task_id         bigint NOT NULL REFERENCES tasks(id),
    developer_id    bigint NOT NULL REFERENCES users(id),
    round           int NOT NULL,
    content         text NOT NULL,
    links           jsonb NOT NULL DEFAULT '[]',
    decision        text CHECK (decision IN ('accepted', 'revision_requested', 'auto_accepted', 'disputed')),
    decision_note   text,
    decided_at      timestamptz,
    created_at      timestamptz NOT NULL,
    UNIQUE (task_id, round)
);

CREATE TABLE ratings (
    id              bigserial PRIMARY KEY,
    task_id         bigint NOT NULL REFERENCES tasks(id),
    rater_id        bigint NOT NULL REFERENCES users(id),
    ratee_id        bigint NOT NULL REFERENCES users(id),
    direction       text NOT NULL CHECK (direction IN ('merchant_to_developer', 'developer_to_merchant')),
    stars           smallint NOT NULL CHECK (stars BETWEEN 1 AND 5),
    comment         text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    UNIQUE (task_id, rater_id)
);
CREATE INDEX ratings_ratee ON ratings (ratee_id, created_at DESC);

CREATE TABLE notifications (
    id              bigserial PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES users(id),
    kind            text NOT NULL,
    title           text NOT NULL,
    body            text NOT NULL,
    data            jsonb NOT NULL DEFAULT '{}',
    dedupe_key      text,
    read_at         timestamptz,
    created_at      timestamptz NOT NULL
);
CREATE INDEX notifications_inbox ON notifications (user_id, id DESC);
CREATE UNIQUE INDEX notifications_dedupe ON notifications (user_id, dedupe_key) WHERE dedupe_key IS NOT NULL;

-- One-time subscribe-message authorisations the user granted in the mini-program (wx.requestSubscribeMessage).
CREATE TABLE subscribe_consents (
    user_id         bigint NOT NULL REFERENCES users(id),
    template_id     text NOT NULL,
    remaining       int NOT NULL DEFAULT 0 CHECK (remaining >= 0),
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (user_id, template_id)
);

-- Durable jobs (transactional outbox): written in the same transaction as the change that causes them.
CREATE TABLE jobs (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL,
    payload         jsonb NOT NULL DEFAULT '{}',
    dedupe_key      text,
    status          text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    attempts        int NOT NULL DEFAULT 0,
    max_attempts    int NOT NULL DEFAULT 6,
    run_at          timestamptz NOT NULL,
    locked_until    timestamptz,
    last_error      text,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX jobs_ready ON jobs (run_at) WHERE status = 'queued';
CREATE INDEX jobs_running ON jobs (locked_until) WHERE status = 'running';
CREATE UNIQUE INDEX jobs_dedupe ON jobs (kind, dedupe_key) WHERE dedupe_key IS NOT NULL;

-- Growth points (成长积分): an append-only ledger; the balance on developer_profiles is its running sum.
CREATE TABLE points_entries (
    id              bigserial PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES users(id),
    delta           int NOT NULL CHECK (delta <> 0),
    reason          text NOT NULL,
    ref             text NOT NULL,              -- what caused it; (reason, ref) makes each grant idempotent
    note            text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    UNIQUE (user_id, reason, ref)
);

-- Operator-tunable rules (SPEC defaults), edited from the admin side without a deploy.
CREATE TABLE config_values (
    key             text PRIMARY KEY,
    value           jsonb NOT NULL,
    updated_by      bigint REFERENCES users(id),
    updated_at      timestamptz NOT NULL
);

-- Behaviour log: every state change, who did it, when. Admin actions are audited here too.
CREATE TABLE activity_log (
    id              bigserial PRIMARY KEY,
    actor_id        bigint,
    entity          text NOT NULL,
    entity_id       bigint NOT NULL,
    action          text NOT NULL,
    data            jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL
);
CREATE INDEX activity_log_entity ON activity_log (entity, entity_id, id);

-- The curated skill taxonomy.
INSERT INTO skill_categories (slug, name, position) VALUES
    ('backend', '后端', 1), ('frontend', '前端', 2), ('mobile', '移动端', 3), ('data', '数据', 4),
    ('devops', '运维', 5), ('design', '设计', 6), ('testing', '测试', 7), ('ai', '人工智能', 8);
INSERT INTO skills (slug, name, category) VALUES
    ('python', 'Python', 'backend'), ('java', 'Java', 'backend'), ('go', 'Go', 'backend'),
    ('nodejs', 'Node.js', 'backend'), ('php', 'PHP', 'backend'), ('rust', 'Rust', 'backend'),
    ('postgresql', 'PostgreSQL', 'backend'), ('mysql', 'MySQL', 'backend'), ('redis', 'Redis', 'backend'),
    ('javascript', 'JavaScript', 'frontend'), ('typescript', 'TypeScript', 'frontend'), ('vue', 'Vue', 'frontend'),
    ('react', 'React', 'frontend'), ('css', 'CSS', 'frontend'), ('taro', 'Taro', 'frontend'),
    ('miniprogram', '微信小程序', 'mobile'), ('android', 'Android', 'mobile'), ('ios', 'iOS', 'mobile'),
    ('flutter', 'Flutter', 'mobile'), ('uniapp', 'uni-app', 'mobile'),
    ('sql', 'SQL', 'data'), ('spark', 'Spark', 'data'), ('etl', 'ETL', 'data'), ('crawler', '爬虫', 'data'),
    ('docker', 'Docker', 'devops'), ('kubernetes', 'Kubernetes', 'devops'), ('linux', 'Linux', 'devops'),
    ('ci-cd', 'CI/CD', 'devops'), ('tencent-cloud', '腾讯云', 'devops'),
    ('ui-design', 'UI 设计', 'design'), ('figma', 'Figma', 'design'),
    ('automation-testing', '自动化测试', 'testing'), ('performance-testing', '性能测试', 'testing'),
    ('machine-learning', '机器学习', 'ai'), ('llm', '大模型应用', 'ai'), ('computer-vision', '计算机视觉', 'ai');

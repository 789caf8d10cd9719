-- A person's own API tokens for the products' APIs. The secret is never stored, only its
-- SHA-256 digest. Deactivating the account revokes them all.

CREATE TABLE user_api_tokens (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    digest TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX user_api_tokens_account ON user_api_tokens (account_id, id);

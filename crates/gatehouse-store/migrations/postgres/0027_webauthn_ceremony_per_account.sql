-- An account keeps one WebAuthn ceremony of each purpose (a new one replaces the last), found
-- by this index. Passkey sign-ins store no ceremony before a key has signed; their rows are
-- the spent ones, remembered until their token could no longer be sent.
CREATE INDEX webauthn_ceremonies_account ON webauthn_ceremonies (account_id, purpose);

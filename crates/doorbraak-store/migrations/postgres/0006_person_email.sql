-- A person's e-mail address (issue #14): from the OIDC `email` claim at each login, or from
-- node.toml for development accounts; none means in-app notices only.
ALTER TABLE persons ADD COLUMN email TEXT;

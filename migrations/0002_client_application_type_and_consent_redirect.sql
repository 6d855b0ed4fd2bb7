-- RFC 7591 §2 application_type ("web" or "native"), stored as the client registered it.
ALTER TABLE clients ADD COLUMN application_type TEXT;

-- The redirect URI a consent was given for. A public client's remembered consent only
-- covers that URI (port included, RFC 8252 §8.6): another local process that reuses the
-- client id on another loopback port is asked again.
ALTER TABLE consents ADD COLUMN redirect_uri TEXT;

-- Every TokenService instance keeps the revocation list in memory (introspection, the management API): a new row
-- is announced on the same channel as other changes (function from 0010) so each instance reads it at once.
CREATE TRIGGER revocations_changed
    AFTER INSERT ON revocations
    FOR EACH STATEMENT EXECUTE FUNCTION notify_tokenservice_change();

-- Issue 17 point 6: signing keys may be RSA (RS256, PS256; public n and e) or EC P-256 (ES256; public x and y),
-- chosen by the SigningAlgorithm setting when a key is made. Keys already here are RS256 and keep n and e.
ALTER TABLE signing_keys
    DROP CONSTRAINT signing_keys_algorithm,
    ALTER COLUMN public_modulus DROP NOT NULL,
    ALTER COLUMN public_exponent DROP NOT NULL,
    ADD COLUMN public_x text,  -- base64url x (ES256)
    ADD COLUMN public_y text,  -- base64url y (ES256)
    ADD CONSTRAINT signing_keys_algorithm CHECK (
        (algorithm IN ('RS256', 'PS256') AND public_modulus IS NOT NULL AND public_exponent IS NOT NULL
            AND public_x IS NULL AND public_y IS NULL)
        OR (algorithm = 'ES256' AND public_x IS NOT NULL AND public_y IS NOT NULL
            AND public_modulus IS NULL AND public_exponent IS NULL));

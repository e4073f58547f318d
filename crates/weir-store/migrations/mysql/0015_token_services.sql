-- Registrar tokens name the services they may register into: a JSON array
-- of service names. NULL (tokens made before this column, and tokens of
-- other roles) means no service restriction; registration itself is still
-- opt-in per service.
ALTER TABLE weir_api_tokens ADD COLUMN services TEXT NULL;

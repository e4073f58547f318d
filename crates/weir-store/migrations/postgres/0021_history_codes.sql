-- Summaries and audit details that Weir generated, as a message code with
-- its parameters (a JSON object) beside the English text, so that the
-- dashboard can show them in the reader's language. NULL (rows written
-- before, and summaries a person wrote) shows the text as it is.
ALTER TABLE weir_revisions ADD COLUMN summary_code TEXT NULL;
ALTER TABLE weir_revisions ADD COLUMN summary_params TEXT NULL;
ALTER TABLE weir_audit ADD COLUMN detail_code TEXT NULL;
ALTER TABLE weir_audit ADD COLUMN detail_params TEXT NULL;

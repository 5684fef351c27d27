-- The knowledge base's search index (SearchKBEntries): the terms of every
-- entry (backend.KBIndexTerms: character bigrams of Chinese, lower-case
-- words and numbers of the rest, from title, solution and category), so
-- that a search reads the entries sharing terms with the query, however
-- old, instead of the newest 5,000. The store writes an entry's terms in
-- the entry's transaction; deleting the entry deletes them.
--
-- title_terms is, on a term of the entry's title, how many terms its
-- title has (0 on the others): the title's share in a search's score
-- comes from the index alone.
--
-- kb_entries.terms_version is the backend.KBTermsVersion the entry's
-- terms were made with, 0 for none. The terms are made in Go, not here:
-- the existing entries get theirs when the store starts (Migrate, after
-- this file), as does any entry a version of deskbot that predates this
-- file writes during a rolling upgrade, at the next start.

-- +goose Up
ALTER TABLE kb_entries ADD COLUMN terms_version integer NOT NULL DEFAULT 0;

CREATE TABLE kb_terms (
    term        text COLLATE "C" NOT NULL,
    entry_id    bigint NOT NULL REFERENCES kb_entries (id) ON DELETE CASCADE,
    title_terms integer NOT NULL,
    PRIMARY KEY (term, entry_id) INCLUDE (title_terms)
);
CREATE INDEX kb_terms_entry_id ON kb_terms (entry_id);

-- +goose Down
DROP TABLE kb_terms;
ALTER TABLE kb_entries DROP COLUMN terms_version;
